// ParameterFilters (DescribeParameters, GetParametersByPath) and DescribeParameters' deprecated
// Filters: their validation with AWS's errors and texts, and matching. Pure; thread-safe.
//
// Keys: Name (Equals, BeginsWith, Contains), Path (OneLevel, Recursive), Type, KeyId, Tier,
// DataType, tag:<key> (Equals, BeginsWith; without values: the tag exists), Label (Equals;
// GetParametersByPath only, where it selects the labelled version). A leading "/" is insignificant
// in Name and Path values. Values of one filter are alternatives; all filters must match.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "protocol/value.h"
#include "services/ssm/parameter.h"

namespace sluice::ssm {

struct Filter {
  std::string key;
  std::string option;  // resolved: Equals by default, OneLevel for Path
  std::vector<std::string> values;
};

enum class FilterUse { kDescribe, kByPath };

// The request's ParameterFilters (a list of ParameterStringFilter structs; null: none), checked
// for `use`: InvalidFilterKey, InvalidFilterOption, InvalidFilterValue, ValidationException.
Result<std::vector<Filter>> ParseParameterFilters(const protocol::Value* list, FilterUse use);

// DescribeParameters' deprecated Filters (keys Name, Type, KeyId; the model checks them) as
// ParameterFilters: Name by prefix, Type and KeyId by equality.
std::vector<Filter> FromDeprecatedFilters(const protocol::Value* list);

// Whether version `v` of `p` passes every filter (Label: `v` carries one of the labels).
bool Matches(const std::vector<Filter>& filters, const Parameter& p, const ParameterVersion& v);

// The labels a Label filter asks for (empty: no Label filter).
std::vector<std::string> LabelsOf(const std::vector<Filter>& filters);

}  // namespace sluice::ssm
