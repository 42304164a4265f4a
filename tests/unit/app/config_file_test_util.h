// A fixture for tests of the configuration file: a fresh directory per test and Load(toml).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "app/config.h"

namespace sluice::app {

class ConfigFileTest : public ::testing::Test {
 protected:
  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / ("sluice-config-test-" + std::to_string(::getpid()));
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `toml` to dir_/sluice.toml (relative paths in it resolve against dir_) and loads it.
  Status Load(const std::string& toml, Config& config) {
    const auto path = dir_ / "sluice.toml";
    std::ofstream(path) << toml;
    return LoadConfigFile(path.string(), config);
  }
};

}  // namespace sluice::app
