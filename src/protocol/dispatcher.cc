#include "protocol/dispatcher.h"

#include <strings.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/ids.h"
#include "protocol/cbor_codec.h"
#include "protocol/content_encoding.h"
#include "protocol/errors.h"
#include "protocol/json_codec.h"
#include "protocol/model.h"
#include "protocol/query_codec.h"
#include "protocol/validation.h"

namespace sluice::protocol {

struct Dispatcher::Service {
  ServiceDefinition def;
  std::vector<const Handler*> handlers;  // by operation index in the model
  std::string xml_namespace;
  std::unique_ptr<Validator> validator;  // def.validate_input

  ErrorInfo Info(ErrorId code) const { return ResolveError(def.errors, code); }

  void RespondError(const net::Responder& respond, WireProtocol protocol, const Status& st,
                    std::string_view request_id) const {
    const ErrorInfo info = Info(st.code());
    switch (protocol) {
      case WireProtocol::kJson:
        return respond(RenderJsonError(def.model->metadata(), info, st.message(), request_id));
      case WireProtocol::kCbor:
        return respond(RenderCborError(def.model->metadata(), info, st.message(), request_id));
      case WireProtocol::kQuery:
        return respond(RenderQueryError(xml_namespace, info, st.message(), request_id));
    }
  }

  bool SupportsJson() const { return def.model != nullptr && def.model->metadata().SupportsJson(); }
  bool SupportsCbor() const { return def.model != nullptr && def.model->metadata().SupportsCbor(); }
  bool SupportsQuery() const {
    return def.model != nullptr && def.model->metadata().SupportsQuery();
  }

