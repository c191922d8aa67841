#pragma once
// Which relative paths a bundle may hold. The same rule is applied when a bundle is built
// (so a project that cannot be bundled is refused up front, naming the file) and when one is
// read (so an untrusted bundle can never name a file outside the directory it is extracted
// into).
#include <string_view>

#include "core/status.h"

namespace postern::bundle {

// ok when `path` is a relative path of '/'-separated components, each non-empty, not "." or
// "..", made only of [A-Za-z0-9._+@=,-] and not starting with '-', at most kMaxPathBytes
// bytes. Everything else (absolute paths, backslashes, spaces, control bytes, non-ASCII) is
// refused with a message naming the path.
Status check_bundle_path(std::string_view path);

}  // namespace postern::bundle
