#include "server/client_body.h"

#include <algorithm>

namespace postern::server {

ClientBody::ClientBody(ClientIo& io, const http::RequestHead& head, char* buf, size_t cap, size_t& pos, size_t& end,
                       uint64_t max_bytes, std::string& chunk)
    : io_(io),
      chunked_(head.framing == http::BodyFraming::kChunked),
      expect_continue_(head.expect_continue),
      length_(head.framing == http::BodyFraming::kContentLength ? head.content_length : 0),
      buf_(buf),
      cap_(cap),
      pos_(pos),
      end_(end),
      begin_(pos),
      max_bytes_(max_bytes),
      chunk_(chunk) {
  // Replayable while none of it has to be read from the client: all of it is buffered.
  replayable_ = !chunked_ && end_ - pos_ >= length_;
}

ClientBody::Status ClientBody::take(Piece& piece) {
  piece = {};
  if (chunked_) {
    chunk_.clear();
    size_t consumed = 0;
    auto r = decoder_.feed(buf_ + pos_, end_ - pos_, chunk_, consumed);
    pos_ += consumed;
    if (r == http::ChunkedDecoder::Result::kError) return Status::kBadFraming;
    if (max_bytes_ && decoder_.payload_bytes() > max_bytes_) return Status::kTooLarge;
    done_ = r == http::ChunkedDecoder::Result::kDone;
    if (chunk_.empty() && !done_) return Status::kNeedMore;
    piece.data = chunk_;
    piece.last = done_;
    return Status::kPiece;
  }
  const uint64_t left = length_ - taken_;
  if (left == 0) {
    done_ = true;
    piece.last = true;
    return Status::kPiece;
  }
  size_t n = size_t(std::min<uint64_t>(end_ - pos_, left));
  if (n == 0) return Status::kNeedMore;
  piece.data = std::string_view(buf_ + pos_, n);
  pos_ += n;
  taken_ += n;
  done_ = piece.last = taken_ == length_;
  return Status::kPiece;
}

net::awaitable<ClientBody::Status> ClientBody::fill() {
  if (expect_continue_ && !continue_sent_) {
    continue_sent_ = true;
    if (!co_await io_.send_continue()) co_return Status::kClientGone;
  }
  // What was taken has been forwarded: the buffer is reused from where the body began.
  pos_ = end_ = begin_;
  io_.arm_body_read();
  net::error_code ec;
  size_t got = co_await io_.read_client(buf_ + end_, cap_ - end_, ec);
  if (ec) co_return Status::kClientGone;  // the client went away or stalled mid-body
  end_ += got;
  co_return Status::kPiece;
}

void ClientBody::rewind() {
  pos_ = begin_;
  taken_ = 0;
  decoder_.reset();
  done_ = false;
}

}  // namespace postern::server
