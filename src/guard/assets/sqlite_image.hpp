// sqlite_image.hpp — read-only SQLite access to the bytes of a database file (friends.db,
// contacts.db). Promise: the bytes are deserialised in memory (the file on disk is never opened by
// SQLite, so the guard cannot be made to write it); corrupt images and failing queries throw
// vg::Error naming the input and SQLite's reason; queries are bounded by a step budget, so a
// hostile image cannot hang us.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace vg::guard {

class SqliteImage {
public:
  SqliteImage(std::span<const std::uint8_t> bytes, std::string input);
  ~SqliteImage();
  SqliteImage(const SqliteImage &) = delete;
  SqliteImage &operator=(const SqliteImage &) = delete;

  bool has_table(const std::string &name);
  // Runs `sql`; calls `row` with the text of each column of each result row (NULL → "").
  void query(const std::string &sql,
             const std::function<void(const std::vector<std::string> &)> &row);
  const std::string &input() const { return input_; }

private:
  sqlite3 *db_ = nullptr;
  std::string input_;
};

// Quotes an SQL identifier ("name" with embedded quotes doubled).
std::string sql_identifier(const std::string &name);

} // namespace vg::guard
