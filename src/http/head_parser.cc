#include "http/head_parser.h"

#include <llhttp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "core/strings.h"

namespace postern::http {

void RequestHead::clear() {
  method = target = path = query = host = connection = {};
  has_query = false;
  version_minor = 1;
  headers.clear();
  framing = BodyFraming::kNone;
  content_length = 0;
  keep_alive = true;
  expect_continue = upgrade_websocket = has_upgrade = false;
}

void ResponseHead::clear() {
  status = 0;
  reason = connection = {};
  version_minor = 1;
  headers.clear();
  framing = BodyFraming::kNone;
  content_length = 0;
  keep_alive = true;
}

namespace {
// Bytes the head scanner must look at; everything else is skipped with one table load.
constexpr std::array<bool, 256> make_special_table() {
  std::array<bool, 256> t{};
  t['\0'] = t['\r'] = t['\n'] = true;
  return t;
}
constexpr auto kSpecial = make_special_table();
}  // namespace

HeadScan find_head_end(const char* data, size_t len, size_t max_head_bytes, int too_large_status) {
  HeadScan scan;
  size_t i = 0;
  // Ignore empty lines before the start line (clients sometimes send a stray CRLF after a
  // POST body); bounded so a stream of CRLFs cannot keep a connection busy forever.
  while (i + 1 < len && data[i] == '\r' && data[i + 1] == '\n' && i < 8) i += 2;
  scan.skip = i;
  const size_t limit = std::min(len, scan.skip + max_head_bytes);
  bool first_line = true;
  while (i < limit) {
    // Start of a line (i is just past a CRLF, or at the start line).
    char c = data[i];
    if (!first_line && (c == ' ' || c == '\t')) {
      scan.kind = HeadScan::Kind::kError;
      scan.error = {400, "obsolete line folding in header"};
      return scan;
    }
    const size_t line_start = i;
    // Eight bytes at a time while none of them is NUL, CR or LF (SWAR: a byte b is zero
    // when (b - 1) & ~b has its top bit set); long header values (tokens, cookies) are
    // the common case and would otherwise cost a table lookup per byte.
    constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    while (i + 8 <= limit) {
      uint64_t w;
      std::memcpy(&w, data + i, 8);
      if (has_zero(w) | has_zero(w ^ (kOnes * '\r')) | has_zero(w ^ (kOnes * '\n'))) break;
      i += 8;
    }
    while (i < limit && !kSpecial[static_cast<unsigned char>(data[i])]) ++i;
    if (i >= limit) break;
    c = data[i];
    if (c == '\0') {
      scan.kind = HeadScan::Kind::kError;
      scan.error = {400, "NUL byte in message head"};
      return scan;
    }
    if (c == '\n') {  // every LF must follow a CR
      scan.kind = HeadScan::Kind::kError;
      scan.error = {400, "bare LF in message head"};
      return scan;
    }
    // c == '\r'
    if (i + 1 >= len) return scan;  // need the next byte
    if (data[i + 1] != '\n') {
      scan.kind = HeadScan::Kind::kError;
      scan.error = {400, "bare CR in message head"};
      return scan;
    }
    if (i == line_start) {  // an empty line
      if (first_line) {
        scan.kind = HeadScan::Kind::kError;
        scan.error = {400, "empty request line"};
        return scan;
      }
      scan.kind = HeadScan::Kind::kComplete;
      scan.head_end = i + 2;
      return scan;
    }
    i += 2;
    first_line = false;
  }
  if (len - scan.skip >= max_head_bytes) {
    scan.kind = HeadScan::Kind::kError;
    scan.error = {too_large_status, "request header fields too large"};
  }
  return scan;
}

namespace {

// Collects spans from llhttp callbacks. The head is contiguous, so a span that llhttp
// reports in pieces is extended in place.
struct Collector {
  HeaderList* headers = nullptr;
  std::string_view method, url, status_text;
  bool in_value = false;
  bool too_many = false;
};

void extend(std::string_view& v, const char* at, size_t n) {
  if (v.data() == nullptr) {
    v = std::string_view(at, n);
  } else {
    v = std::string_view(v.data(), size_t(at + n - v.data()));
  }
}

constexpr size_t kMaxHeaders = 128;

int on_method(llhttp_t* p, const char* at, size_t n) {
  extend(static_cast<Collector*>(p->data)->method, at, n);
  return 0;
}
int on_url(llhttp_t* p, const char* at, size_t n) {
  extend(static_cast<Collector*>(p->data)->url, at, n);
  return 0;
}
int on_status(llhttp_t* p, const char* at, size_t n) {
  extend(static_cast<Collector*>(p->data)->status_text, at, n);
  return 0;
}
int on_header_field(llhttp_t* p, const char* at, size_t n) {
  auto* c = static_cast<Collector*>(p->data);
  if (c->in_value || c->headers->empty()) {
    if (c->headers->size() >= kMaxHeaders) {
      c->too_many = true;
      return -1;
    }
    c->headers->push_back({});
    c->in_value = false;
  }
  extend(c->headers->back().name, at, n);
  return 0;
}
int on_header_value(llhttp_t* p, const char* at, size_t n) {
  auto* c = static_cast<Collector*>(p->data);
  c->in_value = true;
  extend(c->headers->back().value, at, n);
  return 0;
}
int on_header_value_complete(llhttp_t* p) {
  auto* c = static_cast<Collector*>(p->data);
  c->in_value = true;  // the next field starts a new header, even after an empty value
  auto& h = c->headers->back();
  h.value = trim(h.value);
  h.kind = classify_header(h.name);
  return 0;
}
int on_headers_complete(llhttp_t*) { return HPE_PAUSED; }

const llhttp_settings_t& settings() {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t st;
    llhttp_settings_init(&st);
    st.on_method = on_method;
    st.on_url = on_url;
    st.on_status = on_status;
    st.on_header_field = on_header_field;
    st.on_header_value = on_header_value;
    st.on_header_value_complete = on_header_value_complete;
    st.on_headers_complete = on_headers_complete;
    return st;
  }();
  return s;
}

// Framing headers, checked by us and not only by llhttp: these decide where a message ends.
struct Framing {
  int content_length_count = 0;
  int transfer_encoding_count = 0;
  std::string_view content_length;
  std::string_view transfer_encoding;
  std::string_view connection;
  int connection_count = 0;
};

// RFC 9110 §5.6.2 tchar. llhttp lets some non-token bytes (like a space before the colon,
// "Transfer-Encoding : chunked") through; a proxy must not, or two parsers disagree.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) {
      switch (c) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '.':
        case '^':
        case '_':
        case '`':
        case '|':
        case '~': ok = true; break;
        default: break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

HeadError scan_framing(const HeaderList& headers, Framing& f) {
  for (const auto& h : headers) {
    if (!is_token(h.name)) return {400, "invalid header name"};
    if (h.kind == HeaderKind::kContentLength) {
      ++f.content_length_count;
      f.content_length = h.value;
    } else if (h.kind == HeaderKind::kTransferEncoding) {
      ++f.transfer_encoding_count;
      f.transfer_encoding = h.value;
    } else if (h.kind == HeaderKind::kConnection) {
      ++f.connection_count;
      f.connection = h.value;
    }
  }
  if (f.content_length_count > 1) return {400, "duplicate Content-Length"};
  if (f.transfer_encoding_count > 1) return {400, "duplicate Transfer-Encoding"};
  if (f.content_length_count && f.transfer_encoding_count) return {400, "both Content-Length and Transfer-Encoding"};
  if (f.connection_count > 1) return {400, "duplicate Connection"};
  return {};
}

}  // namespace

