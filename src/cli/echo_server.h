#pragma once
// `postern echo`: a small HTTP/1.1 backend for the quickstart, the tests and the benchmark.
// It answers every request with a JSON description of what it received:
//   {"method","path","query","version","headers":{lower-case name:[values]},"body" (when
//    <= 64 KiB),"body_bytes","body_sha256","connection","request_on_connection"}
// Query parameters steer it: status=NNN, delay_ms=N (before the response head),
// bytes=N (N bytes of 'a'..'z' instead of JSON), chunked=1, close=1.
#include <string>

namespace postern::cli {

struct EchoOptions {
  std::string listen = "127.0.0.1:8080";
  unsigned threads = 1;
};

int run_echo(const EchoOptions& options);

}  // namespace postern::cli
