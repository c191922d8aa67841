#include "controlplane/bundle_feed.h"

#include <fmt/format.h>

namespace postern::controlplane {

void BundleFeed::set_active(uint64_t sequence, std::string digest) {
  has_active_ = true;
  active_sequence_ = sequence;
  active_digest_ = std::move(digest);
}

BundleFeed::Outcome BundleFeed::judge(const upstream::HttpGetResult& fetched, bundle::VerifiedBundle& candidate) {
  if (!fetched.ok) {
    ++counts_.failed;
    last_error_ = fetched.error;
    return Outcome::kFailed;
  }
  if (fetched.not_modified) {
    ++counts_.not_modified;
    return Outcome::kNotModified;
  }
  // Judged from here on, whatever the verdict: the same bytes are not fetched again.
  etag_ = fetched.etag;
  bundle::VerifiedBundle b;
  if (Status s = bundle::verify_bundle(fetched.body, trusted_, b); !s) {
    refused(s.message());
    return Outcome::kRefused;
  }
  if (has_active_ && b.digest == active_digest_) {
    ++counts_.unchanged;
    return Outcome::kUnchanged;
  }
  if (has_active_ && b.sequence <= active_sequence_) {
    refused(fmt::format("sequence {} is not above the active bundle's {}{} (rollback protection)", b.sequence,
                        active_sequence_, b.sequence == active_sequence_ ? " and its content differs" : ""));
    return Outcome::kRefused;
  }
  candidate = std::move(b);
  return Outcome::kNewer;
}

void BundleFeed::applied(const bundle::VerifiedBundle& b) {
  ++counts_.applied;
  set_active(b.sequence, b.digest);
}

void BundleFeed::refused(std::string why) {
  ++counts_.refused;
  last_error_ = std::move(why);
}

}  // namespace postern::controlplane
