// Fuzzes EventBridge's own parsers (services/events): schedule expressions (Schedule::Parse and
// Next) and target input (JSONPath, InputTransformer validation and InputTemplate rendering).
// Input: byte 0 selects: 's' = the rest is a schedule expression; anything else = the rest is
// "<key>=<path>\n...\n\n<template>" (InputPathsMap lines, an empty line, the template); 'o' = the
// rest is an OAuth token endpoint's answer, a stored HTTP-parameters record and an ARN (API
// destinations: OAuthAccessToken, DecodeHttpParts, the ARN name parsers, BuildInvocation).
// Checks: a schedule's next firing is after the time asked and asking again from just before it
// gives it back; parsing and rendering are deterministic; a path that parses selects the same
// value twice.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "services/events/api_destinations.h"
#include "services/events/schedule.h"
#include "services/events/transform.h"

using namespace sluice;
using namespace sluice::events;

namespace {

constexpr char kEvent[] =
    R"({"version":"0","id":"e1","detail-type":"Order","source":"com.shop","account":"1",)"
    R"("time":"2024-01-01T00:00:00Z","region":"us-east-1","resources":["r1"],)"
    R"("detail":{"id":"o-1","n":5,"ok":true,"items":[{"sku":"a"},{"sku":"b"}],"q":"say \"hi\"",)"
    R"("nested":{"a":{"b":[1,[2,{"c":null}]]}}}})";

void FuzzSchedule(std::string_view text) {
  auto s = Schedule::Parse(text);
  FUZZ_CHECK(s.has_value() == Schedule::Parse(text).has_value());
  if (!s) return;
  for (Millis after : {Millis{0}, Millis{1'705'314'600'000}, Millis{4'102'444'799'000}}) {
    auto next = s->Next(after, 1'705'314'600'000);
    if (!next) continue;
    FUZZ_CHECK(*next > after);
    auto again = s->Next(*next - 1, 1'705'314'600'000);
    FUZZ_CHECK(again.has_value() && *again == *next);
  }
}

void FuzzTemplate(std::string_view text) {
  std::map<std::string, std::string> paths;
  std::string_view rest = text;
  for (;;) {
    const std::size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) break;
    const std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    if (line.empty()) break;
    const std::size_t eq = line.find('=');
    paths[std::string(line.substr(0, eq))] =
        eq == std::string_view::npos ? std::string() : std::string(line.substr(eq + 1));
  }
  rapidjson::Document event;
  event.Parse(kEvent);
  for (const auto& [key, path] : paths) {
    auto steps = ParseJsonPath(path);
    FUZZ_CHECK(steps.has_value() == ParseJsonPath(path).has_value());
    if (steps) FUZZ_CHECK(SelectPath(event, *steps) == SelectPath(event, *steps));
  }
  const Status valid = ValidateTransformer(paths, rest);
  FUZZ_CHECK(valid.ok() || valid.code() == ErrorCode::kValidationError);
  TemplateContext ctx{&event, kEvent, "arn:aws:events:us-east-1:1:rule/r", "r",
                      "2024-01-01T00:00:01Z"};
  const std::string once = RenderTemplate(paths, rest, ctx);
  FUZZ_CHECK(once == RenderTemplate(paths, rest, ctx));
}

void FuzzApiDestination(std::string_view text) {
  auto token = OAuthAccessToken(text);
  FUZZ_CHECK(token == OAuthAccessToken(text));
  FUZZ_CHECK(!token || !token->empty());
  const HttpParts parts = DecodeHttpParts(text);
  const HttpParts again = DecodeHttpParts(EncodeHttpParts(parts));
  FUZZ_CHECK(again.path == parts.path && again.headers == parts.headers &&
             again.query == parts.query);
  auto name = ApiDestinationName(text);
  if (name) FUZZ_CHECK(!name->empty() && name->find('/') == std::string::npos);
  FUZZ_CHECK(ConnectionName(text) == ConnectionName(text));
  ApiDestination d;
  d.endpoint = std::string(text);
  d.method = "POST";
  Connection c;
  c.auth_type = "BASIC";
  const Invocation inv = BuildInvocation(d, c, parts, "{}", "");
  FUZZ_CHECK(inv.body == "{}");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = fuzz::AsText(data, size);
  if (input.empty()) return 0;
  const char selector = input[0];
  input.remove_prefix(1);
  if (selector == 's') {
    FuzzSchedule(input);
  } else if (selector == 'o') {
    FuzzApiDestination(input);
  } else {
    FuzzTemplate(input);
  }
  return 0;
}
