#include "app/provision/provisioner.h"

#include <fmt/format.h>

#include "app/provision/run.h"

namespace sluice::provision {

Result<std::vector<Change>> Apply(const Spec& spec, const Invoker& invoker,
                                  const ApplyOptions& options) {
  return detail::Run(spec, invoker, options).Go();
}

std::string FormatChanges(const std::vector<Change>& changes) {
  std::string out;
  int counts[4] = {0, 0, 0, 0};
  for (const Change& c : changes) {
    static constexpr char kSigns[] = {'+', '~', '-', '='};
    counts[static_cast<int>(c.op)]++;
    out += fmt::format("{} {} {} ({})\n", kSigns[static_cast<int>(c.op)], c.kind, c.name,
                       detail::ScopeText(c.scope));
    for (const std::string& d : c.diff) out += fmt::format("    {}\n", d);
  }
  out += fmt::format("Plan: {} to create, {} to update, {} to delete, {} unchanged.\n", counts[0],
                     counts[1], counts[2], counts[3]);
  return out;
}

}  // namespace sluice::provision
