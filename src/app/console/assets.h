// The console's files (web/), compiled in by embed_assets.cmake: no file is read at run time.
#pragma once

#include <span>
#include <string_view>

namespace sluice::app::console {

struct Asset {
  std::string_view path;  // "/console.js"
  std::string_view content_type;
  std::string_view body;
  std::string_view etag;  // "\"<first 16 hex digits of the body's MD5>\"", computed at build time
};

std::span<const Asset> Assets();

}  // namespace sluice::app::console
