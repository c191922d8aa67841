#pragma once
// The Boost.Asio names the data plane uses, in one place.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

namespace postern::net {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
template <class T>
using awaitable = asio::awaitable<T>;
// Completion token for coroutines that report errors through an error_code, not exceptions
// (the data plane never throws on I/O errors).
inline auto with_ec(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }
}  // namespace postern::net
