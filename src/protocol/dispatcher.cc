#include "protocol/dispatcher.h"

#include <strings.h>

#include <string>
#include <utility>
#include <vector>

#include "common/ids.h"
#include "protocol/errors.h"
#include "protocol/json_codec.h"
#include "protocol/model.h"
#include "protocol/query_codec.h"

namespace sluice::protocol {

struct Dispatcher::State {
  ServiceDefinition def;
  std::vector<const Handler*> handlers;  // by operation index in the model
  std::string xml_namespace;
  std::string json_namespace;  // "com.amazonaws.sqs#"

  ErrorInfo Info(ErrorCode code) const {
    if (def.error_info) {
      ErrorInfo info = def.error_info(code);
      if (!info.query_code.empty()) return info;
    }
    return DefaultErrorInfo(code, json_namespace);
  }

  void RespondError(const net::Responder& respond, WireProtocol protocol, const Status& st,
                    std::string_view request_id) const {
    const ErrorInfo info = Info(st.code());
    respond(protocol == WireProtocol::kJson
                ? RenderJsonError(def.model->metadata(), info, st.message(), request_id)
                : RenderQueryError(xml_namespace, info, st.message(), request_id));
  }
};

namespace {

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

bool IsFormOrAbsent(const std::string* content_type) {
  if (content_type == nullptr) return true;
  std::string_view ct = *content_type;
  while (!ct.empty() && ct.front() == ' ') ct.remove_prefix(1);
  return ct.empty() || StartsWithIgnoreCase(ct, "application/x-www-form-urlencoded");
}

std::string InvalidActionMessage(std::string_view action) {
  std::string msg = "The action ";
  msg += action;
  msg += " is not valid for this endpoint.";
  return msg;
}

}  // namespace

Dispatcher::Dispatcher(ServiceDefinition service) {
  auto state = std::make_shared<State>();
  state->def = std::move(service);
  if (const ServiceModel* model = state->def.model) {
    const auto ops = model->operations();
    state->handlers.assign(ops.size(), nullptr);
    for (std::size_t i = 0; i < ops.size(); ++i) {
      auto it = state->def.handlers.find(std::string(ops[i].name));
      if (it != state->def.handlers.end() && it->second) state->handlers[i] = &it->second;
    }
    state->xml_namespace = state->def.xml_namespace.empty()
                               ? std::string(model->metadata().xml_namespace)
                               : state->def.xml_namespace;
    std::string ns = "com.amazonaws.";
    for (char c : model->metadata().signing_name) ns += static_cast<char>(c | 0x20);
    ns += '#';
    state->json_namespace = std::move(ns);
  }
  state_ = std::move(state);
}

const ServiceDefinition& Dispatcher::service() const { return state_->def; }

void Dispatcher::Handle(net::HttpRequest&& req, net::Responder respond) const {
  const State& st = *state_;
  RequestContext ctx;
  ctx.request_id = NewUuid();
  if (const std::string* host = req.Header("Host")) ctx.host = *host;
  ctx.path = std::string(req.Path());
  ctx.source_ip = req.remote_address;
  ctx.secure = req.secure;

  if (st.def.model == nullptr) {
    ctx.protocol = WireProtocol::kQuery;
    ErrorInfo info = DefaultErrorInfo(ErrorCode::kInternalError, "");
    respond(
        RenderQueryError(st.xml_namespace, info, "Service model not configured.", ctx.request_id));
    return;
  }
  const ServiceModel& model = *st.def.model;
  const ServiceMetadata& md = model.metadata();

  const OperationDef* op = nullptr;
  Result<Value> input = Value::Struct();
  const std::string* target = md.SupportsJson() ? req.Header("X-Amz-Target") : nullptr;
  const bool json = target != nullptr || !md.SupportsQuery();
  if (st.def.authenticate) {
    ctx.protocol = json ? WireProtocol::kJson : WireProtocol::kQuery;
    if (Status auth = st.def.authenticate(req, ctx); !auth.ok()) {
      st.RespondError(respond, ctx.protocol, auth, ctx.request_id);
      return;
    }
  }
  if (json) {
    ctx.protocol = WireProtocol::kJson;
    std::string_view t = target != nullptr ? std::string_view(*target) : std::string_view();
    std::string_view op_name;
    if (t.size() > md.target_prefix.size() &&
        t.substr(0, md.target_prefix.size()) == md.target_prefix &&
        t[md.target_prefix.size()] == '.') {
      op_name = t.substr(md.target_prefix.size() + 1);
      op = model.FindOperation(op_name);
    }
    if (op == nullptr || st.handlers[op - model.operations().data()] == nullptr) {
      // The service's table gives kInvalidAction's JSON __type (UnknownOperationException).
      const ErrorInfo info = st.Info(ErrorCode::kInvalidAction);
      std::string msg = target == nullptr ? std::string("Missing X-Amz-Target header.")
                                          : InvalidActionMessage(op_name.empty() ? t : op_name);
      respond(RenderJsonError(md, info, msg, ctx.request_id));
      return;
    }
    input = DecodeJson(model, op->input, req.body);
  } else {
    ctx.protocol = WireProtocol::kQuery;
    QueryParams params;
    Status parsed = ParseFormEncoded(req.Query(), &params);
    if (parsed.ok() && !req.body.empty() && IsFormOrAbsent(req.Header("Content-Type"))) {
      parsed = ParseFormEncoded(req.body, &params);
    }
    if (!parsed.ok()) {
      st.RespondError(respond, ctx.protocol, parsed, ctx.request_id);
      return;
    }
    const std::string* action = FindParam(params, "Action");
    if (action == nullptr || action->empty()) {
      st.RespondError(
          respond, ctx.protocol,
          Status(ErrorCode::kMissingAction, "The request must contain the parameter Action."),
          ctx.request_id);
      return;
    }
    op = model.FindOperation(*action);
    if (op == nullptr || st.handlers[op - model.operations().data()] == nullptr) {
      st.RespondError(respond, ctx.protocol,
                      Status(ErrorCode::kInvalidAction, InvalidActionMessage(*action)),
                      ctx.request_id);
      return;
    }
    input = DecodeQuery(model, op->input, params);
  }
  if (!input.ok()) {
    st.RespondError(respond, ctx.protocol, input.status(), ctx.request_id);
    return;
  }
  if (st.def.prepare_input) {
    Status prepared = st.def.prepare_input(ctx, op->name, *input);
    if (!prepared.ok()) {
      st.RespondError(respond, ctx.protocol, prepared, ctx.request_id);
      return;
    }
  }
  // A request addressed to a resource path ("/<account>/<queue>") may carry the resource's
  // identifier in the path instead of a required string member: the handler resolves it.
  const bool path_addressed = !ctx.path.empty() && ctx.path != "/";
  if (Status req_st = CheckRequired(model, op->input, *input, ctx.protocol, path_addressed);
      !req_st.ok()) {
    st.RespondError(respond, ctx.protocol, req_st, ctx.request_id);
    return;
  }

  const Handler& handler = *st.handlers[op - model.operations().data()];
  Reply reply = [state = state_, op, protocol = ctx.protocol, request_id = ctx.request_id,
                 respond = std::move(respond)](Result<Value> result) {
    if (!result.ok()) {
      state->RespondError(respond, protocol, result.status(), request_id);
      return;
    }
    const ServiceModel& m = *state->def.model;
    respond(protocol == WireProtocol::kJson
                ? RenderJsonSuccess(m, *op, *result, request_id)
                : RenderQuerySuccess(m, *op, *result, state->xml_namespace, request_id));
  };
  handler(ctx, std::move(*input), std::move(reply));
}

}  // namespace sluice::protocol
