#include "upstream/response_body.h"

#include <algorithm>

namespace postern::upstream {

ResponseBody::ResponseBody(const http::ResponseHead& head, char* buffer, size_t capacity, size_t pos, size_t end,
                           std::string& scratch)
    : framing_(head.framing),
      remaining_(head.framing == http::BodyFraming::kContentLength ? head.content_length : 0),
      buf_(buffer),
      cap_(capacity),
      pos_(pos),
      end_(end),
      scratch_(scratch) {
  complete_ = framing_ == http::BodyFraming::kNone ||
              (framing_ == http::BodyFraming::kContentLength && remaining_ == 0);
}

ResponseBody::Step ResponseBody::take(std::string_view& data, bool& last) {
  data = {};
  last = false;
  switch (framing_) {
    case http::BodyFraming::kNone: last = true; return Step::kPiece;
    case http::BodyFraming::kContentLength: {
      if (remaining_ == 0) {
        last = true;
        return Step::kPiece;
      }
      size_t n = size_t(std::min<uint64_t>(end_ - pos_, remaining_));
      if (n == 0) return Step::kNeedMore;
      data = std::string_view(buf_ + pos_, n);
      pos_ += n;
      remaining_ -= n;
      payload_ += n;
      last = complete_ = remaining_ == 0;
      return Step::kPiece;
    }
    case http::BodyFraming::kChunked: {
      scratch_.clear();
      size_t consumed = 0;
      auto r = chunked_.feed(buf_ + pos_, end_ - pos_, scratch_, consumed);
      pos_ += consumed;
      if (r == http::ChunkedDecoder::Result::kError) return Step::kError;
      payload_ = chunked_.payload_bytes();
      last = complete_ = r == http::ChunkedDecoder::Result::kDone;
      if (scratch_.empty() && !last) return Step::kNeedMore;
      data = scratch_;
      return Step::kPiece;
    }
    case http::BodyFraming::kUntilClose: {
      if (eof_) {
        last = complete_ = true;
        return Step::kPiece;
      }
      if (pos_ == end_) return Step::kNeedMore;
      data = std::string_view(buf_ + pos_, end_ - pos_);
      pos_ = end_;
      payload_ += data.size();
      return Step::kPiece;
    }
  }
  return Step::kError;
}

net::awaitable<bool> ResponseBody::fill(UpstreamConnection& conn, net::error_code& ec) {
  pos_ = end_ = 0;
  end_ = co_await conn.transport.read_some(net::asio::buffer(buf_, cap_), ec);
  if (ec && framing_ == http::BodyFraming::kUntilClose &&
      (ec == net::asio::error::eof || ec == net::asio::ssl::error::stream_truncated)) {
    eof_ = true;  // the normal end of a close-delimited body
    ec = {};
    co_return true;
  }
  co_return !ec;
}

}  // namespace postern::upstream
