#include "app/provision/invoker.h"

#include <fmt/format.h>

#include <future>

#include "protocol/errors.h"
#include "protocol/model.h"

namespace sluice::provision {

Invoker::Invoker(std::vector<protocol::ServiceDefinition> services) {
  for (auto& def : services) {
    Service s;
    if (def.validate_input) s.validator = std::make_unique<protocol::Validator>(*def.model);
    const std::string name(def.model->metadata().signing_name);
    s.def = std::move(def);
    services_.emplace(name, std::move(s));
  }
}

Invoker::~Invoker() = default;

Result<protocol::Value> Invoker::Call(std::string_view service, std::string_view operation,
                                      const RequestContext& ctx, protocol::Value input) const {
  auto it = services_.find(service);
  const protocol::OperationDef* op =
      it == services_.end() ? nullptr : it->second.def.model->FindOperation(operation);
  auto handler = op == nullptr ? it->second.def.handlers.end()
                               : it->second.def.handlers.find(std::string(operation));
  if (op == nullptr || handler == it->second.def.handlers.end()) {
    return Status(ErrorCode::kInvalidAction,
                  fmt::format("the action {} of {} is not available", operation, service));
  }
  const Service& svc = it->second;
  if (svc.def.prepare_input) {
    if (Status s = svc.def.prepare_input(ctx, op->name, input); !s.ok()) return s;
  }
  if (Status s = svc.validator ? svc.validator->Validate(op->input, input)
                               : protocol::CheckRequired(*svc.def.model, op->input, input,
                                                         WireProtocol::kJson);
      !s.ok()) {
    return s;
  }
  auto promise = std::make_shared<std::promise<Result<protocol::Value>>>();
  auto answer = promise->get_future();
  handler->second(ctx, std::move(input), [promise](Result<protocol::Value> result) {
    promise->set_value(std::move(result));
  });
  return answer.get();
}

std::string Invoker::ErrorName(std::string_view service, const Status& status) const {
  auto it = services_.find(service);
  if (it == services_.end()) return "InternalFailure";
  const protocol::ErrorInfo info = protocol::ResolveError(it->second.def.errors, status.code());
  // What the service's clients match: the JSON shape name where it speaks JSON, else the Query
  // code (SNS).
  if (!it->second.def.model->metadata().SupportsJson()) return info.query_code;
  const auto hash = info.json_type.rfind('#');
  return hash == std::string::npos ? info.json_type : info.json_type.substr(hash + 1);
}

}  // namespace sluice::provision
