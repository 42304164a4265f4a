// Matching a compiled pattern against a message, as AWS evaluates it:
//  - a pattern matches when one of its branches ($or multiplied out) matches;
//  - a branch matches when each of its fields does; a field when any of its values does;
//  - JSON: keys join with '.' (so {"a": {"b": ..}} and {"a.b": ..} are the same path, in patterns
//    and in messages); an array in the message matches when one of its elements does, and all
//    fields a branch reaches through one array must match within the same element (event-ruler's
//    "array-consistent" matching);
//  - {"exists": false} holds when no value lies at the path anywhere in the message; every other
//    condition needs a value (an empty array or an object is no value).
// Descent is recursive but bounded by kMaxMessageDepth (deeper parts of a message match nothing).
#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "rules/internal.h"
#include "rules/wildcard.h"

namespace sluice::rules {
namespace internal {
namespace {

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// `a` equals the already-lowercased `lower`, ignoring ASCII case.
bool EqualsLowered(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != lower[i]) return false;
  }
  return true;
}

bool MatchCidr(const Cidr& c, std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  char buf[65];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::array<std::uint8_t, 16> ip{};
  if (inet_pton(c.v6 ? AF_INET6 : AF_INET, buf, ip.data()) != 1) return false;
  const int full = c.bits / 8;
  if (std::memcmp(ip.data(), c.net.data(), static_cast<std::size_t>(full)) != 0) return false;
  const int rem = c.bits % 8;
  if (rem == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF00u >> rem);
  return (ip[static_cast<std::size_t>(full)] & mask) == c.net[static_cast<std::size_t>(full)];
}

bool InRange(const Matcher& m, double v) {
  if (m.low_open ? !(v > m.low) : !(v >= m.low)) return false;
  if (m.high_open ? !(v < m.high) : !(v <= m.high)) return false;
  return true;
}

struct FieldRef {
  const Field* field;
  std::string_view rest;  // the path still to walk
};

// Does `rest` continue through an object member named `name`? Sets *after to what remains.
bool Through(std::string_view rest, std::string_view name, std::string_view* after) {
  if (rest == name) {
    *after = std::string_view();
    return true;
  }
  if (rest.size() > name.size() && rest[name.size()] == '.' &&
      rest.substr(0, name.size()) == name) {
    *after = rest.substr(name.size() + 1);
    return true;
  }
  return false;
}

bool HasLeafAt(const rapidjson::Value& node, std::string_view rest, int depth) {
  if (depth > kMaxMessageDepth) return false;
  if (node.IsArray()) {
    for (const auto& e : node.GetArray()) {
      if (HasLeafAt(e, rest, depth + 1)) return true;
    }
    return false;
  }
  if (node.IsObject()) {
    if (rest.empty()) return false;
    for (const auto& m : node.GetObject()) {
      std::string_view after;
      if (Through(rest, std::string_view(m.name.GetString(), m.name.GetStringLength()), &after) &&
          HasLeafAt(m.value, after, depth + 1)) {
        return true;
      }
    }
    return false;
  }
  return rest.empty();
}

// How many ways to read ambiguous dotted keys are tried at one object before giving up.
constexpr std::size_t kMaxAssignments = 256;

bool Eval(const rapidjson::Value& node, const std::vector<FieldRef>& fields, int depth) {
  if (depth > kMaxMessageDepth) return false;
  if (node.IsArray()) {
    for (const auto& e : node.GetArray()) {
      if (Eval(e, fields, depth + 1)) return true;
    }
    return false;
  }
  if (!node.IsObject()) {
    Leaf leaf;
    JsonLeaf(node, &leaf);
    for (const FieldRef& f : fields) {
      if (!f.rest.empty() || !FieldMatchesLeaf(*f.field, leaf)) return false;
    }
    return true;
  }
  // An object: each field continues into the member its remaining path names. Usually exactly
  // one member fits; when the message has both "a" and "a.b", each reading is tried.
  const auto obj = node.GetObject();
  struct Choice {
    std::vector<std::pair<rapidjson::SizeType, std::string_view>> options;  // member, rest
  };
  std::vector<Choice> choices(fields.size());
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].rest.empty()) return false;  // a value was wanted here, not an object
    rapidjson::SizeType index = 0;
    for (const auto& m : obj) {
      std::string_view after;
      if (Through(fields[i].rest, std::string_view(m.name.GetString(), m.name.GetStringLength()),
                  &after)) {
        choices[i].options.emplace_back(index, after);
      }
      ++index;
    }
    if (choices[i].options.empty()) return false;
  }
  std::vector<std::size_t> pick(fields.size(), 0);
  for (std::size_t attempt = 0; attempt < kMaxAssignments; ++attempt) {
    // Group the fields by the member they continue into; each group must match inside it.
    std::vector<std::pair<rapidjson::SizeType, std::vector<FieldRef>>> groups;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const rapidjson::SizeType member = choices[i].options[pick[i]].first;
      const std::string_view after = choices[i].options[pick[i]].second;
      auto it = std::find_if(groups.begin(), groups.end(),
                             [member](const auto& g) { return g.first == member; });
      if (it == groups.end()) {
        groups.emplace_back(member, std::vector<FieldRef>());
        it = groups.end() - 1;
      }
      it->second.push_back(FieldRef{fields[i].field, after});
    }
    bool all = true;
    for (const auto& [member, group] : groups) {
      if (!Eval((obj.begin() + member)->value, group, depth + 1)) {
        all = false;
        break;
      }
    }
    if (all) return true;
    // Next reading (odometer over the ambiguous fields).
    std::size_t i = 0;
    for (; i < fields.size(); ++i) {
      if (++pick[i] < choices[i].options.size()) break;
      pick[i] = 0;
    }
    if (i == fields.size()) return false;
  }
  return false;
}

}  // namespace

