#include "rules/rule_set.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "rules/internal.h"

namespace sluice::rules {

namespace {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// path -> value key -> slots
using Index = StringMap<StringMap<std::vector<std::uint32_t>>>;

}  // namespace

struct RuleSet::Snapshot {
  struct Entry {
    std::string id;
    std::shared_ptr<const Pattern> pattern;  // null: matches everything
  };
  std::vector<Entry> entries;  // slot -> rule, in insertion order
  StringMap<std::uint32_t> by_id;
  Index attr_index;                   // kSnsAttributes patterns, by attribute name
  Index body_index;                   // JSON patterns, by dotted path
  std::vector<std::uint32_t> always;  // slots evaluated for every message
  // Every indexed JSON path and every dotted prefix of one: the walk that collects a message's
  // values at indexed paths descends only along these.
  std::unordered_set<std::string, StringHash, std::equal_to<>> body_paths, body_prefixes;
  std::size_t max_body_path = 0;

  void Build();
};

void RuleSet::Snapshot::Build() {
  by_id.clear();
  attr_index.clear();
  body_index.clear();
  always.clear();
  body_paths.clear();
  body_prefixes.clear();
  max_body_path = 0;
  // How many patterns list each (scope, path, value): a branch is filed under its most selective
  // exact field, so a value every rule shares ("source": ["shop"]) does not make every rule a
  // candidate for every message.
  StringMap<std::size_t> popularity;
  auto popularity_key = [](bool attrs, const internal::Field& f, const std::string& k) {
    std::string key(1, attrs ? 'a' : 'b');
    key += f.path;
    key += '\0';
    key += k;
    return key;
  };
  for (const Entry& e : entries) {
    if (!e.pattern) continue;
    const internal::CompiledPattern& p = e.pattern->compiled();
    for (const internal::Branch& b : p.branches) {
      for (const auto& f : b.fields) {
        for (const std::string& k : f->exact_keys) {
          ++popularity[popularity_key(p.dialect == Dialect::kSnsAttributes, *f, k)];
        }
      }
    }
  }
  for (std::uint32_t slot = 0; slot < entries.size(); ++slot) {
    const Entry& e = entries[slot];
    by_id[e.id] = slot;
    if (!e.pattern) {
      always.push_back(slot);
      continue;
    }
    const internal::CompiledPattern& p = e.pattern->compiled();
    const bool attrs = p.dialect == Dialect::kSnsAttributes;
    // Each branch needs one exact-valued field to be filed under; otherwise evaluate always.
    std::vector<const internal::Field*> keys;
    for (const internal::Branch& b : p.branches) {
      const internal::Field* best = nullptr;
      std::size_t best_cost = 0;
      for (const auto& f : b.fields) {
        if (f->exact_keys.empty()) continue;
        std::size_t cost = 0;
        for (const std::string& k : f->exact_keys) cost += popularity[popularity_key(attrs, *f, k)];
        if (!best || cost < best_cost) {
          best = f.get();
          best_cost = cost;
        }
      }
      if (!best) {
        keys.clear();
        break;
      }
      keys.push_back(best);
    }
    if (keys.empty()) {
      always.push_back(slot);
      continue;
    }
    Index& index = attrs ? attr_index : body_index;
    for (const internal::Field* f : keys) {
      auto& by_value = index[f->path];
      for (const std::string& k : f->exact_keys) {
        auto& slots = by_value[k];
        if (slots.empty() || slots.back() != slot) slots.push_back(slot);
      }
      if (!attrs) {
        body_paths.insert(f->path);
        max_body_path = std::max(max_body_path, f->path.size());
        for (std::size_t dot = f->path.find('.'); dot != std::string::npos;
             dot = f->path.find('.', dot + 1)) {
          body_prefixes.insert(f->path.substr(0, dot));
        }
      }
    }
  }
}

RuleSet::RuleSet() : snapshot_(std::make_shared<Snapshot>()) {}
RuleSet::~RuleSet() = default;

std::shared_ptr<const RuleSet::Snapshot> RuleSet::Load() const {
  std::lock_guard lock(mu_);
  return snapshot_;
}

void RuleSet::Publish(std::shared_ptr<const Snapshot> next) {
  std::lock_guard lock(mu_);
  snapshot_ = std::move(next);
}

void RuleSet::Add(std::string id, std::shared_ptr<const Pattern> pattern) {
  std::lock_guard writer(write_mu_);
  auto next = std::make_shared<Snapshot>();
  next->entries = Load()->entries;
  auto it = std::find_if(next->entries.begin(), next->entries.end(),
                         [&](const Snapshot::Entry& e) { return e.id == id; });
  if (it != next->entries.end()) {
    it->pattern = std::move(pattern);
  } else {
    next->entries.push_back(Snapshot::Entry{std::move(id), std::move(pattern)});
  }
  next->Build();
  Publish(std::move(next));
}

bool RuleSet::Remove(std::string_view id) {
  std::lock_guard writer(write_mu_);
  const std::shared_ptr<const Snapshot> current = Load();
  if (current->by_id.find(id) == current->by_id.end()) return false;
  auto next = std::make_shared<Snapshot>();
  for (const Snapshot::Entry& e : current->entries) {
    if (e.id != id) next->entries.push_back(e);
  }
  next->Build();
  Publish(std::move(next));
  return true;
}

void RuleSet::Reset(std::vector<std::pair<std::string, std::shared_ptr<const Pattern>>> rules) {
  std::lock_guard writer(write_mu_);
  auto next = std::make_shared<Snapshot>();
  StringMap<std::size_t> seen;
  for (auto& [id, pattern] : rules) {
    auto [it, inserted] = seen.emplace(id, next->entries.size());
    if (inserted) {
      next->entries.push_back(Snapshot::Entry{std::move(id), std::move(pattern)});
    } else {
      next->entries[it->second].pattern = std::move(pattern);
    }
  }
  next->Build();
  Publish(std::move(next));
}

std::size_t RuleSet::size() const { return Load()->entries.size(); }

namespace {

void Lookup(const StringMap<std::vector<std::uint32_t>>& by_value, const internal::Leaf& leaf,
            std::vector<std::uint32_t>* out) {
  const auto it = by_value.find(internal::ValueKey(leaf));
  if (it != by_value.end()) out->insert(out->end(), it->second.begin(), it->second.end());
}

// Collects the slots filed under the values the body carries at indexed paths. Iterative: the
// walk descends only along indexed paths (bounded by the longest), and through arrays, which it
// keeps on an explicit stack.
void CollectBody(const RuleSet::Snapshot& s, const rapidjson::Value& body,
                 std::vector<std::uint32_t>* out) {
  struct Item {
    const rapidjson::Value* node;
    std::string path;
  };
  std::vector<Item> stack;
  stack.push_back(Item{&body, std::string()});
  std::size_t budget = 1u << 20;  // nodes visited per message, against pathological bodies
  while (!stack.empty() && budget-- > 0) {
    Item item = std::move(stack.back());
    stack.pop_back();
    const rapidjson::Value& node = *item.node;
    if (node.IsArray()) {
      for (const auto& e : node.GetArray()) stack.push_back(Item{&e, item.path});
      continue;
    }
    if (node.IsObject()) {
      for (const auto& m : node.GetObject()) {
        std::string path = item.path;
        if (!path.empty()) path += '.';
        path.append(m.name.GetString(), m.name.GetStringLength());
        if (path.size() > s.max_body_path) continue;
        if (s.body_paths.count(path) || s.body_prefixes.count(path)) {
          stack.push_back(Item{&m.value, std::move(path)});
        }
      }
      continue;
    }
    internal::Leaf leaf;
    if (!internal::JsonLeaf(node, &leaf)) continue;
    const auto it = s.body_index.find(item.path);
    if (it != s.body_index.end()) Lookup(it->second, leaf, out);
  }
}

}  // namespace

std::vector<std::string> RuleSet::Match(const Message& message, MatchStats* stats) const {
  const std::shared_ptr<const Snapshot> s = Load();
  std::vector<std::uint32_t> slots = s->always;
  const internal::AttributeEvent attrs(message.attributes);  // String.Array parsed once
  if (!s->attr_index.empty()) {
    for (const auto& [name, leaves] : attrs.all()) {
      const auto it = s->attr_index.find(name);
      if (it == s->attr_index.end()) continue;
      for (const internal::Leaf& leaf : leaves) Lookup(it->second, leaf, &slots);
    }
  }
  if (message.body != nullptr && message.body->IsObject() && !s->body_index.empty()) {
    CollectBody(*s, *message.body, &slots);
  }
  std::sort(slots.begin(), slots.end());
  slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  if (stats) stats->candidates += slots.size();

  std::vector<std::string> ids;
  for (std::uint32_t slot : slots) {
    const Snapshot::Entry& e = s->entries[slot];
    bool match = true;
    if (e.pattern) {
      if (stats) ++stats->evaluated;
      const internal::CompiledPattern& p = e.pattern->compiled();
      if (p.dialect == Dialect::kSnsAttributes) {
        match = internal::MatchAttributes(p, attrs);
      } else {
        match = message.body != nullptr && internal::MatchJson(p, *message.body);
      }
    }
    if (match) ids.push_back(e.id);
  }
  return ids;
}

}  // namespace sluice::rules
