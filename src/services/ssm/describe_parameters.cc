// DescribeParameters: the metadata of the parameters that pass the filters, by name.
#include "services/ssm/filters.h"
#include "services/ssm/handlers.h"

namespace sluice::ssm {
namespace {

constexpr std::int64_t kDescribePage = 10;

bool NonEmptyList(const Value* v) { return v != nullptr && v->is_list() && !v->items().empty(); }

}  // namespace

void DescribeParameters(const Ssm& ssm, const RequestContext& ctx, Value&& input, Reply reply) {
  const Value* old_filters = input.Get("Filters");
  const Value* filters_in = input.Get("ParameterFilters");
  if (NonEmptyList(old_filters) && NonEmptyList(filters_in)) {
    return reply(Status(ErrorCode::kValidationError,
                        "You can use either Filters or ParameterFilters in a single request."));
  }
  if (Status st = AuthorizeAccount(ssm, ctx, "ssm:DescribeParameters"); !st.ok()) {
    return reply(st);
  }
  auto filters = ParseParameterFilters(filters_in, FilterUse::kDescribe);
  if (!filters.ok()) return reply(filters.status());
  if (NonEmptyList(old_filters)) *filters = FromDeprecatedFilters(old_filters);
  auto after = TokenPosition(input);
  if (!after.ok()) return reply(after.status());
  const auto limit = static_cast<std::size_t>(input.GetInt("MaxResults").value_or(kDescribePage));

  Value out = Value::Struct();
  Value& list = out.Set("Parameters", Value::List());
  // Parameters shared by other accounts (Shared = true): Sluice has none.
  if (input.GetBool("Shared").value_or(false)) return reply(std::move(out));
  auto parameters = ListParameters(ssm, ctx, "");
  if (!parameters.ok()) return reply(parameters.status());
  std::string_view last;
  for (const Parameter& p : *parameters) {
    const std::string_view key = NameKey(p.name);
    if (!after->empty() && key <= *after) continue;
    if (!Matches(*filters, p, p.Latest())) continue;
    if (list.items().size() == limit) {  // one more matches: there is a next page
      out.Set("NextToken", Value::String(PageToken(last)));
      break;
    }
    list.Append(MetadataOutput(ctx, p));
    last = key;
  }
  reply(std::move(out));
}

}  // namespace sluice::ssm
