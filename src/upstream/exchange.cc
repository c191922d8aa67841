#include "upstream/exchange.h"

#include <array>
#include <cstring>

#include "core/log.h"
#include "core/strings.h"

namespace postern::upstream {
namespace {

using Status = RequestBody::Status;

}  // namespace

Exchange::~Exchange() {
  if (conn_) conn_->transport.close();
}

net::awaitable<Exchange::Outcome> Exchange::run(const EndpointSet& endpoints, uint64_t round_robin, RequestBody* body,
                                                bool head_request, http::ResponseHead& response) {
  Outcome out;
  const bool replayable = body == nullptr || body->replayable();
  bool stale_retry_used = false;
  AttemptOrder order(endpoints, round_robin, hosts_);
  const EndpointTargets* ep = nullptr;
  const Target* target = nullptr;
  // Endpoints in order, each resolved address of each; a failed connect moves on.
  while (order.next(ep, target)) {
    for (bool fresh_only = false;; fresh_only = true) {
      conn_ = fresh_only ? nullptr : pool_.take_idle(target->pool_key);
      const bool reused = conn_ != nullptr;
      if (!conn_) {
        conn_ = pool_.create(*target);
        if (!conn_) break;  // TLS needed but unavailable: the next address
        host_.set_active(conn_.get());
        host_.arm_connect();
        net::error_code ec;
        co_await pool_.connect(*conn_, *target, verify_tls_, ec);
        host_.set_active(nullptr);
        if (ec) {
          out.failure = host_.timed_out() ? UpstreamError::kConnectTimeout : UpstreamError::kConnectFailed;
          log::debug("upstream {} connect failed: {}", ep->endpoint->url, ec.message());
          // The name may point elsewhere by now (a replaced pod): look it up again soon.
          if (ep->host) ep->host->request_refresh();
          conn_.reset();
          if (host_.closing()) co_return out;
          break;
        }
      }
      host_.count_connection(reused);
      endpoint_ = ep->endpoint;
      host_.build_head(*ep->endpoint, head_);
      host_.set_active(conn_.get());
      host_.arm_response(endpoints.response_timeout);
      net::error_code ec;
      Status sent = Status::kPiece;
      if (body == nullptr) co_await conn_->transport.write(net::asio::buffer(head_), ec);
      else sent = co_await send(*body, endpoints.response_timeout, ec);
      if (sent == Status::kBadFraming || sent == Status::kTooLarge) {
        host_.set_active(nullptr);
        out.kind = Outcome::Kind::kBodyError;
        out.body = sent;
        co_return out;
      }
      if (sent == Status::kClientGone) {
        host_.set_active(nullptr);
        out.kind = Outcome::Kind::kClientGone;
        co_return out;
      }
      // The response head, read here rather than in a coroutine of its own (one frame less
      // per request on the hot path).
      if (!buf_) buf_ = buffers_.take();
      end_ = 0;
      HeadRead got = HeadRead::kFailed;
      while (!ec) {
        end_ += co_await conn_->transport.read_some(net::asio::buffer(buf_.data() + end_, buf_.size() - end_), ec);
        if (ec) break;
        got = parse_head(head_request, response);
        if (got != HeadRead::kNeedMore) break;
        got = HeadRead::kFailed;
      }
      host_.set_active(nullptr);
      if (got == HeadRead::kHead) {
        out.kind = Outcome::Kind::kResponse;
        co_return out;
      }
      conn_->transport.close();
      conn_.reset();
      // A pooled connection the backend had closed before anything came back: replay once
      // on a new connection, when nothing of the request is lost by doing so.
      if (got == HeadRead::kBad) {
        out.failure = UpstreamError::kBadResponse;
      } else if (host_.timed_out()) {
        out.failure = UpstreamError::kResponseTimeout;
      } else if (reused && replayable && !stale_retry_used && end_ == 0) {
        stale_retry_used = true;
        if (body) body->rewind();
        continue;
      } else {
        out.failure = UpstreamError::kReset;
      }
      co_return out;  // the request reached an endpoint: never send it to another one
    }
  }
  if (order.only_unresolved()) out.failure = UpstreamError::kUnresolved;
  co_return out;
}

net::awaitable<Status> Exchange::send(RequestBody& body, Millis timeout, net::error_code& ec) {
  // The head goes out with the first piece; chunked bodies are re-framed, the terminating
  // chunk in the same write as the last data.
  const bool chunked = body.chunked();
  bool head_sent = false;
  std::string size_line;
  static constexpr std::string_view kCrlf = "\r\n";
  static constexpr std::string_view kLast = "0\r\n\r\n";
  for (;;) {
    RequestBody::Piece piece;
    Status st = body.take(piece);
    if (st == Status::kNeedMore) {
      if (!head_sent && !chunked) {  // Content-Length: the head goes ahead of the body
        co_await conn_->transport.write(net::asio::buffer(head_), ec);
        if (ec) co_return Status::kPiece;
        head_sent = true;
      }
      st = co_await body.fill();
      if (st != Status::kPiece) co_return st;
      host_.arm_response(timeout);
      continue;
    }
    if (st != Status::kPiece) co_return st;
    std::array<net::asio::const_buffer, 5> bufs;
    size_t n = 0;
    if (!head_sent) bufs[n++] = net::asio::buffer(head_);
    const bool framed = chunked && !piece.data.empty();
    if (framed) {
      size_line.clear();
      append_hex(size_line, piece.data.size());
      size_line += kCrlf;
      bufs[n++] = net::asio::buffer(size_line);
    }
    if (!piece.data.empty()) bufs[n++] = net::asio::buffer(piece.data.data(), piece.data.size());
    if (framed) bufs[n++] = net::asio::buffer(kCrlf.data(), kCrlf.size());
    if (chunked && piece.last) bufs[n++] = net::asio::buffer(kLast.data(), kLast.size());
    if (n > 0) co_await conn_->transport.write(std::span<const net::asio::const_buffer>(bufs.data(), n), ec);
    head_sent = true;
    if (ec || piece.last) co_return Status::kPiece;
  }
}

Exchange::HeadRead Exchange::parse_head(bool head_request, http::ResponseHead& response) {
  for (;;) {
    auto scan = http::find_head_end(buf_.data(), end_, buf_.size() - 1024, 502);
    if (scan.kind == http::HeadScan::Kind::kError) return HeadRead::kBad;
    if (scan.kind == http::HeadScan::Kind::kNeedMore) return HeadRead::kNeedMore;
    http::HeadError herr = http::parse_response_head(buf_.data() + scan.skip, scan.head_end - scan.skip, head_request,
                                                     response);
    if (herr || response.status == 101) return HeadRead::kBad;
    if (response.status >= 200) {
      head_end_ = scan.head_end;
      return HeadRead::kHead;
    }
    // An interim response (100, 103) is not forwarded.
    std::memmove(buf_.data(), buf_.data() + scan.head_end, end_ - scan.head_end);
    end_ -= scan.head_end;
    if (end_ == 0) return HeadRead::kNeedMore;
  }
}

void Exchange::release(bool reusable, SteadyTime now) {
  if (!conn_) return;
  if (reusable) {
    conn_->requests++;
    pool_.release(std::move(conn_), now);
  } else {
    conn_->transport.close();
    conn_.reset();
  }
}

}  // namespace postern::upstream
