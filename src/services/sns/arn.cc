#include "services/sns/arn.h"

#include <fmt/format.h>

#include <algorithm>

namespace sluice::sns {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool IsTopicNameAnyKind(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  std::string_view base = name;
  if (base.size() > 5 && base.substr(base.size() - 5) == ".fifo") base.remove_suffix(5);
  return std::all_of(base.begin(), base.end(), IsNameChar);
}

}  // namespace

std::string TopicArn(std::string_view region, std::string_view account, std::string_view topic) {
  return fmt::format("arn:aws:sns:{}:{}:{}", region, account, topic);
}

std::optional<ArnParts> ParseArn(std::string_view arn) {
  std::string_view fields[5];
  std::size_t start = 0;
  for (std::string_view& f : fields) {
    const std::size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) return std::nullopt;
    f = arn.substr(start, colon - start);
    start = colon + 1;
  }
  if (fields[0] != "arn" || fields[1].empty()) return std::nullopt;
  ArnParts parts;
  parts.service = std::string(fields[2]);
  parts.region = std::string(fields[3]);
  parts.account = std::string(fields[4]);
  parts.resource = std::string(arn.substr(start));
  return parts;
}

std::optional<TopicRef> ParseTopicArn(std::string_view arn) {
  auto parts = ParseArn(arn);
  if (!parts || parts->service != "sns" || parts->region.empty() || parts->account.empty() ||
      !IsTopicNameAnyKind(parts->resource)) {
    return std::nullopt;
  }
  return TopicRef{std::move(parts->region), std::move(parts->account), std::move(parts->resource)};
}

std::optional<SubscriptionRef> ParseSubscriptionArn(std::string_view arn) {
  const std::size_t colon = arn.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == arn.size()) return std::nullopt;
  auto topic = ParseTopicArn(arn.substr(0, colon));
  if (!topic) return std::nullopt;
  const std::string_view id = arn.substr(colon + 1);
  if (id.size() > 64 || !std::all_of(id.begin(), id.end(), IsNameChar)) return std::nullopt;
  return SubscriptionRef{std::move(*topic), std::string(id)};
}

std::optional<QueueRef> ParseQueueArn(std::string_view arn) {
  auto parts = ParseArn(arn);
  if (!parts || parts->service != "sqs" || parts->account.empty() || parts->resource.empty() ||
      parts->resource.find(':') != std::string::npos) {
    return std::nullopt;
  }
  return QueueRef{std::move(parts->region), std::move(parts->account), std::move(parts->resource)};
}

std::size_t ArnElements(std::string_view arn) {
  return static_cast<std::size_t>(std::count(arn.begin(), arn.end(), ':')) + 1;
}

bool IsValidTopicName(std::string_view name, bool fifo) {
  if (name.empty() || name.size() > 256) return false;
  const bool has_suffix = name.size() > 5 && name.substr(name.size() - 5) == ".fifo";
  if (fifo != has_suffix) return false;
  if (has_suffix) name.remove_suffix(5);
  return std::all_of(name.begin(), name.end(), IsNameChar);
}

}  // namespace sluice::sns
