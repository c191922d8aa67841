// libFuzzer target for the untrusted-input front of the data plane: the request-head
// scanner and parser (src/http/head_parser.h), the chunked body decoder and the path
// normalizer (src/http/path_normalizer.h), fed exactly as a worker feeds them, and the W3C
// traceparent parser (src/http/trace_context.h).
//
// Besides memory errors (ASan/UBSan) it checks the normalizer's contract:
//  - a normalized path starts with '/', has no "." or ".." segments and no empty segment
//    (a trailing slash is kept on purpose: some templates distinguish "/a/" from "/a");
//  - %2F never survives unless allowed, and normalization is idempotent (normalizing the
//    output again gives the same path), so two components can never disagree about it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/chunked_decoder.h"
#include "http/head_parser.h"
#include "http/path_normalizer.h"
#include "http/trace_context.h"

namespace {

using namespace postern::http;

void check(bool ok) {
  if (!ok) std::abort();
}

void check_normalized(std::string_view raw, bool allow_slash) {
  std::string out;
  PathError e = normalize_path(raw, out, allow_slash);
  if (e != PathError::kNone) return;
  check(!out.empty() && out[0] == '/');
  // No empty, "." or ".." segments remain (ignoring one trailing slash).
  std::string_view body(out);
  body.remove_prefix(1);
  if (!body.empty() && body.back() == '/') body.remove_suffix(1);
  while (!body.empty()) {
    size_t end = body.find('/');
    std::string_view seg = body.substr(0, end);
    check(!seg.empty() && seg != "." && seg != "..");
    if (end == std::string_view::npos) break;
    body.remove_prefix(end + 1);
  }
  if (!allow_slash) check(out.find("%2F") == std::string::npos && out.find("%2f") == std::string::npos);
  std::string again;
  check(normalize_path(out, again, allow_slash) == PathError::kNone);
  check(again == out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* bytes = reinterpret_cast<const char*>(data);

  // The raw input as a path, both ways.
  std::string_view as_path(bytes, size);
  check_normalized(as_path, false);
  check_normalized(as_path, true);
  (void)query_is_valid(as_path);

  // The raw input as a traceparent value: a parsed one must format back to a valid one.
  TraceParent tp;
  if (parse_traceparent(as_path, tp)) {
    check(tp.trace_id.size() == 32 && tp.parent_id.size() == 16);
    std::string again;
    format_traceparent(again, tp.trace_id, 0x1234, tp.flags);
    TraceParent back;
    check(parse_traceparent(again, back) && back.trace_id == tp.trace_id && back.flags == tp.flags);
  }

  // The input as a request stream: head, then body framing.
  HeadScan scan = find_head_end(bytes, size, 8192, 431);
  if (scan.kind != HeadScan::Kind::kComplete) return 0;
  check(scan.skip <= scan.head_end && scan.head_end <= size);
  RequestHead head;
  HeadError err = parse_request_head(bytes + scan.skip, scan.head_end - scan.skip, 4096, head);
  if (!err) {
    check(!(head.framing == BodyFraming::kUntilClose));
    check_normalized(head.path, false);
    if (head.has_query) (void)query_is_valid(head.query);
    if (head.framing == BodyFraming::kChunked) {
      // Feed the rest in two pieces so state carried across calls is exercised.
      const char* body = bytes + scan.head_end;
      size_t len = size - scan.head_end;
      size_t split = len / 2;
      ChunkedDecoder dec;
      std::string payload;
      size_t consumed = 0;
      auto r = dec.feed(body, split, payload, consumed);
      check(consumed <= split);
      if (r == ChunkedDecoder::Result::kNeedMore) {
        r = dec.feed(body + split, len - split, payload, consumed);
        check(consumed <= len - split);
      }
      check(payload.size() == dec.payload_bytes());
    }
  }

  // The same bytes as a response head (the upstream side is untrusted too).
  ResponseHead resp;
  (void)parse_response_head(bytes + scan.skip, scan.head_end - scan.skip, size % 2 == 0, resp);
  return 0;
}
