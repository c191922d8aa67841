#pragma once
// The revocation list a key manager publishes for gateways (`postern keymanager`,
// GET /oauth2/revocations): {"version":N,"revoked":[{"jti":"…","exp":<unix seconds>},…]},
// every revoked access token that has not expired yet. Parsing only: no I/O.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/status.h"

namespace postern::filters {

// Revoked token ids (`jti`) of one issuer. Built once per list and never changed, so every
// worker can read the same set without a lock.
using RevokedJtis = std::unordered_set<std::string>;

struct RevocationList {
  uint64_t version = 0;
  RevokedJtis jtis;
};

// Strict about what the gateway relies on: a JSON object with an unsigned integer
// `version` and a `revoked` array whose every entry is an object with a non-empty string
// `jti` and an integer `exp`; other members are ignored (a newer key manager may add some).
// Anything else fails with a message and leaves `out` unchanged: a list that is half
// understood is not used at all.
Status parse_revocation_list(std::string_view json, RevocationList& out);

}  // namespace postern::filters
