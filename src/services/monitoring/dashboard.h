// Dashboard bodies (PutDashboard) checked as AWS checks them: the structure its JSON schema asks
// for, with the messages in its validator's words, and the error text it answers with. Pure (no
// store, no service): the fuzz build links it (fuzz/fuzz_dashboard_body.cc).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice::monitoring {

struct DashboardProblem {
  std::string data_path;  // JSON pointer into the body ("" for the root, "/widgets/0/type")
  std::string message;    // "Should have required property 'widgets'"
};

// The problems of `body`: an object with a `widgets` array; each widget an object with a known
// `type` (metric, text, log, alarm, explorer, custom), a `properties` object (text widgets: a
// `markdown` string) and optional integer `x` (0-23), `y` (>= 0), `width` (1-24) and `height`
// (1-1000); an optional `periodOverride` of auto or inherit. A body that is not a JSON object
// gives one problem at "" whose message is DashboardNotAnObjectText().
std::vector<DashboardProblem> ValidateDashboardBody(std::string_view body);

// "The field DashboardBody must be a valid JSON object"
std::string_view DashboardNotAnObjectText();
// "The dashboard body is invalid, there are N validation errors: \n[\n  {\n    \"dataPath\": ...,
// \n    \"message\": ...\n  }\n]" (the list is JSON).
std::string DashboardInvalidText(const std::vector<DashboardProblem>& problems);

}  // namespace sluice::monitoring