HeadError parse_request_head(const char* data, size_t len, size_t max_uri_bytes, RequestHead& out) {
  out.clear();
  Collector col;
  col.headers = &out.headers;
  llhttp_t parser;
  llhttp_init(&parser, HTTP_REQUEST, &settings());
  parser.data = &col;
  llhttp_errno_t err = llhttp_execute(&parser, data, len);
  if (col.too_many) return {431, "too many header fields"};
  if (err != HPE_PAUSED) {
    if (err == HPE_INVALID_METHOD) return {501, "unknown method"};
    if (err == HPE_INVALID_VERSION) return {505, "HTTP version not supported"};
    return {400, "malformed request head"};
  }
  if (llhttp_get_http_major(&parser) != 1) return {505, "HTTP version not supported"};
  out.version_minor = llhttp_get_http_minor(&parser);
  out.method = col.method;
  out.target = col.url;
  if (out.target.size() > max_uri_bytes) return {414, "request URI too long"};
  if (out.method == "CONNECT") return {501, "CONNECT is not supported"};
  size_t q = out.target.find('?');
  out.path = out.target.substr(0, q);
  if (q != std::string_view::npos) {
    out.has_query = true;
    out.query = out.target.substr(q + 1);
  }
  if (out.path.empty() || out.path[0] != '/') {
    if (out.method == "OPTIONS" && out.target == "*") {
      out.path = "*";
    } else {
      return {400, "request target must be a path starting with '/'"};
    }
  }

  Framing f;
  if (HeadError e = scan_framing(out.headers, f)) return e;
  int host_count = 0;
  for (const auto& h : out.headers) {
    if (h.kind == HeaderKind::kHost) {
      ++host_count;
      out.host = h.value;
    } else if (h.kind == HeaderKind::kExpect) {
      if (iequals(h.value, "100-continue")) out.expect_continue = true;
      else return {417, "unsupported expectation"};
    } else if (h.kind == HeaderKind::kUpgrade) {
      out.has_upgrade = true;
      if (header_has_token(h.value, "websocket")) out.upgrade_websocket = true;
    }
  }
  if (host_count > 1) return {400, "duplicate Host"};
  if (host_count == 0 && out.version_minor >= 1) return {400, "missing Host header"};
  out.connection = f.connection;

  if (f.transfer_encoding_count) {
    if (out.version_minor == 0) return {400, "Transfer-Encoding in an HTTP/1.0 request"};
    // RFC 9112 §6.3: chunked not last -> the length cannot be known: 400. Chunked last but
    // with other codings before it -> a coding we do not implement: 501 (§6.1).
    std::string_view te = f.transfer_encoding;
    size_t comma = te.rfind(',');
    std::string_view last = trim(comma == std::string_view::npos ? te : te.substr(comma + 1));
    if (!iequals(last, "chunked")) return {400, "Transfer-Encoding does not end with chunked"};
    if (comma != std::string_view::npos) return {501, "unsupported Transfer-Encoding"};
    out.framing = BodyFraming::kChunked;
  } else if (f.content_length_count) {
    auto n = parse_u64(f.content_length);
    if (!n) return {400, "invalid Content-Length"};
    out.content_length = *n;
    out.framing = *n ? BodyFraming::kContentLength : BodyFraming::kNone;
  }
  if (out.version_minor == 0) {
    out.keep_alive = header_has_token(f.connection, "keep-alive");
  } else {
    out.keep_alive = !header_has_token(f.connection, "close");
  }
  return {};
}

