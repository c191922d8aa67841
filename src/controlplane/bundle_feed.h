#pragma once
// What the gateway does with each answer of its control plane, without sockets or files:
// a 304 keeps everything; a new body must verify against the trusted keys and carry a
// sequence number above the active bundle's (rollback protection) before it is offered
// to the server. The ETag of every answer that was judged is kept, so the same bytes are
// not fetched and refused again every poll.
#include <cstdint>
#include <string>
#include <vector>

#include "bundle/bundle.h"
#include "upstream/http_get.h"

namespace postern::controlplane {

// Fetch results, as /metrics counts them (postern_control_plane_polls_total{result}).
struct PollCounts {
  uint64_t applied = 0;       // a newer bundle verified and is in force
  uint64_t not_modified = 0;  // 304: the bundle held is current
  uint64_t unchanged = 0;     // 200 with the active bundle's own content
  uint64_t refused = 0;       // bad signature, tampered, older, or its project does not load
  uint64_t failed = 0;        // no answer, an HTTP error, a truncated body
};

class BundleFeed {
 public:
  enum class Outcome { kNotModified, kUnchanged, kNewer, kRefused, kFailed };

  explicit BundleFeed(std::vector<bundle::BundleKey> trusted) : trusted_(std::move(trusted)) {}

  // The bundle in force (at start, and after the server applied a newer one).
  void set_active(uint64_t sequence, std::string digest);
  bool has_active() const { return has_active_; }
  uint64_t active_sequence() const { return active_sequence_; }

  // Judges one fetch. kNewer fills `candidate` (verified, sequence above the active one);
  // kRefused and kFailed set last_error(). Counts everything but kNewer, which the caller
  // counts with applied() or refused() once the server has tried it.
  Outcome judge(const upstream::HttpGetResult& fetched, bundle::VerifiedBundle& candidate);
  void applied(const bundle::VerifiedBundle& b);
  void refused(std::string why);

  const std::string& etag() const { return etag_; }
  const std::string& last_error() const { return last_error_; }
  const PollCounts& counts() const { return counts_; }

 private:
  std::vector<bundle::BundleKey> trusted_;
  bool has_active_ = false;  // false until the first bundle: any sequence is then newer
  uint64_t active_sequence_ = 0;
  std::string active_digest_;
  std::string etag_;
  std::string last_error_;
  PollCounts counts_;
};

}  // namespace postern::controlplane