  // The operation named `name` when this service has a handler for it, else nullptr.
  const OperationDef* Find(std::string_view name) const {
    if (def.model == nullptr) return nullptr;
    const OperationDef* op = def.model->FindOperation(name);
    if (op == nullptr || handlers[op - def.model->operations().data()] == nullptr) return nullptr;
    return op;
  }
};

struct Dispatcher::State {
  RequestDefaults defaults;
  AccessLog access_log;
  std::vector<std::shared_ptr<const Service>> services;  // [0] = default
  const Service* default_json = nullptr;                 // first service speaking awsJson
  const Service* default_query = nullptr;                // first service speaking awsQuery
  const Service* default_cbor = nullptr;                 // first service speaking RPC v2 CBOR
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

// Field `index` (0: key id, 1: date, 2: region, 3: service) of a SigV4 credential
// "AKID/20240115/us-east-1/sqs/aws4_request"; empty when malformed.
std::string_view CredentialField(std::string_view credential, int index) {
  std::size_t pos = 0;
  for (int i = 0; i < index; ++i) {
    pos = credential.find('/', pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  const std::size_t end = credential.find('/', pos);
  if (end == std::string_view::npos) return {};
  return credential.substr(pos, end - pos);
}

// The credential of a signed request's Authorization header; empty when there is none.
std::string_view HeaderCredential(const net::HttpRequest& req) {
  const std::string* auth = req.Header("Authorization");
  if (auth == nullptr) return {};
  std::string_view a = *auth;
  const std::size_t c = a.find("Credential=");
  if (c == std::string_view::npos) return {};
  a.remove_prefix(c + 11);
  // Up to the first ',' or ' ': two memchr (not find_first_of(", "), which runs a memchr over the
  // set for every character, nor a byte loop, which costs about 8 instructions a byte).
  a = a.substr(0, a.find(','));
  return a.substr(0, a.find(' '));
}

// The credential scope's service name of a signed request (Authorization header or presigned
// X-Amz-Credential); empty when the request is not signed. Only used to route ambiguous requests.
std::string_view ScopeService(const net::HttpRequest& req, const QueryParams* params) {
  if (req.Header("Authorization") != nullptr) return CredentialField(HeaderCredential(req), 3);
  if (params != nullptr) {
    if (const std::string* cred = FindParam(*params, "X-Amz-Credential")) {
      return CredentialField(*cred, 3);
    }
  }
  return {};
}

// A region name as AWS spells them ("us-east-1", "eu-central-2", "us-gov-west-1").
bool LooksLikeRegion(std::string_view r) {
  if (r.empty() || r.size() > 32) return false;
  for (char c : r) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// The account and region the request acts in (see dispatcher.h), once authentication has run.
void SetScope(const RequestDefaults& defaults, const net::HttpRequest& req,
              const QueryParams* params, RequestContext& ctx) {
  if (!ctx.authenticated) ctx.account_id = defaults.account_id;
  std::string_view region = ctx.signing_region;
  if (region.empty()) {
    std::string_view credential = HeaderCredential(req);
    if (credential.empty() && params != nullptr) {
      if (const std::string* cred = FindParam(*params, "X-Amz-Credential")) credential = *cred;
    }
    region = CredentialField(credential, 2);
  }
  ctx.region = LooksLikeRegion(region) ? std::string(region) : defaults.region;
}

// Splits an RPC v2 path ".../service/<Service>/operation/<Op>" (a prefix before "/service/" is
// allowed, as the Smithy spec allows endpoints with a path); false for any other path.
bool RpcV2Path(std::string_view path, std::string_view* service, std::string_view* operation) {
  const std::size_t op_at = path.rfind("/operation/");
  if (op_at == std::string_view::npos) return false;
  *operation = path.substr(op_at + 11);
  const std::string_view head = path.substr(0, op_at);
  const std::size_t svc_at = head.rfind("/service/");
  if (svc_at == std::string_view::npos) return false;
  *service = head.substr(svc_at + 9);
  return !operation->empty() && !service->empty() &&
         operation->find('/') == std::string_view::npos &&
         service->find('/') == std::string_view::npos;
}

bool IsCborContentType(const std::string* content_type) {
  if (content_type == nullptr) return false;
  std::string_view ct = *content_type;
  while (!ct.empty() && ct.front() == ' ') ct.remove_prefix(1);
  if (!StartsWithIgnoreCase(ct, "application/cbor")) return false;
  ct.remove_prefix(16);
  return ct.empty() || ct.front() == ';' || ct.front() == ' ';
}

Status Throttled() { return Status(ErrorCode::kRequestThrottled, "Rate exceeded"); }

// What the access log says of a request that reached an operation.
void NoteAccess(std::string_view service, const OperationDef* op, const RequestContext& ctx,
                const Result<Value>& input, AccessRecord& access) {
  access.service = std::string(service);
  if (op != nullptr) access.action = std::string(op->name);
  access.account = ctx.account_id;
  access.caller = ctx.principal_arn;
  if (!input.ok() || !input->is_struct()) return;
  // The resource: the first identifying member the input has, as the client wrote it.
  static constexpr std::string_view kResourceMembers[] = {
      "QueueUrl",  "QueueName",    "TopicArn",    "TargetArn", "SubscriptionArn",
      "Name",      "KeyId",        "AlarmName",   "UserName",  "RoleName",
      "PolicyArn", "EventBusName", "ResourceArn", "SourceArn", "TaskHandle"};
  for (std::string_view member : kResourceMembers) {
    if (const Value* v = input->Get(member); v != nullptr && v->is_string()) {
      access.resource = v->as_string().substr(0, 256);
      return;
    }
  }
  if (!ctx.path.empty() && ctx.path != "/") access.resource = ctx.path.substr(0, 256);
}

}  // namespace

Dispatcher::Dispatcher(ServiceDefinition service, RequestDefaults defaults)
    : Dispatcher(
          [&] {
            std::vector<ServiceDefinition> v;
            v.push_back(std::move(service));
            return v;
          }(),
          std::move(defaults)) {}

Dispatcher::Dispatcher(std::vector<ServiceDefinition> services, RequestDefaults defaults,
                       AccessLog access_log) {
  auto state = std::make_shared<State>();
  state->defaults = std::move(defaults);
  state->access_log = std::move(access_log);
  if (services.empty()) services.emplace_back();
  for (ServiceDefinition& def : services) {
    auto svc = std::make_shared<Service>();
    svc->def = std::move(def);
    if (const ServiceModel* model = svc->def.model) {
      const auto ops = model->operations();
      svc->handlers.assign(ops.size(), nullptr);
      for (std::size_t i = 0; i < ops.size(); ++i) {
        auto it = svc->def.handlers.find(std::string(ops[i].name));
        if (it != svc->def.handlers.end() && it->second) svc->handlers[i] = &it->second;
      }
      svc->xml_namespace = svc->def.xml_namespace.empty()
                               ? std::string(model->metadata().xml_namespace)
                               : svc->def.xml_namespace;
      if (svc->def.validate_input) svc->validator = std::make_unique<Validator>(*model);
    } else {
      svc->xml_namespace = svc->def.xml_namespace;
    }
    state->services.push_back(std::move(svc));
  }
  for (const auto& s : state->services) {
    if (state->default_json == nullptr && s->SupportsJson()) state->default_json = s.get();
    if (state->default_query == nullptr && s->SupportsQuery()) state->default_query = s.get();
    if (state->default_cbor == nullptr && s->SupportsCbor()) state->default_cbor = s.get();
  }
  state_ = std::move(state);
}

const ServiceDefinition& Dispatcher::service() const { return state_->services.front()->def; }

void Dispatcher::Handle(net::HttpRequest&& req, net::Responder respond) const {
  const State& state = *state_;
  RequestContext ctx;
  ctx.request_id = NewUuid();
  if (const std::string* host = req.Header("Host")) ctx.host = *host;
  if (const std::string* trace = req.Header("X-Amzn-Trace-Id")) ctx.trace_header = *trace;
  ctx.path = std::string(req.Path());
  ctx.source_ip = req.remote_address;
  ctx.secure = req.secure;
  // The access log sees the answer on its way out, whichever of the paths below gives it.
  std::shared_ptr<AccessRecord> access;
  if (state.access_log) {
    access = std::make_shared<AccessRecord>();
    access->request_id = ctx.request_id;
    access->source_ip = ctx.source_ip;
    // Holds the shared state: the reply may outlive the Dispatcher.
    respond = [access, start = std::chrono::steady_clock::now(), state = state_,
               respond = std::move(respond)](net::HttpResponse&& r) {
      access->status = r.status;
      access->latency_us = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::steady_clock::now() - start)
                               .count();
      state->access_log(*access);
      respond(std::move(r));
    };
  }

  const Service* svc = state.services.front().get();
  if (svc->def.model == nullptr) {
    ctx.protocol = WireProtocol::kQuery;
    ErrorInfo info = ResolveError(ErrorTable{}, ErrorCode::kInternalError);
    respond(RenderQueryError(svc->xml_namespace, info, "Service model not configured.",
                             ctx.request_id));
    return;
  }

  const OperationDef* op = nullptr;
  Result<Value> input = Value::Struct();
  // The body the decoders read: inflated when the client compressed it (SigV4 checks `req.body`
  // as sent). An inflation error is answered once the protocol and service are known.
  std::string_view body = req.body;
  std::string inflated;  // when set, `body` views it
  Status body_status;
  if (const std::string* coding = req.Header("Content-Encoding");
      coding != nullptr && !req.body.empty() && IsGzipEncoding(*coding)) {
    auto out = InflateGzip(req.body);
    if (out.ok()) {
      inflated = std::move(out).value();
      body = inflated;
    } else {
      body_status = out.status();
      body = {};
    }
  }
  const std::string* target = state.default_json != nullptr ? req.Header("X-Amz-Target") : nullptr;
  const bool json = target != nullptr || state.default_query == nullptr;
  // Runs the service's authentication hook (when set); false when it answered the request.
  // `unsigned_op`: an operation the service lets arrive unsigned, and this request is.
  auto authenticate = [&](bool unsigned_op = false) {
    if (!svc->def.authenticate || unsigned_op) return true;
    if (Status auth = svc->def.authenticate(req, ctx); !auth.ok()) {
      svc->RespondError(respond, ctx.protocol, auth, ctx.request_id);
      return false;
    }
    return true;
  };
  std::string_view rpc_service;
  std::string_view rpc_operation;
  if (state.default_cbor != nullptr && RpcV2Path(ctx.path, &rpc_service, &rpc_operation)) {
    // Smithy RPC v2 CBOR: the service by its shape name in the path.
    ctx.protocol = WireProtocol::kCbor;
    svc = state.default_cbor;
    for (const auto& s : state.services) {
      if (s->SupportsCbor() && s->def.model->metadata().target_prefix == rpc_service) {
        svc = s.get();
        op = svc->Find(rpc_operation);
        break;
      }
    }
    if (req.rate_limited)
      return svc->RespondError(respond, ctx.protocol, Throttled(), ctx.request_id);
    if (!authenticate()) return;
    SetScope(state.defaults, req, nullptr, ctx);
    const ServiceMetadata& md = svc->def.model->metadata();
    if (op == nullptr || req.method != "POST") {
      const ErrorInfo info = svc->Info(ErrorCode::kInvalidAction);
      std::string msg = op == nullptr
                            ? InvalidActionMessage(rpc_operation)
                            : std::string("The RPC v2 CBOR protocol takes POST requests only.");
      respond(RenderCborError(md, info, msg, ctx.request_id));
      return;
    }
    const std::string* protocol_header = req.Header("smithy-protocol");
    if (protocol_header == nullptr || *protocol_header != "rpc-v2-cbor") {
      svc->RespondError(respond, ctx.protocol,
                        Status(ErrorCode::kSerialization,
                               "Missing or invalid smithy-protocol header: expected rpc-v2-cbor."),
                        ctx.request_id);
      return;
    }
    if (!body_status.ok()) {
      return svc->RespondError(respond, ctx.protocol, body_status, ctx.request_id);
    }
    if (!body.empty() && !IsCborContentType(req.Header("Content-Type"))) {
      // As Smithy servers answer a body of another media type.
      ErrorInfo info;
      info.query_code = "UnsupportedMediaType";
      info.json_type = "UnsupportedMediaTypeException";
      info.http_status = 415;
      respond(RenderCborError(md, info, "Content-Type must be application/cbor.", ctx.request_id));
      return;
    }
    input = DecodeCbor(*svc->def.model, op->input, body);
  } else if (json) {
    ctx.protocol = WireProtocol::kJson;
    std::string_view t = target != nullptr ? std::string_view(*target) : std::string_view();
    std::string_view op_name;
    svc = state.default_json != nullptr ? state.default_json : svc;
    for (const auto& s : state.services) {
      if (!s->SupportsJson()) continue;
      const std::string_view prefix = s->def.model->metadata().target_prefix;
      if (t.size() > prefix.size() && t.substr(0, prefix.size()) == prefix &&
          t[prefix.size()] == '.') {
        svc = s.get();
        op_name = t.substr(prefix.size() + 1);
        op = svc->Find(op_name);
        break;
      }
    }
    if (req.rate_limited)
      return svc->RespondError(respond, ctx.protocol, Throttled(), ctx.request_id);
    if (!authenticate()) return;
    SetScope(state.defaults, req, nullptr, ctx);
    if (op == nullptr) {
      // The service's table gives kInvalidAction's JSON __type (UnknownOperationException).
      const ErrorInfo info = svc->Info(ErrorCode::kInvalidAction);
      std::string msg = target == nullptr ? std::string("Missing X-Amz-Target header.")
                                          : InvalidActionMessage(op_name.empty() ? t : op_name);
      respond(RenderJsonError(svc->def.model->metadata(), info, msg, ctx.request_id));
      return;
    }
    if (!body_status.ok()) {
      return svc->RespondError(respond, ctx.protocol, body_status, ctx.request_id);
    }
    input = DecodeJson(*svc->def.model, op->input,
                       body.data() == req.body.data() ? req.body : inflated);
  } else {
    ctx.protocol = WireProtocol::kQuery;
    svc = state.default_query;
    QueryParams params;
    Status parsed = body_status.ok() ? ParseFormEncoded(req.Query(), &params) : body_status;
    if (parsed.ok() && !body.empty() && IsFormOrAbsent(req.Header("Content-Type"))) {
      parsed = ParseFormEncoded(body, &params);
    }
    const std::string* action = parsed.ok() ? FindParam(params, "Action") : nullptr;
    // Route: the services that know the action; Version, then the credential scope, break ties.
    const Service* found = nullptr;
    int matches = 0;
    if (action != nullptr && !action->empty() && state.services.size() > 1) {
      for (const auto& s : state.services) {
        if (s->SupportsQuery() && s->Find(*action) != nullptr) {
          if (matches++ == 0) found = s.get();
        }
      }
    }
    if (state.services.size() == 1 || matches == 1) {
      if (found != nullptr) svc = found;
    } else {
      const std::string_view scope = ScopeService(req, parsed.ok() ? &params : nullptr);
      const std::string* version = matches > 1 ? FindParam(params, "Version") : nullptr;
      const Service* by_version = nullptr;
      const Service* by_scope = nullptr;
      int version_matches = 0;
      for (const auto& s : state.services) {
        if (!s->SupportsQuery() || (matches > 1 && s->Find(*action) == nullptr)) continue;
        const ServiceMetadata& md = s->def.model->metadata();
        if (version != nullptr && md.api_version == *version) {
          if (version_matches++ == 0) by_version = s.get();
        }
        if (by_scope == nullptr && !scope.empty() && md.signing_name == scope) by_scope = s.get();
      }
      if (version_matches == 1) {
        svc = by_version;
      } else if (by_scope != nullptr) {
        svc = by_scope;
      } else if (found != nullptr) {
        svc = found;
      }
    }
    if (req.rate_limited)
      return svc->RespondError(respond, ctx.protocol, Throttled(), ctx.request_id);
    const bool unsigned_op =
        action != nullptr && !svc->def.unsigned_operations.empty() &&
        req.Header("Authorization") == nullptr && FindParam(params, "X-Amz-Signature") == nullptr &&
        std::find(svc->def.unsigned_operations.begin(), svc->def.unsigned_operations.end(),
                  *action) != svc->def.unsigned_operations.end();
    if (!authenticate(unsigned_op)) return;
    SetScope(state.defaults, req, parsed.ok() ? &params : nullptr, ctx);
    if (!parsed.ok()) {
      svc->RespondError(respond, ctx.protocol, parsed, ctx.request_id);
      return;
    }
    // A request addressed to one of the service's resources by its path (SQS: a queue URL).
    const bool resource_path =
        ctx.path != "/" && svc->def.is_resource_path && svc->def.is_resource_path(ctx.path);
    if (action == nullptr || action->empty()) {
      if (resource_path) return respond(RenderQueryUnknownOperation(ctx.request_id));
      svc->RespondError(
          respond, ctx.protocol,
          Status(ErrorCode::kMissingAction, "The request must contain the parameter Action."),
          ctx.request_id);
      return;
    }
    op = svc->Find(*action);
    if (op != nullptr && resource_path && svc->def.resource_action &&
        !svc->def.resource_action(op->name)) {
      op = nullptr;  // not an operation of this endpoint
    }
    if (op == nullptr) {
      svc->RespondError(respond, ctx.protocol,
                        Status(ErrorCode::kInvalidAction, InvalidActionMessage(*action)),
                        ctx.request_id);
      return;
    }
    input = DecodeQuery(*svc->def.model, op->input, params);
  }
  const ServiceModel& model = *svc->def.model;
  if (access) NoteAccess(model.metadata().signing_name, op, ctx, input, *access);
  if (!input.ok()) {
    svc->RespondError(respond, ctx.protocol, input.status(), ctx.request_id);
    return;
  }
  if (svc->def.prepare_input) {
    Status prepared = svc->def.prepare_input(ctx, op->name, *input);
    if (!prepared.ok()) {
      svc->RespondError(respond, ctx.protocol, prepared, ctx.request_id);
      return;
    }
  }
  // A request addressed to a resource path ("/<account>/<queue>") may carry the resource's
  // identifier in the path instead of a required string member: the handler resolves it.
  const bool path_addressed =
      ctx.protocol != WireProtocol::kCbor && !ctx.path.empty() && ctx.path != "/";
  if (Status req_st = svc->validator
                          ? svc->validator->Validate(op->input, *input)
                          : CheckRequired(model, op->input, *input, ctx.protocol, path_addressed);
      !req_st.ok()) {
    svc->RespondError(respond, ctx.protocol, req_st, ctx.request_id);
    return;
  }

  const Handler& handler = *svc->handlers[op - model.operations().data()];
  // The reply may outlive the Dispatcher: it holds the shared state that owns `svc`.
  Reply reply = [state = state_, service = svc, op, protocol = ctx.protocol,
                 request_id = ctx.request_id, respond = std::move(respond)](Result<Value> result) {
    if (!result.ok()) {
      service->RespondError(respond, protocol, result.status(), request_id);
      return;
    }
    const ServiceModel& m = *service->def.model;
    switch (protocol) {
      case WireProtocol::kJson:
        return respond(RenderJsonSuccess(m, *op, *result, request_id));
      case WireProtocol::kCbor:
        return respond(RenderCborSuccess(m, *op, *result, request_id));
      case WireProtocol::kQuery:
        return respond(RenderQuerySuccess(m, *op, *result, service->xml_namespace, request_id));
    }
  };
  handler(ctx, std::move(*input), std::move(reply));
}

}  // namespace sluice::protocol
