#include "app/alarm_notifier.h"

#include <fmt/format.h>

#include <future>
#include <memory>
#include <string>
#include <utility>

#include "auth/auth.h"
#include "common/ids.h"

namespace sluice::app {

SnsAlarmNotifier::SnsAlarmNotifier(protocol::Handler publish, bool authenticated,
                                   std::chrono::milliseconds timeout)
    : publish_(std::move(publish)), authenticated_(authenticated), timeout_(timeout) {}

Status SnsAlarmNotifier::Publish(std::string_view account, std::string_view topic_arn,
                                 std::string_view subject, std::string_view message) {
  if (!publish_) return Status(ErrorCode::kServiceUnavailable, "SNS is not available");
  // arn:aws:sns:REGION:ACCOUNT:NAME: the topic's region is where the publish acts.
  std::string_view rest = topic_arn.substr(std::min(topic_arn.size(), std::size_t{12}));
  const std::string region(rest.substr(0, rest.find(':')));
  RequestContext ctx;
  ctx.request_id = NewUuid();
  ctx.account_id = std::string(account);
  ctx.region = region;
  ctx.protocol = WireProtocol::kQuery;
  if (authenticated_) {
    auto root = std::make_shared<auth::Principal>();
    root->kind = auth::Principal::Kind::kRoot;
    root->account_id = std::string(account);
    root->arn = fmt::format("arn:aws:iam::{}:root", account);
    root->unique_id = std::string(account);
    root->name = "root";
    ctx.authenticated = true;
    ctx.principal_arn = root->arn;
    ctx.sender_id = root->unique_id;
    ctx.principal = std::move(root);
  }
  protocol::Value input = protocol::Value::Struct();
  input.Set("TopicArn", protocol::Value::String(std::string(topic_arn)));
  if (!subject.empty()) input.Set("Subject", protocol::Value::String(std::string(subject)));
  input.Set("Message", protocol::Value::String(std::string(message)));
  auto done = std::make_shared<std::promise<Status>>();
  std::future<Status> answer = done->get_future();
  publish_(ctx, std::move(input), [done](Result<protocol::Value> r) {
    done->set_value(r.ok() ? Status::Ok() : r.status());
  });
  if (answer.wait_for(timeout_) != std::future_status::ready) {
    return Status(ErrorCode::kServiceUnavailable, "the publish was not answered in time");
  }
  return answer.get();
}

}  // namespace sluice::app