HeadError parse_response_head(const char* data, size_t len, bool request_was_head, ResponseHead& out) {
  out.clear();
  Collector col;
  col.headers = &out.headers;
  llhttp_t parser;
  llhttp_init(&parser, HTTP_RESPONSE, &settings());
  parser.data = &col;
  llhttp_errno_t err = llhttp_execute(&parser, data, len);
  if (col.too_many) return {502, "too many header fields in upstream response"};
  if (err != HPE_PAUSED) return {502, "malformed upstream response head"};
  if (llhttp_get_http_major(&parser) != 1) return {502, "upstream HTTP version not supported"};
  out.version_minor = llhttp_get_http_minor(&parser);
  out.status = llhttp_get_status_code(&parser);
  out.reason = col.status_text;
  Framing f;
  if (HeadError e = scan_framing(out.headers, f)) return {502, e.reason};
  out.connection = f.connection;
  out.keep_alive = out.version_minor == 0 ? header_has_token(f.connection, "keep-alive")
                                          : !header_has_token(f.connection, "close");
  bool no_body = request_was_head || (out.status >= 100 && out.status < 200) || out.status == 204 || out.status == 304;
  if (f.transfer_encoding_count) {
    // A response whose coding is not a final "chunked" is delimited by close (RFC 9112 §6.3).
    std::string_view te = f.transfer_encoding;
    size_t comma = te.rfind(',');
    std::string_view last = trim(comma == std::string_view::npos ? te : te.substr(comma + 1));
    if (iequals(last, "chunked") && comma == std::string_view::npos) {
      out.framing = BodyFraming::kChunked;
    } else {
      return {502, "unsupported Transfer-Encoding in upstream response"};
    }
  } else if (f.content_length_count) {
    auto n = parse_u64(f.content_length);
    if (!n) return {502, "invalid Content-Length in upstream response"};
    out.content_length = *n;
    out.framing = *n ? BodyFraming::kContentLength : BodyFraming::kNone;
  } else if (!no_body) {
    out.framing = BodyFraming::kUntilClose;
    out.keep_alive = false;
  }
  if (no_body) out.framing = BodyFraming::kNone;
  return {};
}

}  // namespace postern::http