bool JsonLeaf(const rapidjson::Value& v, Leaf* out) {
  if (v.IsString()) {
    *out = Leaf{LeafKind::kString, std::string_view(v.GetString(), v.GetStringLength()), 0};
  } else if (v.IsNumber()) {
    *out = Leaf{LeafKind::kNumber, {}, v.GetDouble()};
  } else if (v.IsTrue()) {
    *out = Leaf{LeafKind::kTrue, {}, 0};
  } else if (v.IsFalse()) {
    *out = Leaf{LeafKind::kFalse, {}, 0};
  } else if (v.IsNull()) {
    *out = Leaf{LeafKind::kNull, {}, 0};
  } else {
    return false;
  }
  return true;
}

std::string ValueKey(const Leaf& leaf) {
  switch (leaf.kind) {
    case LeafKind::kString: {
      std::string key = "s";
      key += leaf.text;
      return key;
    }
    case LeafKind::kNumber: {
      char buf[64];
      const double v = leaf.number == 0 ? 0.0 : leaf.number;  // -0 == 0
      const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
      return "n" + std::string(buf, ec == std::errc() ? end : buf);
    }
    case LeafKind::kTrue:
      return "t";
    case LeafKind::kFalse:
      return "f";
    case LeafKind::kNull:
      return "z";
  }
  return "z";
}

bool MatchLeaf(const Matcher& m, const Leaf& leaf) {
  const bool str = leaf.kind == LeafKind::kString;
  const bool num = leaf.kind == LeafKind::kNumber;
  const std::string_view s = leaf.text;
  switch (m.kind) {
    case MatchKind::kExactString:
      return str && s == m.text;
    case MatchKind::kExactNumber:
      return num && leaf.number == m.number;
    case MatchKind::kTrue:
      return leaf.kind == LeafKind::kTrue;
    case MatchKind::kFalse:
      return leaf.kind == LeafKind::kFalse;
    case MatchKind::kNull:
      return leaf.kind == LeafKind::kNull;
    case MatchKind::kPrefix:
      return str && s.starts_with(m.text);
    case MatchKind::kPrefixIgnoreCase:
      return str && s.size() >= m.text.size() && EqualsLowered(s.substr(0, m.text.size()), m.text);
    case MatchKind::kSuffix:
      return str && s.ends_with(m.text);
    case MatchKind::kSuffixIgnoreCase:
      return str && s.size() >= m.text.size() &&
             EqualsLowered(s.substr(s.size() - m.text.size()), m.text);
    case MatchKind::kEqualsIgnoreCase:
      return str && EqualsLowered(s, m.text);
    case MatchKind::kWildcard:
      return str && WildcardMatches(m.wildcards[0], s);
    case MatchKind::kNumeric:
      return num && InRange(m, leaf.number);
    case MatchKind::kCidr:
      return str && MatchCidr(m.cidr, s);
    case MatchKind::kExists:
      return true;
    case MatchKind::kAbsent:
      return false;
    case MatchKind::kAnythingButStrings:
      return !(str && std::find(m.strings.begin(), m.strings.end(), s) != m.strings.end());
    case MatchKind::kAnythingButNumbers:
      return !(num &&
               std::find(m.numbers.begin(), m.numbers.end(), leaf.number) != m.numbers.end());
    case MatchKind::kAnythingButPrefix:
      return !(str && std::any_of(m.strings.begin(), m.strings.end(),
                                  [&](const std::string& p) { return s.starts_with(p); }));
    case MatchKind::kAnythingButSuffix:
      return !(str && std::any_of(m.strings.begin(), m.strings.end(),
                                  [&](const std::string& p) { return s.ends_with(p); }));
    case MatchKind::kAnythingButIgnoreCase:
      return !(str && std::any_of(m.strings.begin(), m.strings.end(),
                                  [&](const std::string& p) { return EqualsLowered(s, p); }));
    case MatchKind::kAnythingButWildcard:
      return !(str && std::any_of(m.wildcards.begin(), m.wildcards.end(),
                                  [&](const Wildcard& w) { return WildcardMatches(w, s); }));
  }
  return false;
}

