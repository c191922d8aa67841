#pragma once
// `postern hash-password`: reads a password from stdin and prints its scrypt hash (the
// format in filters/password_hash.h) for a Basic-auth user in postern.yaml.
//
// The password is never taken from argv (it would land in shell history and `ps`). On a
// TTY it prompts on stderr with echo off and asks for it twice; otherwise it reads one line
// (a trailing "\n" or "\r\n" is stripped), e.g. `postern hash-password < pw.txt`.
// Exit 0 with the hash and a newline on stdout; exit 1 on an empty password, a mismatched
// confirmation, a read error, or a hashing failure (message on stderr).

namespace postern::cli {

int run_hash_password();

}  // namespace postern::cli
