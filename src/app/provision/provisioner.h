// Applies a Spec (the [provision] section) through the services' own handlers (Invoker), in
// dependency order, idempotently: what exists as declared is left alone, what differs is updated
// to the file, what is missing is created, and with `prune` what is not declared is deleted. The
// changes made are returned, so that `sluice plan` (which applies to a disposable copy of the
// state) and the start-up log can show them. docs/provisioning.md.
#pragma once

#include <string>
#include <vector>

#include "app/provision/invoker.h"
#include "app/provision/spec.h"
#include "common/status.h"

namespace sluice::provision {

struct Change {
  enum class Op { kCreate, kUpdate, kDelete, kUnchanged };
  Op op = Op::kUnchanged;
  std::string kind;  // "queue", "parameter", "topic", "subscription"
  std::string
      name;  // the queue's, parameter's or topic's name; a subscription's "topic -> endpoint"
  Scope scope;
  std::vector<std::string> diff;  // "VisibilityTimeout: \"30\" -> \"60\"" (updates only)
};

struct ApplyOptions {
  // The Host a request would carry: queue URLs (and the parameters holding them) are built on it.
  std::string queue_host = "localhost:9324";
};

// Applies `spec`. The first resource that cannot be applied stops it: the Status names the file
// and line, the resource and the AWS error ("sluice.toml:14: queue 'orders' (000000000000
// us-east-1): InvalidAttributeValue: Invalid value for the parameter VisibilityTimeout.").
Result<std::vector<Change>> Apply(const Spec& spec, const Invoker& invoker,
                                  const ApplyOptions& options);

// "+ queue orders (000000000000 us-east-1)" per change, the attribute diff indented under each
// update, and a closing "Plan: 1 to create, 0 to update, 0 to delete, 2 unchanged." line.
std::string FormatChanges(const std::vector<Change>& changes);

}  // namespace sluice::provision