bool FieldMatchesLeaf(const Field& f, const Leaf& leaf) {
  for (const Matcher& m : f.any_of) {
    if (MatchLeaf(m, leaf)) return true;
  }
  return false;
}

AttributeEvent::AttributeEvent(std::span<const MessageAttribute> attributes) {
  attrs_.reserve(attributes.size());
  for (const MessageAttribute& a : attributes) {
    if (Find(a.name) != nullptr) continue;  // the first of a repeated name counts
    const std::string_view type = a.data_type;
    auto is = [&](std::string_view base) {
      return type == base ||
             (type.starts_with(base) && type.size() > base.size() && type[base.size()] == '.');
    };
    std::vector<Leaf> leaves;
    if (is("Binary")) {
      continue;  // SNS ignores Binary attributes: as if absent
    } else if (is("String.Array")) {
      auto doc = std::make_unique<rapidjson::Document>();
      doc->Parse<rapidjson::kParseIterativeFlag>(a.value.data(), a.value.size());
      if (doc->HasParseError() || !doc->IsArray()) continue;
      for (const auto& e : doc->GetArray()) {
        Leaf leaf;
        if (JsonLeaf(e, &leaf)) leaves.push_back(leaf);
      }
      arrays_.push_back(std::move(doc));
    } else if (is("Number")) {
      double v = 0;
      const char* end = a.value.data() + a.value.size();
      const auto [ptr, ec] = std::from_chars(a.value.data(), end, v);
      if (ec == std::errc() && ptr == end) {
        leaves.push_back(Leaf{LeafKind::kNumber, {}, v});
      } else {
        leaves.push_back(Leaf{LeafKind::kString, a.value, 0});
      }
    } else {
      leaves.push_back(Leaf{LeafKind::kString, a.value, 0});
    }
    if (!leaves.empty()) attrs_.emplace_back(a.name, std::move(leaves));
  }
}

const std::vector<Leaf>* AttributeEvent::Find(std::string_view name) const {
  for (const auto& [n, leaves] : attrs_) {
    if (n == name) return &leaves;
  }
  return nullptr;
}

bool MatchAttributes(const CompiledPattern& p, const AttributeEvent& event) {
  for (const Branch& b : p.branches) {
    bool all = true;
    for (const auto& f : b.fields) {
      const std::vector<Leaf>* leaves = event.Find(f->path);
      bool ok = false;
      if (leaves == nullptr) {
        ok = f->has_absent;
      } else {
        for (const Leaf& leaf : *leaves) {
          if (FieldMatchesLeaf(*f, leaf)) {
            ok = true;
            break;
          }
        }
      }
      if (!ok) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

bool MatchJson(const CompiledPattern& p, const rapidjson::Value& body) {
  if (!body.IsObject()) return false;
  std::vector<FieldRef> needed;
  for (const Branch& b : p.branches) {
    needed.clear();
    bool ok = true;
    for (const auto& f : b.fields) {
      if (f->has_absent && !HasLeafAt(body, f->path, 0)) continue;  // absent, as wanted
      if (!f->needs_value) {
        ok = false;
        break;
      }
      needed.push_back(FieldRef{f.get(), f->path});
    }
    if (ok && (needed.empty() || Eval(body, needed, 0))) return true;
  }
  return false;
}

}  // namespace internal

ParsedBody ParsedBody::Parse(std::string_view text) {
  ParsedBody out;
  out.doc_.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  out.ok_ = !out.doc_.HasParseError() && out.doc_.IsObject();
  return out;
}

bool Pattern::Matches(const Message& message) const {
  if (compiled_->dialect == Dialect::kSnsAttributes) return MatchesAttributes(message.attributes);
  return message.body != nullptr && MatchesJson(*message.body);
}

bool Pattern::MatchesAttributes(std::span<const MessageAttribute> attributes) const {
  if (compiled_->dialect != Dialect::kSnsAttributes) return false;
  return internal::MatchAttributes(*compiled_, internal::AttributeEvent(attributes));
}

bool Pattern::MatchesJson(const rapidjson::Value& body) const {
  if (compiled_->dialect == Dialect::kSnsAttributes) return false;
  return internal::MatchJson(*compiled_, body);
}

}  // namespace sluice::rules
