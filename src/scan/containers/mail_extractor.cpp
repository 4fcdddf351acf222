#include "scan/containers/mail_extractor.hpp"

#include "scan/containers/text_encodings.hpp"

#include <algorithm>
#include <cctype>
#include <gmime/gmime.h>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace vg {

namespace {

void init_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

template <class T> struct GUnref {
  void operator()(T *p) const {
    if (p)
      g_object_unref(p);
  }
};
template <class T> using GPtr = std::unique_ptr<T, GUnref<T>>;

// Writes `write` into a memory stream and returns its bytes, cut at `cap`.
template <class WriteFn> ChildObject collect(std::uint64_t cap, WriteFn &&write) {
  ChildObject c;
  GPtr<GMimeStream> mem(g_mime_stream_mem_new());
  if (write(mem.get()) < 0)
    c.unreadable = "part could not be decoded";
  GByteArray *arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  std::uint64_t n = arr ? arr->len : 0;
  if (n > cap) {
    n = cap;
    c.cut = true;
  }
  if (n)
    c.bytes.assign(arr->data, arr->data + n);
  return c;
}

bool is_text(GMimeObject *obj) {
  GMimeContentType *ct = g_mime_object_get_content_type(obj);
  return ct && g_mime_content_type_is_type(ct, "text", "*");
}

class Walker {
public:
  explicit Walker(ChildSink &sink) : sink_(sink) {}

  // False once the sink asked to stop.
  bool walk(GMimeObject *obj, unsigned depth) {
    if (!obj || !sink_.keep_going())
      return sink_.keep_going();
    if (GMIME_IS_MULTIPART(obj)) {
      if (depth >= sink_.depth_left()) {
        sink_.limit_reached("MaxRecursion", "multipart nested deeper than " +
                                                std::to_string(sink_.depth_left()) + " levels");
        return true;
      }
      GMimeMultipart *mp = GMIME_MULTIPART(obj);
      int n = g_mime_multipart_get_count(mp);
      for (int i = 0; i < n; ++i)
        if (!walk(g_mime_multipart_get_part(mp, i), depth + 1))
          return false;
      return true;
    }
    if (GMIME_IS_MESSAGE_PART(obj)) {
      GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
      if (!inner)
        return true;
      ChildObject c = collect(sink_.size_cap(), [&](GMimeStream *s) {
        return g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, s);
      });
      c.method = "mime:message/rfc822";
      const char *subject = g_mime_message_get_subject(inner);
      c.name = subject ? subject : "";
      return sink_.child(std::move(c));
    }
    if (!GMIME_IS_PART(obj))
      return true;
    GMimePart *part = GMIME_PART(obj);
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    if (!content)
      return true;
    ChildObject c = collect(sink_.size_cap(), [&](GMimeStream *s) {
      return g_mime_data_wrapper_write_to_stream(content, s);
    });
    const char *fname = g_mime_part_get_filename(part);
    c.name = fname ? fname : "";
    const char *enc = g_mime_content_encoding_to_string(g_mime_part_get_content_encoding(part));
    c.method = std::string("mime:") + (enc && *enc ? enc : "7bit");
    std::vector<ChildObject> embedded;
    if (is_text(obj)) {
      embedded = find_uuencoded(c.bytes, sink_.size_cap(), 1000);
      for (auto &b : find_binhex(c.bytes, sink_.size_cap()))
        embedded.push_back(std::move(b));
    }
    if (!sink_.child(std::move(c)))
      return false;
    for (auto &e : embedded)
      if (!sink_.child(std::move(e)))
        return false;
    return true;
  }

private:
  ChildSink &sink_;
};

// "Content-Type(comment): ..." — a comment inside a header name, which mail readers ignore but
// which hides the header from a strict parser (a known bypass). Returns the text with such comments
// removed from every line that starts with a header name, or nothing when there is none.
std::optional<std::string> without_header_name_comments(std::span<const std::uint8_t> data) {
  std::string_view t(reinterpret_cast<const char *>(data.data()), data.size());
  std::string out;
  bool changed = false;
  std::size_t line = 0;
  while (line < t.size()) {
    std::size_t eol = t.find('\n', line);
    std::size_t next = eol == std::string_view::npos ? t.size() : eol + 1;
    std::size_t i = line;
    while (i < next && (std::isalnum(static_cast<unsigned char>(t[i])) || t[i] == '-'))
      ++i;
    std::size_t name_end = i;
    if (i > line && i < next && t[i] == '(') {
      int depth = 0;
      for (; i < next; ++i) {
        if (t[i] == '(')
          ++depth;
        else if (t[i] == ')' && --depth == 0)
          break;
      }
      std::size_t j = i + 1;
      while (j < next && (t[j] == ' ' || t[j] == '\t'))
        ++j;
      if (depth == 0 && j < next && t[j] == ':') {
        if (!changed)
          out.assign(t.substr(0, line));
        changed = true;
        out.append(t.substr(line, name_end - line));
        out.append(t.substr(j, next - j));
        line = next;
        continue;
      }
    }
    if (changed)
      out.append(t.substr(line, next - line));
    line = next;
  }
  if (!changed)
    return std::nullopt;
  return out;
}

bool looks_like_mbox(std::span<const std::uint8_t> data) {
  static constexpr char kFrom[] = "From ";
  return data.size() > 5 && std::equal(kFrom, kFrom + 5, data.begin());
}

} // namespace

void MailExtractor::extract(std::span<const std::uint8_t> data, ChildSink &sink) const {
  init_gmime();
  auto cleaned = without_header_name_comments(data);
  if (cleaned)
    data = {reinterpret_cast<const std::uint8_t *>(cleaned->data()), cleaned->size()};
  GPtr<GMimeStream> stream(
      g_mime_stream_mem_new_with_buffer(reinterpret_cast<const char *>(data.data()), data.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  const bool mbox = looks_like_mbox(data);
  g_mime_parser_set_format(parser.get(), mbox ? GMIME_FORMAT_MBOX : GMIME_FORMAT_MESSAGE);
  Walker walker(sink);
  unsigned messages = 0;
  while (sink.keep_going()) {
    GPtr<GMimeMessage> msg(g_mime_parser_construct_message(parser.get(), nullptr));
    if (!msg) {
      if (messages == 0)
        sink.damaged("no mail message could be parsed");
      break;
    }
    ++messages;
    if (!walker.walk(g_mime_message_get_mime_part(msg.get()), 0))
      break;
    if (!mbox || g_mime_parser_eos(parser.get()))
      break;
  }
}

} // namespace vg
