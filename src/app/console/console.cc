#include "app/console/console.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <strings.h>

#include <algorithm>
#include <charconv>
#include <string_view>

#include "app/console/assets.h"
#include "app/console/peek_json.h"
#include "app/console/sign.h"
#include "auth/auth.h"
#include "common/encoding.h"
#include "common/json_record.h"
#include "engine/engine.h"

namespace sluice::app::console {

using json_record::Str;
using json_record::Writer;

struct Console::State {
  ConsoleOptions o;
  Sessions sessions;
  std::vector<std::string> etags;  // per asset
};

namespace {

constexpr std::string_view kApi = "/console/api/";

void SecurityHeaders(net::HttpResponse& r) {
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
}

net::HttpResponse Json(int status, std::string body) {
  net::HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("Cache-Control", "no-store");
  SecurityHeaders(r);
  r.body = std::move(body);
  return r;
}

net::HttpResponse Error(int status, std::string_view code, std::string_view message) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  Str(w, "error", code);
  Str(w, "message", message);
  w.EndObject();
  return Json(status, std::string(buf.GetString(), buf.GetSize()));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value of `name` in a query string, percent-decoded ("" when absent or malformed).
std::string QueryParam(std::string_view q, std::string_view name) {
  while (!q.empty()) {
    const std::string_view pair = q.substr(0, q.find('&'));
    q.remove_prefix(std::min(q.size(), pair.size() + 1));
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=') {
      std::string out;
      const std::string_view v = pair.substr(name.size() + 1);
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%') {
          const int hi = i + 2 < v.size() ? HexDigit(v[i + 1]) : -1;
          const int lo = i + 2 < v.size() ? HexDigit(v[i + 2]) : -1;
          if (hi < 0 || lo < 0) return {};
          out.push_back(static_cast<char>(hi * 16 + lo));
          i += 2;
        } else {
          out.push_back(v[i] == '+' ? ' ' : v[i]);
        }
      }
      return out;
    }
  }
  return {};
}

