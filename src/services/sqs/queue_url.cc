#include "services/sqs/queue_url.h"

#include <vector>

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

}  // namespace

std::optional<engine::QueueId> ParseQueueUrl(std::string_view url,
                                             std::string_view default_account) {
  // AWS accepts the bare queue name (QueueUrl="my-queue"): the caller's queue of that name.
  if (IsQueueName(url)) return engine::QueueId{std::string(default_account), std::string(url)};
  std::string_view path = url;
  if (const auto scheme_end = url.find("://"); scheme_end != std::string_view::npos) {
    const std::string_view rest = url.substr(scheme_end + 3);
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    path = rest.substr(slash);
  }
  if (const auto cut = path.find_first_of("?#"); cut != std::string_view::npos) {
    path = path.substr(0, cut);
  }
  std::vector<std::string_view> segments;
  std::size_t pos = 0;
  if (!path.empty() && path.front() == '/') pos = 1;
  while (pos <= path.size()) {
    const auto next = path.find('/', pos);
    const auto end = next == std::string_view::npos ? path.size() : next;
    segments.push_back(path.substr(pos, end - pos));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  if (segments.size() < 2) return std::nullopt;
  const std::string_view account = segments[segments.size() - 2];
  const std::string_view name = segments.back();
  if (name.empty()) return std::nullopt;
  engine::QueueId id;
  if (IsAccountId(account)) {
    id.account = std::string(account);
  } else if (account == "queue" && segments.size() == 2) {
    id.account = std::string(default_account);
  } else {
    return std::nullopt;
  }
  id.name = std::string(name);
  return id;
}

std::string FormatQueueUrl(std::string_view scheme, std::string_view host,
                           const engine::QueueId& id) {
  std::string url;
  url.reserve(scheme.size() + host.size() + id.account.size() + id.name.size() + 5);
  url.append(scheme).append("://").append(host).append("/").append(id.account).append("/");
  url.append(id.name);
  return url;
}

}  // namespace sluice::sqs
