// bench/analytics-budget/loadgen PORT THREADS SECONDS [PATH]: keep-alive HTTP/1.1 GETs, one
// connection per thread, one request in flight each, for SECONDS (wrk is not installed here).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>
int main(int argc, char** argv) {
  int port = atoi(argv[1]), threads = atoi(argv[2]), secs = atoi(argv[3]);
  std::string path = argc > 4 ? argv[4] : "/open/a";
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: bench\r\n\r\n";
  std::atomic<long> done{0};
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(secs);
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) ts.emplace_back([&] {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{}; a.sin_family = AF_INET; a.sin_port = htons(port); a.sin_addr.s_addr = htonl(0x7f000001);
    if (connect(fd, (sockaddr*)&a, sizeof a) != 0) { perror("connect"); return; }
    int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::string buf; char tmp[65536];
    while (std::chrono::steady_clock::now() < end) {
      if (write(fd, req.data(), req.size()) != (ssize_t)req.size()) return;
      for (;;) {  // read one response (Content-Length framing)
        size_t he = buf.find("\r\n\r\n");
        if (he != std::string::npos) {
          size_t cl = 0; size_t p = buf.find("ontent-Length: ");
          if (p == std::string::npos) p = buf.find("ontent-length: ");
          if (p != std::string::npos && p < he) cl = strtoul(buf.c_str() + p + 15, nullptr, 10);
          if (buf.size() >= he + 4 + cl) { buf.erase(0, he + 4 + cl); break; }
        }
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n <= 0) return;
        buf.append(tmp, n);
      }
      ++done;
    }
    close(fd);
  });
  for (auto& t : ts) t.join();
  printf("requests %ld in %d s: %.0f req/s\n", done.load(), secs, done.load() / double(secs));
}
