#include "guard/assets/sqlite_image.hpp"

#include "common/error.hpp"

#include <cstring>
#include <sqlite3.h>

namespace vg::guard {

namespace {
constexpr int kStepBudget = 2'000'000; // VM instructions (in units of 1000) per query
int progress_abort(void *counter) {
  return ++*static_cast<int *>(counter) > kStepBudget ? 1 : 0;
}
} // namespace

SqliteImage::SqliteImage(std::span<const std::uint8_t> bytes, std::string input)
    : input_(std::move(input)) {
  if (bytes.size() < 100 || std::memcmp(bytes.data(), "SQLite format 3", 16) != 0)
    throw Error(input_, "not an SQLite 3 database (bad header)");
  if (sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(input_, "cannot open an in-memory SQLite database: " + why);
  }
  auto *copy = static_cast<unsigned char *>(sqlite3_malloc64(bytes.size()));
  if (!copy)
    throw Error(input_, "out of memory copying the database");
  std::memcpy(copy, bytes.data(), bytes.size());
  int rc = sqlite3_deserialize(db_, "main", copy, static_cast<sqlite3_int64>(bytes.size()),
                               static_cast<sqlite3_int64>(bytes.size()),
                               SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY);
  if (rc != SQLITE_OK) {
    std::string why = sqlite3_errmsg(db_);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(input_, "cannot load the SQLite image: " + why);
  }
}

SqliteImage::~SqliteImage() {
  sqlite3_close_v2(db_);
}

bool SqliteImage::has_table(const std::string &name) {
  bool found = false;
  query(
      "SELECT name FROM sqlite_master WHERE type='table' AND name=" +
          [&] {
            std::string q = "'";
            for (char c : name)
              q += c == '\'' ? std::string("''") : std::string(1, c);
            return q + "'";
          }(),
      [&](const std::vector<std::string> &) { found = true; });
  return found;
}

void SqliteImage::query(const std::string &sql,
                        const std::function<void(const std::vector<std::string> &)> &row) {
  // The statement is finalised and the progress handler removed on every path, including a row
  // callback that throws (a malformed vCard in a row), so the database can always be closed.
  struct Statement {
    sqlite3 *db;
    sqlite3_stmt *st = nullptr;
    ~Statement() {
      sqlite3_finalize(st);
      sqlite3_progress_handler(db, 0, nullptr, nullptr);
    }
  } stmt{db_};
  int counter = 0;
  sqlite3_progress_handler(db_, 1000, progress_abort, &counter);
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt.st, nullptr) != SQLITE_OK)
    throw Error(input_, std::string("SQLite: ") + sqlite3_errmsg(db_));
  int rc;
  std::vector<std::string> cols;
  while ((rc = sqlite3_step(stmt.st)) == SQLITE_ROW) {
    int n = sqlite3_column_count(stmt.st);
    cols.assign(static_cast<std::size_t>(n), {});
    for (int i = 0; i < n; ++i) {
      const unsigned char *t = sqlite3_column_text(stmt.st, i);
      if (t)
        cols[static_cast<std::size_t>(i)].assign(
            reinterpret_cast<const char *>(t),
            static_cast<std::size_t>(sqlite3_column_bytes(stmt.st, i)));
    }
    row(cols);
  }
  if (rc != SQLITE_DONE)
    throw Error(input_, "SQLite: " + (rc == SQLITE_INTERRUPT ? std::string("query budget exceeded")
                                                             : std::string(sqlite3_errmsg(db_))));
}

std::string sql_identifier(const std::string &name) {
  std::string q = "\"";
  for (char c : name)
    q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

} // namespace vg::guard
