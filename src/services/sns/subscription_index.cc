#include "services/sns/subscription_index.h"

#include <optional>
#include <utility>

namespace sluice::sns {
namespace {

std::string KeyOf(const std::string& account, const std::string& region, const std::string& name) {
  std::string key = account;
  key += '\n';
  key += region;
  key += '\n';
  key += name;
  return key;
}

bool BodyScoped(const Subscription& s) {
  return !s.Attribute("FilterPolicy").empty() &&
         ParseFilterScope(s.Attribute("FilterPolicyScope")) == FilterScope::kMessageBody;
}

bool AttributeScoped(const Subscription& s) {
  return !s.Attribute("FilterPolicy").empty() && !BodyScoped(s);
}

// The subscription's pattern for the RuleSet: null (everything) without a policy; nullopt when it
// reaches nothing (pending, or a stored policy that no longer compiles).
std::optional<std::shared_ptr<const rules::Pattern>> PatternOf(const Subscription& s) {
  if (s.pending) return std::nullopt;
  auto scope = ParseFilterScope(s.Attribute("FilterPolicyScope"));
  auto filter = MakeSubscriptionFilter(s.Attribute("FilterPolicy"),
                                       scope.value_or(FilterScope::kMessageAttributes));
  if (!filter.ok()) return std::nullopt;
  return (*filter)->pattern();
}

}  // namespace

std::shared_ptr<SubscriptionIndex::Entry> SubscriptionIndex::EntryFor(const std::string& account,
                                                                      const std::string& region,
                                                                      const std::string& name) {
  std::string key = KeyOf(account, region, name);
  {
    std::shared_lock lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end()) return it->second;
  }
  std::unique_lock lock(mu_);
  auto& e = entries_[std::move(key)];
  if (!e) e = std::make_shared<Entry>();
  return e;
}

std::shared_ptr<const SubscriptionIndex::Subs> SubscriptionIndex::SubsOf(const Entry& e) {
  std::lock_guard lock(e.subs_mu);
  return e.subs;
}

void SubscriptionIndex::Apply(Entry& e, const Subscription& s, bool erase) {
  std::optional<std::shared_ptr<const rules::Pattern>> pattern;
  if (!erase) pattern = PatternOf(s);
  auto next = std::make_shared<Subs>(*SubsOf(e));
  if (auto it = next->by_id.find(s.id); it != next->by_id.end()) {
    if (BodyScoped(*it->second)) --next->body_scoped;
    if (AttributeScoped(*it->second)) --next->attribute_scoped;
    next->by_id.erase(it);
  }
  if (pattern) {
    e.rules.Add(s.id, *pattern);
    next->by_id.emplace(s.id, std::make_shared<const Subscription>(s));
    if (BodyScoped(s)) ++next->body_scoped;
    if (AttributeScoped(s)) ++next->attribute_scoped;
  } else {
    e.rules.Remove(s.id);
  }
  std::lock_guard lock(e.subs_mu);
  e.subs = std::move(next);
}

Status SubscriptionIndex::Put(const Subscription& s, const std::function<Status()>& write) {
  std::shared_ptr<Entry> e = EntryFor(s.topic_account, s.topic_region, s.topic_name);
  std::lock_guard lock(e->write_mu);
  if (Status st = write(); !st.ok()) return st;
  if (e->loaded.load(std::memory_order_acquire)) Apply(*e, s, false);
  return Status::Ok();
}

Status SubscriptionIndex::Erase(const Subscription& s, const std::function<Status()>& write) {
  std::shared_ptr<Entry> e = EntryFor(s.topic_account, s.topic_region, s.topic_name);
  std::lock_guard lock(e->write_mu);
  if (Status st = write(); !st.ok()) return st;
  if (e->loaded.load(std::memory_order_acquire)) Apply(*e, s, true);
  return Status::Ok();
}

Result<std::vector<SubscriptionIndex::Hit>> SubscriptionIndex::Match(
    const std::string& account, const std::string& region, const std::string& name,
    const Loader& load, const std::vector<MessageView>& messages, rules::MatchStats* stats,
    FilterCounts* counts, std::uint64_t remote_changes) {
  std::shared_ptr<Entry> e = EntryFor(account, region, name);
  const auto fresh = [&] {
    return e->loaded.load(std::memory_order_acquire) &&
           e->remote_changes.load(std::memory_order_acquire) == remote_changes;
  };
  if (!fresh()) {
    std::lock_guard lock(e->write_mu);
    if (!fresh()) {
      auto subs = load();
      if (!subs.ok()) return subs.status();
      auto next = std::make_shared<Subs>();
      std::vector<std::pair<std::string, std::shared_ptr<const rules::Pattern>>> rules;
      for (Subscription& s : *subs) {
        auto pattern = PatternOf(s);
        if (!pattern) continue;
        rules.emplace_back(s.id, std::move(*pattern));
        if (BodyScoped(s)) ++next->body_scoped;
        if (AttributeScoped(s)) ++next->attribute_scoped;
        std::string id = s.id;
        next->by_id.emplace(std::move(id), std::make_shared<const Subscription>(std::move(s)));
      }
      e->rules.Reset(std::move(rules));
      {
        std::lock_guard subs_lock(e->subs_mu);
        e->subs = std::move(next);
      }
      e->remote_changes.store(remote_changes, std::memory_order_release);
      e->loaded.store(true, std::memory_order_release);
    }
  }
  const std::shared_ptr<const Subs> subs = SubsOf(*e);
  std::vector<Hit> hits;
  std::unordered_map<std::string_view, std::size_t> position;  // id -> index in hits
  std::vector<rules::MessageAttribute> attributes;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    attributes.clear();
    for (const FilterAttribute& a : *messages[i].attributes) {
      attributes.push_back({a.name, a.data_type, a.value});
    }
    rules::Message m;
    m.attributes = attributes;
    std::optional<rules::ParsedBody> body;
    if (subs->body_scoped > 0) {
      body.emplace(rules::ParsedBody::Parse(messages[i].body));
      m.body = body->root();
    }
    std::size_t matched_attribute_scoped = 0, matched_body_scoped = 0;
    for (const std::string& id : e->rules.Match(m, stats)) {
      // The map and the RuleSet are read apart: a subscription written during this Publish is
      // reached in its state before or after the write, or not at all, as if the Publish had come
      // before or after it.
      auto it = subs->by_id.find(id);
      if (it == subs->by_id.end()) continue;
      if (AttributeScoped(*it->second)) ++matched_attribute_scoped;
      if (BodyScoped(*it->second)) ++matched_body_scoped;
      auto [pos, inserted] = position.emplace(it->first, hits.size());
      if (inserted) hits.push_back(Hit{it->second, {}});
      hits[pos->second].messages.push_back(i);
    }
    if (counts != nullptr) {
      // Matches counted against the map's totals: a concurrent write may skew them by one.
      const auto rejected = [](std::size_t total, std::size_t matched) {
        return static_cast<std::int64_t>(total > matched ? total - matched : 0);
      };
      const std::int64_t by_attributes = rejected(subs->attribute_scoped, matched_attribute_scoped);
      if (attributes.empty()) {
        counts->no_message_attributes += by_attributes;
      } else {
        counts->filtered_out += by_attributes;
      }
      counts->filtered_out += rejected(subs->body_scoped, matched_body_scoped);
    }
  }
  return hits;
}

}  // namespace sluice::sns
