#pragma once
// A throwaway project folder per test. The cwd is moved to its parent so diagnostics show
// the short relative path "proj/..." exactly as a user who typed `postern validate proj` sees.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/loader.h"

namespace postern::config::testing {

class ProjectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_cwd_ = std::filesystem::current_path();
    root_ = std::filesystem::temp_directory_path() / ("postern-test-" + std::to_string(::getpid()) + "-" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "proj" / "apis");
    std::filesystem::current_path(root_);
  }
  void TearDown() override {
    std::filesystem::current_path(old_cwd_);
    std::filesystem::remove_all(root_);
  }

  void write(const std::string& rel, const std::string& content) {
    std::filesystem::path p = root_ / "proj" / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << content;
  }

  static constexpr const char* kMinimalGateway = "listeners:\n  - {name: http, address: \"127.0.0.1:9090\"}\n";

  LoadResult load() { return load_project("proj"); }

  static std::vector<std::string> errors(const LoadResult& r) {
    std::vector<std::string> out;
    for (const auto& d : r.diagnostics) out.push_back(d.format());
    return out;
  }

  std::filesystem::path root_;
  std::filesystem::path old_cwd_;
};

}  // namespace postern::config::testing
