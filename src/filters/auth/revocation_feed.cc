#include "filters/auth/revocation_feed.h"

#include "upstream/http_get.h"

namespace postern::filters {

RevocationFeed::Outcome RevocationFeed::apply(const upstream::HttpGetResult& fetched) {
  if (!fetched.ok) return fail(fetched.error.empty() ? "HTTP status " + std::to_string(fetched.status) : fetched.error);
  if (fetched.not_modified) {
    // Only a conditional GET gets a 304, and we ask conditionally only with a list in hand.
    if (!jtis_) return fail("304 Not Modified without a list to keep");
    return succeed(Outcome::kNotModified);
  }
  RevocationList list;
  if (Status s = parse_revocation_list(fetched.body, list); !s) return fail("not a revocation list: " + s.message());
  etag_ = fetched.etag;
  version_ = list.version;
  // A server without ETags sends the whole list every time: the same ids are no news (the
  // workers are not bothered and nothing is logged).
  if (jtis_ && *jtis_ == list.jtis) return succeed(Outcome::kNotModified);
  jtis_ = std::make_shared<const RevokedJtis>(std::move(list.jtis));
  return succeed(Outcome::kUpdated);
}

RevocationFeed::Outcome RevocationFeed::succeed(Outcome o) {
  ++(o == Outcome::kUpdated ? counts_.updated : counts_.not_modified);
  failures_in_a_row_ = 0;
  last_error_.clear();
  return o;
}

RevocationFeed::Outcome RevocationFeed::fail(std::string why) {
  ++counts_.failed;
  ++failures_in_a_row_;
  last_error_ = std::move(why);
  return Outcome::kFailed;
}

}  // namespace postern::filters
