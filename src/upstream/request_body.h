#pragma once
// The request body as the exchange forwards it: pieces of payload (decoded from the
// client's framing) taken from what is buffered, and more read from the client when the
// buffer is used up. The exchange re-frames them for the backend (exchange.cc), so one pump
// serves Content-Length and chunked bodies alike.
#include <cstdint>
#include <string_view>

#include "net/asio.h"

namespace postern::upstream {

class RequestBody {
 public:
  enum class Status : uint8_t {
    kPiece,       // `piece` holds payload (maybe empty when it is the last)
    kNeedMore,    // everything buffered was taken: fill() before taking again
    kClientGone,  // the client closed or stalled mid-body
    kBadFraming,  // malformed chunked framing: 400 and close
    kTooLarge,    // over limits.max_body_bytes: 413 and close
  };
  struct Piece {
    std::string_view data;
    bool last = false;
  };

  virtual ~RequestBody() = default;
  virtual bool chunked() const = 0;  // forwarded chunked (else with its Content-Length)
  virtual Status take(Piece& piece) = 0;
  // Reads more from the client (after "100 Continue" when the client asked for it).
  // kPiece when something arrived (take again), kClientGone otherwise.
  virtual net::awaitable<Status> fill() = 0;
  // Whether none of the body has left the gateway's buffer, so the request can be sent
  // again (a pooled connection turned out to be closed); rewind() starts it over.
  virtual bool replayable() const = 0;
  virtual void rewind() = 0;
};

}  // namespace postern::upstream
