#pragma once
// One issuer's polled revocation list, as the gateway holds it: the last good list, the
// ETag to ask with, and how the fetches went. A pure state machine over fetch results (the
// poller does the I/O), main thread only.
#include <cstdint>
#include <memory>
#include <string>

#include "filters/auth/revocation_list.h"

namespace postern::upstream {
struct HttpGetResult;
}

namespace postern::filters {

class RevocationFeed {
 public:
  enum class Outcome : uint8_t {
    kUpdated,      // a new list replaces the previous one: hand jtis() to the workers
    kNotModified,  // 304, or the same ids again: the list held is current
    kFailed,       // unreachable, a status other than 2xx/304, or not a revocation list
  };
  struct Counts {
    uint64_t updated = 0, not_modified = 0, failed = 0;
  };

  // Applies one fetch. A failure keeps the last good list: a key manager that is down or
  // answers nonsense must not bring revoked tokens back.
  Outcome apply(const upstream::HttpGetResult& fetched);

  // The last good list (null until the first one), shared with the workers as it is.
  std::shared_ptr<const RevokedJtis> jtis() const { return jtis_; }
  size_t size() const { return jtis_ ? jtis_->size() : 0; }
  uint64_t version() const { return version_; }
  // Sent as If-None-Match; "" until a good list came with an ETag.
  const std::string& etag() const { return etag_; }
  // The list came from another URL (a reload changed it): ask unconditionally next time,
  // but keep the list until the new URL answers.
  void forget_etag() { etag_.clear(); }
  // Failed fetches since the last good one (1 = this failure starts a streak).
  uint64_t failures_in_a_row() const { return failures_in_a_row_; }
  const std::string& last_error() const { return last_error_; }
  const Counts& counts() const { return counts_; }

 private:
  Outcome succeed(Outcome o);
  Outcome fail(std::string why);
  std::shared_ptr<const RevokedJtis> jtis_;
  uint64_t version_ = 0;
  std::string etag_;
  uint64_t failures_in_a_row_ = 0;
  std::string last_error_;
  Counts counts_;
};

// What /metrics shows of one issuer's feed.
struct RevocationListStats {
  std::string issuer;  // the configured name
  RevocationFeed::Counts counts;
  size_t jtis = 0;  // in the list held now
};

}  // namespace postern::filters
