// The CloudWatch registry (action -> handler) and the helpers the handlers share.
#include "services/monitoring/monitoring_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "auth/auth.h"
#include "common/encoding.h"
#include "models/monitoring_model.h"
#include "services/monitoring/errors.h"
#include "services/monitoring/handlers.h"

namespace sluice::monitoring {

Scope ScopeOf(const RequestContext& ctx) { return Scope{ctx.account_id, ctx.region}; }

Status Authorize(const Cw& cw, const RequestContext& ctx, std::string_view action) {
  return services::Authorize(cw.platform, ctx, action,
                             auth::Resource{"*", ctx.account_id, {}, false});
}

Status InvalidValue(std::string message) {
  return Status(ErrorCode::kInvalidParameterValue, std::move(message));
}
Status InvalidCombination(std::string message) {
  return Status(ErrorCode::kInvalidParameterCombination, std::move(message));
}
Status Missing(std::string message) {
  return Status(ErrorCode::kMissingParameter, std::move(message));
}

std::optional<double> NumberOf(const Value* v) {
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (v->kind() == Value::Kind::kDouble) return v->as_double();
  if (v->kind() == Value::Kind::kInt) return static_cast<double>(v->as_int());
  return std::nullopt;
}

std::string StringOf(const Value& input, std::string_view name) {
  auto v = input.GetString(name);
  return v ? std::string(*v) : std::string();
}

std::vector<std::string> StringsOf(const Value* list) {
  std::vector<std::string> out;
  if (list == nullptr || !list->is_list()) return out;
  for (const Value& v : list->items()) {
    if (v.is_string()) out.push_back(v.as_string());
  }
  return out;
}

Result<Dimensions> DimensionsOf(const Value* list, std::string_view param) {
  Dimensions dims;
  if (list == nullptr || !list->is_list()) return dims;
  for (const Value& d : list->items()) {
    dims.emplace_back(StringOf(d, "Name"), StringOf(d, "Value"));
  }
  std::sort(dims.begin(), dims.end());
  for (std::size_t i = 1; i < dims.size(); ++i) {
    if (dims[i].first == dims[i - 1].first) {
      return InvalidValue(fmt::format("No metric may have duplicate dimension names: {} ({})",
                                      dims[i].first, param));
    }
  }
  return dims;
}

Value DimensionsValue(const Dimensions& dims) {
  Value list = Value::List();
  for (const auto& [k, v] : dims) {
    Value d = Value::Struct();
    d.Set("Name", Value::String(k));
    d.Set("Value", Value::String(v));
    list.Append(std::move(d));
  }
  return list;
}

std::string PageToken(std::string_view position) { return Base64UrlEncode(position); }

Result<std::string> TokenPosition(const Value& input) {
  auto token = input.GetString("NextToken");
  if (!token) return std::string();
  auto position = Base64UrlDecode(*token);
  if (!position || position->empty()) {
    return Status(CwError::kInvalidNextToken, "The service couldn't process the token.");
  }
  return std::move(*position);
}

protocol::ServiceDefinition MakeMonitoringService(const services::Platform& platform,
                                                  CloudWatch& cloudwatch) {
  auto cw = std::make_shared<const Cw>(Cw{platform, cloudwatch});
  static constexpr services::Action<Cw> kActions[] = {
      {"DeleteAlarms", &DeleteAlarms},
      {"DeleteDashboards", &DeleteDashboards},
      {"DescribeAlarmHistory", &DescribeAlarmHistory},
      {"DescribeAlarms", &DescribeAlarms},
      {"DescribeAlarmsForMetric", &DescribeAlarmsForMetric},
      {"DisableAlarmActions", &DisableAlarmActions},
      {"EnableAlarmActions", &EnableAlarmActions},
      {"GetDashboard", &GetDashboard},
      {"GetMetricData", &GetMetricData},
      {"GetMetricStatistics", &GetMetricStatistics},
      {"ListDashboards", &ListDashboards},
      {"ListMetrics", &ListMetrics},
      {"ListTagsForResource", &ListTagsForResource},
      {"PutCompositeAlarm", &PutCompositeAlarm},
      {"PutDashboard", &PutDashboard},
      {"PutMetricAlarm", &PutMetricAlarm},
      {"PutMetricData", &PutMetricData},
      {"SetAlarmState", &SetAlarmState},
      {"TagResource", &TagResource},
      {"UntagResource", &UntagResource},
  };
  return services::DefineService<Cw>(platform, models::Monitoring(), CloudWatchErrorTable(),
                                     std::move(cw), kActions);
}

}  // namespace sluice::monitoring
