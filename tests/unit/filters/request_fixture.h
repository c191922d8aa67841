#pragma once
// Drives filters without sockets: a parsed request head, a route of one API, per-worker
// slots, and the RequestContext the session would build from them.
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "config/snapshot.h"
#include "filters/context.h"
#include "filters/worker_slots.h"
#include "http/head_parser.h"

namespace postern::filters::testing {

class RequestFixture {
 public:
  explicit RequestFixture(std::shared_ptr<SlotRegistry> registry = std::make_shared<SlotRegistry>())
      : registry_(std::move(registry)), slots_(registry_, SlotEnv{&loop_, 0}) {
    api_.name = "Pets";
    api_.version = "1.0.0";
    api_.base_path = "/pets/1.0.0";
    route_.api = &api_;
    route_.method_text = "GET";
    route_.resource_path = "/items";
    route_.full_template = "/pets/1.0.0/items";
    route_.security = std::make_shared<config::RouteSecurity>();
  }

  // Parses `head` (a whole request head, CRLF line ends) and makes a context for it.
  RequestContext& request(std::string head) {
    raw_ = std::move(head);
    request_.clear();
    http::HeadError err = http::parse_request_head(raw_.data(), raw_.size(), 4096, request_);
    EXPECT_FALSE(err) << err.reason;
    ctx_.reset();
    ctx_.emplace(request_, request_.path, route_, slots_, 1'700'000'000'000);
    ctx_->client_ip = "192.0.2.7";
    return *ctx_;
  }

  // The route opts out of security (x-wso2-disable-security: true).
  void make_route_open() {
    auto open = std::make_shared<config::RouteSecurity>();
    open->disabled = true;
    route_.security = open;
  }

  config::Api& api() { return api_; }
  config::Route& route() { return route_; }
  WorkerSlots& slots() { return slots_; }
  SlotRegistry& registry() { return *registry_; }
  net::asio::io_context& loop() { return loop_; }

 private:
  net::asio::io_context loop_;
  std::shared_ptr<SlotRegistry> registry_;
  WorkerSlots slots_;
  config::Api api_;
  config::Route route_;
  std::string raw_;
  http::RequestHead request_;
  std::optional<RequestContext> ctx_;
};

}  // namespace postern::filters::testing
