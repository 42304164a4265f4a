// Fuzzes the CloudWatch dashboard body validator (services/monitoring/dashboard.h), which reads
// PutDashboard's DashboardBody. Input: the body text.
// Checks: the same verdict twice; a body it accepts is a JSON object with a `widgets` array; the
// error text's list is JSON naming the same problems, each at a path inside the body.
#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "services/monitoring/dashboard.h"

using namespace sluice::monitoring;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = sluice::fuzz::AsText(data, size);
  const std::vector<DashboardProblem> problems = ValidateDashboardBody(body);
  const std::vector<DashboardProblem> again = ValidateDashboardBody(body);
  FUZZ_CHECK(problems.size() == again.size());
  for (std::size_t i = 0; i < problems.size(); ++i) {
    FUZZ_CHECK(problems[i].data_path == again[i].data_path);
    FUZZ_CHECK(problems[i].message == again[i].message);
    const std::string& path = problems[i].data_path;
    FUZZ_CHECK(path.empty() || path.rfind("/widgets", 0) == 0 || path == "/periodOverride");
  }
  if (problems.empty()) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
    FUZZ_CHECK(!doc.HasParseError() && doc.IsObject() && doc.HasMember("widgets") &&
               doc["widgets"].IsArray());
    return 0;
  }
  if (problems.size() == 1 && problems[0].message == DashboardNotAnObjectText()) return 0;
  const std::string text = DashboardInvalidText(problems);
  const std::size_t open = text.find('[');
  FUZZ_CHECK(open != std::string::npos);
  rapidjson::Document list;
  list.Parse(text.data() + open, text.size() - open);
  FUZZ_CHECK(!list.HasParseError() && list.IsArray() && list.Size() == problems.size());
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    FUZZ_CHECK(list[i]["dataPath"].GetString() == problems[i].data_path);
    FUZZ_CHECK(list[i]["message"].GetString() == problems[i].message);
  }
  return 0;
}
