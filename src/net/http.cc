#include "net/http.h"

#include <strings.h>

#include <cstddef>

namespace sluice::net {

const std::string* FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), name.size()) == 0) return &v;
  }
  return nullptr;
}

std::string_view HttpRequest::Path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view HttpRequest::Query() const {
  std::string_view t = target;
  const auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

namespace {

constexpr std::size_t kPooledBodies = 16;
constexpr std::size_t kMaxPooledCapacity = 64u << 10;
constexpr std::size_t kMaxPooledBytes = 256u << 10;  // per thread

struct BodyPool {
  std::vector<std::string> free;  // most recently written last
  std::size_t bytes = 0;          // their capacities
};

BodyPool& ThreadBodyPool() {
  thread_local BodyPool pool;
  return pool;
}

}  // namespace

std::string TakeBodyBuffer() {
  BodyPool& pool = ThreadBodyPool();
  if (pool.free.empty()) return {};
  std::string b = std::move(pool.free.back());
  pool.free.pop_back();
  pool.bytes -= b.capacity();
  b.clear();
  return b;
}

void RecycleBodyBuffer(std::string&& body) {
  const std::size_t capacity = body.capacity();
  if (capacity <= std::string().capacity() || capacity > kMaxPooledCapacity) return;
  BodyPool& pool = ThreadBodyPool();
  if (pool.free.size() >= kPooledBodies || pool.bytes + capacity > kMaxPooledBytes) return;
  if (pool.free.capacity() == 0) pool.free.reserve(kPooledBodies);
  pool.bytes += capacity;
  pool.free.push_back(std::move(body));
}

}  // namespace sluice::net
