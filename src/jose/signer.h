#pragma once
// JWS signing (development tokens from `postern token`, the backend JWT assertion).
#include <string>
#include <string_view>

#include "core/status.h"
#include "jose/alg.h"
#include "jose/key.h"

namespace postern::jose {

// Signs `signing_input` with `alg`, writing the raw JWS signature (ECDSA as R||S) to
// `signature`. Fails unless key.can_sign(alg). Ed25519 and HMAC are deterministic.
Status sign_signature(Alg alg, const Key& key, std::string_view signing_input, std::string& signature);

// Builds a compact JWS. The protected header is {"alg":"<alg>"[,"kid":"<key kid>"]
// [,<extra_header_fields>]}: `extra_header_fields` is the inside of a JSON object (e.g.
// "\"typ\":\"JWT\""), and the header must come out as a JSON object without duplicate
// members (so it cannot override alg or kid). `payload` is encoded verbatim: pass the
// claims JSON.
Status sign(Alg alg, const Key& key, std::string_view extra_header_fields, std::string_view payload,
            std::string& token);

}  // namespace postern::jose