// A region or signing name: [a-z0-9-], 1..32.
bool Token(std::string_view s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// The host part of a Host header or an Origin's authority ("[::1]:9325" -> "[::1]").
std::string_view HostOnly(std::string_view host) {
  if (!host.empty() && host.front() == '[') return host.substr(0, host.find(']') + 1);
  return host.substr(0, host.find(':'));
}

bool LoopbackName(std::string_view host) {
  host = HostOnly(host);
  return host == "localhost" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

std::string SessionJson(const ConsoleOptions& o, const Session& s) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  Str(w, "csrf", s.csrf);
  w.Key("loginRequired");
  w.Bool(o.access == ConsoleOptions::Access::kLogin);
  w.Key("loggedIn");
  w.Bool(s.logged_in);
  Str(w, "identity", s.identity);
  Str(w, "account", s.logged_in ? s.account : o.account);
  Str(w, "region", o.region);
  w.Key("authOn");
  w.Bool(o.auth != nullptr);
  w.Key("testMode");
  w.Bool(o.test_mode);
  w.Key("serverTimeMs");
  w.Int64(o.clock != nullptr ? o.clock->NowMs() : 0);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// The text between <tag> and </tag> in an XML answer ("" when absent).
std::string XmlText(std::string_view xml, std::string_view tag) {
  const std::string open = fmt::format("<{}>", tag), close = fmt::format("</{}>", tag);
  const std::size_t a = xml.find(open);
  if (a == std::string_view::npos) return {};
  const std::size_t b = xml.find(close, a);
  if (b == std::string_view::npos) return {};
  return std::string(xml.substr(a + open.size(), b - a - open.size()));
}

}  // namespace

ConsoleOptions::Access ChooseAccess(bool admin_on_loopback, bool auth_on, bool require_login,
                                    std::string* off_reason) {
  if (auth_on) return ConsoleOptions::Access::kLogin;
  if (admin_on_loopback && !require_login) return ConsoleOptions::Access::kOpen;
  if (off_reason != nullptr) {
    *off_reason =
        "The console needs a login here (the admin port listens beyond loopback, or "
        "console.require_login is set), and a login needs auth.mode = \"sigv4\".";
  }
  return ConsoleOptions::Access::kOff;
}

Console::Console(ConsoleOptions options) : state_(std::make_shared<State>()) {
  state_->o = std::move(options);
  for (const Asset& a : Assets()) state_->etags.emplace_back(a.etag);
}

Console::~Console() = default;

bool Console::Handles(std::string_view path) {
  if (path.rfind("/console/", 0) == 0) return true;
  const auto assets = Assets();
  return std::any_of(assets.begin(), assets.end(), [&](const Asset& a) { return a.path == path; });
}

void Console::Handle(net::HttpRequest&& req, net::Responder respond) {
  State& st = *state_;
  const ConsoleOptions& o = st.o;
  const std::string_view path = req.Path();
  if (path.rfind(kApi, 0) != 0) {
    if (path.rfind("/console/", 0) == 0) return respond(Error(404, "NotFound", "not found"));
    const auto assets = Assets();
    for (std::size_t i = 0; i < assets.size(); ++i) {
      if (assets[i].path != path) continue;
      if (req.method != "GET" && req.method != "HEAD") {
        return respond(Error(405, "MethodNotAllowed", "use GET"));
      }
      net::HttpResponse r;
      r.headers.emplace_back("Content-Type", std::string(assets[i].content_type));
      r.headers.emplace_back("Cache-Control", "no-cache");
      r.headers.emplace_back("ETag", st.etags[i]);
      r.headers.emplace_back(
          "Content-Security-Policy",
          "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
          "frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
      SecurityHeaders(r);
      if (const std::string* inm = req.Header("If-None-Match"); inm && *inm == st.etags[i]) {
        r.status = 304;
      } else if (req.method == "GET") {
        r.body = std::string(assets[i].body);
      }
      return respond(std::move(r));
    }
    return respond(Error(404, "NotFound", "not found"));
  }
  const std::string_view route = path.substr(kApi.size());
  if (o.access == ConsoleOptions::Access::kOff) {
    return respond(Error(403, "ConsoleOff", o.off_reason));
  }
  // Without a login, only pages served from a loopback name may call (against DNS rebinding).
  const std::string* host = req.Header("Host");
  if (o.access == ConsoleOptions::Access::kOpen && (host == nullptr || !LoopbackName(*host))) {
    return respond(Error(403, "Forbidden", "the console answers loopback host names only"));
  }
  // Cross-site requests: a browser names the page's origin; it must be this server.
  if (const std::string* origin = req.Header("Origin"); origin != nullptr) {
    const std::string_view authority = std::string_view(*origin).substr(std::min(
        origin->size(),
        origin->find("://") == std::string::npos ? origin->size() : origin->find("://") + 3));
    if (host == nullptr || authority != *host) {
      return respond(Error(403, "Forbidden", "cross-origin requests are refused"));
    }
  }
  std::shared_ptr<const Session> session;
  if (const std::string* cookie = req.Header("Cookie")) {
    if (auto id = CookieValue(*cookie, kCookieName)) session = st.sessions.Find(*id);
  }
  if (route == "session") {
    if (req.method != "GET") return respond(Error(405, "MethodNotAllowed", "use GET"));
    net::HttpResponse r;
    if (!session) {
      session = st.sessions.Create();
      r = Json(200, SessionJson(o, *session));
      r.headers.emplace_back("Set-Cookie", SessionCookie(session->id, req.secure));
    } else {
      r = Json(200, SessionJson(o, *session));
    }
    return respond(std::move(r));
  }
  const std::string* csrf = req.Header("X-Sluice-Csrf");
  if (!session || csrf == nullptr || !SameToken(*csrf, session->csrf)) {
    return respond(Error(403, "InvalidCsrfToken",
                         "the session expired or the request lacks its token: reload the page"));
  }
  if (route == "logout") {
    if (req.method != "POST") return respond(Error(405, "MethodNotAllowed", "use POST"));
    st.sessions.Drop(session->id);
    net::HttpResponse r = Json(200, "{}");
    r.headers.emplace_back("Set-Cookie", SessionCookie("", req.secure));
    return respond(std::move(r));
  }
  if (route == "login") {
    if (req.method != "POST") return respond(Error(405, "MethodNotAllowed", "use POST"));
    if (o.access != ConsoleOptions::Access::kLogin) {
      return respond(Error(400, "NoLogin", "authentication is off: the console needs no login"));
    }
    auto credentials = ParseLoginForm(req.body);
    if (!credentials) {
      return respond(Error(400, "InvalidLogin", "give an access key id and its secret"));
    }
    // Checked as any client would be: a signed STS GetCallerIdentity through the dispatcher.
    net::HttpRequest probe;
    probe.method = "POST";
    probe.target = "/";
    probe.headers.emplace_back("Host", host ? *host : std::string("localhost"));
    probe.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    probe.body = "Action=GetCallerIdentity&Version=2011-06-15";
    probe.remote_address = req.remote_address;
    probe.secure = req.secure;
    SignRequest(probe, *credentials, o.region, "sts", o.clock->NowMs() / 1000);
    std::weak_ptr<State> weak = state_;
    const std::string old_id = session->id;
    const bool secure = req.secure;
    return o.dispatch(std::move(probe), [weak, old_id, secure, creds = std::move(*credentials),
                                         respond](net::HttpResponse&& answer) mutable {
      auto state = weak.lock();
      if (!state) return respond(Error(503, "Unavailable", "the server is stopping"));
      if (answer.status != 200) {
        std::string code = XmlText(answer.body, "Code");
        return respond(Error(401, code.empty() ? "InvalidLogin" : code,
                             "The access key id or the secret is not valid."));
      }
      auto fresh = state->sessions.LogIn(old_id, std::move(creds), XmlText(answer.body, "Arn"),
                                         XmlText(answer.body, "Account"));
      net::HttpResponse r = Json(200, SessionJson(state->o, *fresh));
      r.headers.emplace_back("Set-Cookie", SessionCookie(fresh->id, secure));
      respond(std::move(r));
    });
  }
  if (o.access == ConsoleOptions::Access::kLogin && !session->logged_in) {
    return respond(Error(401, "LoginRequired", "log in first"));
  }
  // The key the session acts with: the user's, or without auth a placeholder (only its scope,
  // the region, matters then).
  const Credentials credentials =
      session->logged_in ? session->credentials : Credentials{"CONSOLE", "console"};
  std::string region = o.region;
  if (const std::string* r = req.Header("X-Sluice-Region"); r && !r->empty()) region = *r;
  if (!Token(region)) return respond(Error(400, "InvalidRegion", "not a region name"));

  if (route == "aws") {
    if (req.method != "POST") return respond(Error(405, "MethodNotAllowed", "use POST"));
    std::string service = "sqs";
    if (const std::string* s = req.Header("X-Sluice-Service"); s && !s->empty()) service = *s;
    if (!Token(service)) return respond(Error(400, "InvalidService", "not a signing name"));
    net::HttpRequest call;
    call.method = "POST";
    call.target = "/";
    call.headers.emplace_back("Host", host ? *host : std::string("localhost"));
    for (const char* name : {"Content-Type", "X-Amz-Target"}) {
      if (const std::string* v = req.Header(name)) call.headers.emplace_back(name, *v);
    }
    call.body = std::move(req.body);
    call.remote_address = req.remote_address;
    call.secure = req.secure;
    SignRequest(call, credentials, region, service, o.clock->NowMs() / 1000);
    return o.dispatch(std::move(call), [respond](net::HttpResponse&& answer) mutable {
      std::erase_if(answer.headers, [](const auto& h) {
        return strcasecmp(h.first.c_str(), "Content-Type") != 0 &&
               strcasecmp(h.first.c_str(), "x-amzn-query-error") != 0 &&
               strcasecmp(h.first.c_str(), "x-amzn-RequestId") != 0;
      });
      answer.headers.emplace_back("Cache-Control", "no-store");
      SecurityHeaders(answer);
      respond(std::move(answer));
    });
  }
  if (route == "peek") {
    if (req.method != "GET") return respond(Error(405, "MethodNotAllowed", "use GET"));
    const std::string_view q = req.Query();
    engine::QueueId id;
    id.name = QueryParam(q, "name");
    id.region = region;
    id.account = QueryParam(q, "account");
    std::size_t max = 10;
    if (const std::string text = QueryParam(q, "max"); !text.empty()) {
      const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), max);
      if (ec != std::errc() || ptr != text.data() + text.size() || max < 1 || max > 100) {
        return respond(Error(400, "InvalidParameterValue", "max must be 1..100"));
      }
    }
    if (id.name.empty()) return respond(Error(400, "MissingParameter", "name is required"));
    RequestContext ctx;
    if (o.auth != nullptr) {
      // The session's identity, verified as the API verifies it.
      net::HttpRequest probe;
      probe.method = "GET";
      probe.target = "/";
      probe.headers.emplace_back("Host", host ? *host : std::string("localhost"));
      SignRequest(probe, credentials, region, "sqs", o.clock->NowMs() / 1000);
      if (Status s = o.auth->Authenticate(probe, "sqs", ctx); !s.ok()) {
        return respond(Error(401, "LoginRequired", s.message()));
      }
    }
    if (id.account.empty()) id.account = ctx.authenticated ? ctx.account_id : o.account;
    engine::Engine* const queues = o.engine ? o.engine() : nullptr;
    if (queues == nullptr) {
      return respond(Error(503, "ServiceUnavailable", "The server is resetting its state."));
    }
    auto attributes = queues->GetQueueAttributes(id, {"Policy"});
    if (!attributes.ok()) {
      return respond(Error(400, "QueueDoesNotExist", "The specified queue does not exist."));
    }
    if (o.auth != nullptr) {
      const std::string arn = queues->QueueArn(id);
      auto it = attributes->find("Policy");
      const std::string policy = it == attributes->end() ? std::string() : it->second;
      if (Status s =
              o.auth->Authorize(ctx, "sqs:ReceiveMessage", auth::Resource{arn, id.account, policy});
          !s.ok()) {
        return respond(Error(403, "AccessDenied", s.message()));
      }
    }
    auto oldest = queues->OldestMessageAgeMs(id);
    auto peeked = queues->Peek(id, max);
    if (!peeked.ok()) {
      return respond(Error(400, "QueueDoesNotExist", "The specified queue does not exist."));
    }
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("OldestMessageAgeMs");
    if (oldest.ok() && oldest->has_value()) {
      w.Int64(**oldest);
    } else {
      w.Null();
    }
    w.Key("messages");
    WritePeekedMessages(w, *peeked);
    w.EndObject();
    return respond(Json(200, std::string(buf.GetString(), buf.GetSize())));
  }
  respond(Error(404, "NotFound", "not found"));
}

}  // namespace sluice::app::console
