#include "services/sqs/queue_url.h"

#include <algorithm>

namespace sluice::sqs {
namespace {

bool IsAccountId(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A queue name as SQS allows it: 1-80 characters [A-Za-z0-9_-], FIFO names ending in ".fifo".
bool IsQueueName(std::string_view s) {
  constexpr std::string_view kFifo = ".fifo";
  if (s.empty() || s.size() > 80) return false;
  std::string_view stem = s;
  if (stem.size() > kFifo.size() && stem.substr(stem.size() - kFifo.size()) == kFifo) {
    stem.remove_suffix(kFifo.size());
  }
  for (char c : stem) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// A region as AWS spells them: lower-case letters, digits and '-', with a '-' and ending in a
// digit ("us-east-1", "us-gov-west-1", "eu-central-2").
bool IsRegion(std::string_view s) {
  if (s.size() < 4 || s.size() > 32 || s.find('-') == std::string_view::npos) return false;
  if (s.front() < 'a' || s.front() > 'z' || s.back() < '0' || s.back() > '9') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// The region an AWS-style queue host names: "sqs.<region>.…" (current) or "<region>.queue.…"
// (legacy); empty otherwise.
std::string_view HostRegion(std::string_view host) {
  if (const auto at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
  const auto dot1 = host.find('.');
  if (dot1 == std::string_view::npos) return {};
  const auto dot2 = host.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return {};
  const std::string_view first = host.substr(0, dot1);
  const std::string_view second = host.substr(dot1 + 1, dot2 - dot1 - 1);
  if (first == "sqs" && IsRegion(second)) return second;
  if (second == "queue" && IsRegion(first)) return first;
  return {};
}

}  // namespace

std::optional<engine::QueueId> ParseQueueUrl(std::string_view url, const UrlScope& scope) {
  // AWS accepts the bare queue name (QueueUrl="my-queue"): the caller's queue of that name.
  if (IsQueueName(url)) {
    return engine::QueueId{std::string(scope.account), std::string(url), std::string(scope.region)};
  }
  std::string_view path = url;
  std::string_view host_region;
  if (const auto scheme_end = url.find("://"); scheme_end != std::string_view::npos) {
    const std::string_view rest = url.substr(scheme_end + 3);
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    host_region = HostRegion(rest.substr(0, slash));
    path = rest.substr(slash);
  }
  // Two memchr scans rather than a test of each character for either (every request names its
  // queue by URL).
  path = path.substr(0, std::min(path.find('?'), path.find('#')));
  // Segments between '/': the first two and the last two are all that a queue URL's forms need
  // ("/ACCOUNT/NAME", "/queue/NAME", "/queue/<region>/ACCOUNT/NAME" and any prefix before them).
  std::string_view head[2], account, name;
  std::size_t count = 0;
  std::size_t pos = 0;
  if (!path.empty() && path.front() == '/') pos = 1;
  while (pos <= path.size()) {
    const auto next = path.find('/', pos);
    const auto end = next == std::string_view::npos ? path.size() : next;
    const std::string_view segment = path.substr(pos, end - pos);
    if (count < 2) head[count] = segment;
    ++count;
    account = name;
    name = segment;
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  if (count < 2 || name.empty()) return std::nullopt;
  engine::QueueId id;
  if (IsAccountId(account)) {
    id.account = std::string(account);
    if (count == 4 && head[0] == "queue" && IsRegion(head[1])) {
      id.region = std::string(head[1]);  // "/queue/<region>/ACCOUNT/NAME"
    } else if (!host_region.empty()) {
      id.region = std::string(host_region);
    } else {
      id.region = std::string(scope.default_region);
    }
  } else if (account == "queue" && count == 2) {
    id.account = std::string(scope.account);
    id.region = std::string(scope.region);
  } else {
    return std::nullopt;
  }
  id.name = std::string(name);
  return id;
}

std::string FormatQueueUrl(std::string_view scheme, std::string_view host,
                           const engine::QueueId& id, std::string_view default_region) {
  const bool other_region = !id.region.empty() && id.region != default_region;
  std::string url;
  url.reserve(scheme.size() + host.size() + id.account.size() + id.name.size() +
              (other_region ? id.region.size() + 7 : 0) + 5);
  url.append(scheme).append("://").append(host).append("/");
  if (other_region) url.append("queue/").append(id.region).append("/");
  url.append(id.account).append("/").append(id.name);
  return url;
}

}  // namespace sluice::sqs
