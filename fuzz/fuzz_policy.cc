// Fuzzes IAM policy documents (auth/policy.h): parsing and validation as an identity and as a
// resource policy, then evaluation (policy variables included) against fixed requests (a
// same-account user, another account, a service principal, anonymous facts). Input: the policy
// document text. Checks: a "direct" allow is an allow; WildcardMatch matches a literal pattern to
// itself.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "auth/policy.h"
#include "fuzz/fuzz_util.h"

using namespace sluice::auth;

namespace {

const RequestFacts& Facts(int i) {
  static const RequestFacts kFacts[] = {
      [] {
        RequestFacts f;
        f.principal_arn = "arn:aws:iam::111122223333:user/alice";
        f.principal_account = "111122223333";
        f.username = "alice";
        f.user_id = "AIDAEXAMPLEALICE12345";
        static const std::map<std::string, std::string> kTags = {{"team", "blue"}, {"Cost", ""}};
        f.principal_tags = &kTags;
        f.source_ip = "10.1.2.3";
        f.secure_transport = true;
        f.now_ms = 1705320000123;
        return f;
      }(),
      [] {
        RequestFacts f;
        f.principal_arn = "arn:aws:iam::444455556666:root";
        f.principal_account = "444455556666";
        f.source_ip = "2001:db8::1";
        f.now_ms = 1440938160000;
        return f;
      }(),
      [] {
        RequestFacts f;
        f.principal_service = "sns.amazonaws.com";
        f.source_arn = "arn:aws:sns:us-east-1:111122223333:topic";
        f.source_account = "111122223333";
        f.source_ip = "127.0.0.1";
        f.now_ms = 0;
        return f;
      }(),
      RequestFacts{},
  };
  return kFacts[i];
}

constexpr std::string_view kActions[] = {"sqs:SendMessage", "sqs:ReceiveMessage",
                                         "SQS:deletemessage", ""};
constexpr std::string_view kResources[] = {"arn:aws:sqs:us-east-1:111122223333:orders",
                                           "arn:aws:sqs:eu-west-1:444455556666:other.fifo", ""};

void EvaluateAll(const Policy& p) {
  for (int f = 0; f < 4; ++f) {
    for (std::string_view action : kActions) {
      for (std::string_view resource : kResources) {
        const EvalRequest req{action, resource, &Facts(f)};
        const Decision d = p.Evaluate(req);
        FUZZ_CHECK(!d.allow_direct || d.allow);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sluice::fuzz::AsText(data, size);
  for (PolicyKind kind : {PolicyKind::kIdentity, PolicyKind::kResource}) {
    auto policy = ParsePolicy(text, kind);
    if (!policy.ok()) {
      FUZZ_CHECK(!policy.status().message().empty());
      continue;
    }
    (void)policy->statement_count();
    EvaluateAll(*policy);
  }
  // The matcher on short slices of the input (patterns with * and ?).
  if (size >= 2) {
    const std::size_t cut = data[0] % size;
    const std::string_view pattern = text.substr(1, cut);
    const std::string_view subject = text.substr(1 + cut > size ? size : 1 + cut);
    (void)WildcardMatch(pattern, subject, (data[0] & 1) != 0);
    if (pattern.find_first_of("*?") == std::string_view::npos) {
      FUZZ_CHECK(WildcardMatch(pattern, pattern, false));
    }
  }
  return 0;
}
