#pragma once
// `postern keymanager --config km.yaml`: serves the KeyManager's endpoints over HTTP/1.1
// (HTTPS when km.yaml has `tls`) with Boost.Beast on one thread, logs one access-log line
// per request, and keeps the key schedule (KeyRing::maintain every 10 s). Runs until
// SIGTERM or SIGINT.
#include "keymanager/km_config.h"

namespace postern::keymanager {

int run_keymanager(const KmConfig& config);

}  // namespace postern::keymanager
