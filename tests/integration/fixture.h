#pragma once
// GoogleTest fixture: one echo backend + one gateway per test, logs printed on failure.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <iostream>

#include "harness.h"

namespace postern::itest {

class GatewayTest : public ::testing::Test {
 protected:
  void start_echo() {
    if (!echo) echo = std::make_unique<Echo>(tmp.path());
  }

  // Starts the echo backend (once) and a gateway serving the pets API in front of it.
  // Use as ASSERT_NO_FATAL_FAILURE(start_gateway(...)).
  void start_gateway(GatewayOptions options = {}) {
    start_echo();
    if (options.apis.empty()) options.apis["pets.yaml"] = pets_api(echo->url());
    gw = std::make_unique<Gateway>(tmp / "project", std::move(options));
    std::string why;
    ASSERT_TRUE(gw->start(&why)) << why;
  }

  int port() const { return gw->http_port(); }

  void TearDown() override {
    // Every test ends with a clean shutdown: SIGTERM -> exit 0, and no sanitizer report in
    // any process log (under ASan/UBSan this is where a leak or UB in the gateway shows).
    if (gw && gw->running()) {
      if (gw->process().alive()) {
        gw->process().signal(SIGTERM);
        auto st = gw->process().wait_exit(15000ms);
        EXPECT_TRUE(st) << "gateway did not exit within 15 s of SIGTERM";
        if (st) {
          EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0)
              << "gateway " << describe_status(*st) << " after SIGTERM";
        }
      }
      EXPECT_EQ(sanitizer_report(gw->log()), "") << "sanitizer report in the gateway log";
    }
    if (echo) {
      echo->process().stop();
      EXPECT_EQ(sanitizer_report(echo->process().log()), "") << "sanitizer report in the echo log";
    }
    if (!HasFailure()) return;
    if (gw) {
      std::string log = gw->log();
      if (log.size() > 20000) log = "...\n" + log.substr(log.size() - 20000);
      std::cerr << "----- postern log (" << gw->dir() << ") -----\n" << log << "-----\n";
    }
    if (echo) {
      std::string log = echo->process().log();
      if (log.size() > 4000) log = "...\n" + log.substr(log.size() - 4000);
      std::cerr << "----- echo log -----\n" << log << "-----\n";
    }
  }

  TempDir tmp;
  std::unique_ptr<Echo> echo;
  std::unique_ptr<Gateway> gw;
};

// Stops a gateway the test started itself and checks it shut down cleanly.
inline void expect_clean_stop(Gateway& g) {
  if (!g.running()) return;
  if (g.process().alive()) {
    g.process().signal(SIGTERM);
    auto st = g.process().wait_exit(15000ms);
    EXPECT_TRUE(st) << "gateway did not exit within 15 s of SIGTERM";
    if (st) {
      EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << "gateway " << describe_status(*st);
    }
  }
  EXPECT_EQ(sanitizer_report(g.log()), "") << "sanitizer report in " << g.dir();
}

// The echo reply carried by a proxied response (fails the test when it is not JSON).
inline Json echo_of(const Response& r) {
  auto j = r.json();
  EXPECT_TRUE(j && j->is_object()) << "not an echo JSON body: " << r.raw_head << r.body.substr(0, 500);
  return j ? *j : Json{};
}

// Values the echo saw for a (lower-case) request header.
inline std::vector<std::string> echo_header(const Json& echo, const std::string& name) {
  std::vector<std::string> out;
  for (auto& v : echo["headers"][name].arr()) out.push_back(v.str());
  return out;
}

// A local error reply: the status, and a JSON body {"code":status,"message":..,"description":..}.
inline void expect_json_error(const Response& r, int status) {
  EXPECT_EQ(r.status, status) << r.raw_head << r.body;
  auto ct = r.header("content-type");
  EXPECT_TRUE(ct && ct->find("application/json") != std::string::npos) << "Content-Type: " << ct.value_or("(none)");
  auto j = r.json();
  ASSERT_TRUE(j && j->is_object()) << "error body is not a JSON object: " << r.body;
  EXPECT_EQ((*j)["code"].num(), status) << r.body;
  EXPECT_TRUE((*j)["message"].is_string()) << r.body;
  EXPECT_TRUE((*j)["description"].is_string()) << r.body;
}

}  // namespace postern::itest
