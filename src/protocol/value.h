// Value: the protocol-neutral form of a request input or response output.
//
// The protocol layer decodes JSON bodies and Query parameters into a Value that follows the
// service model's shape (member names exactly as in the model, e.g. "QueueUrl", "Attributes",
// "Entries"), and encodes a handler's output Value back to JSON or XML. Handlers never see a form
// field, a JSON token or an XML tag.
//
// Kinds: structures and maps are ordered (name, Value) lists; lists hold Values; blobs hold raw
// bytes (base64 only on the wire); integers are 64-bit; timestamps travel as integers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::protocol {

class Value {
 public:
  enum class Kind : std::uint8_t {
    kNull,
    kBool,
    kInt,
    kDouble,
    kString,
    kBlob,
    kList,
    kMap,
    kStruct
  };
  using Entry = std::pair<std::string, Value>;

  Value() = default;
  static Value Bool(bool b) {
    Value v(Kind::kBool);
    v.int_ = b;
    return v;
  }
  static Value Int(std::int64_t i) {
    Value v(Kind::kInt);
    v.int_ = i;
    return v;
  }
  static Value Double(double d) {
    Value v(Kind::kDouble);
    v.double_ = d;
    return v;
  }
  static Value String(std::string s) {
    Value v(Kind::kString);
    v.str_ = std::move(s);
    return v;
  }
  static Value Blob(std::string bytes) {
    Value v(Kind::kBlob);
    v.str_ = std::move(bytes);
    return v;
  }
  static Value List() { return Value(Kind::kList); }
  static Value Map() { return Value(Kind::kMap); }
  static Value Struct() { return Value(Kind::kStruct); }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_map() const { return kind_ == Kind::kMap; }
  bool is_struct() const { return kind_ == Kind::kStruct; }

  bool as_bool() const { return int_ != 0; }
  std::int64_t as_int() const { return int_; }
  double as_double() const { return double_; }
  const std::string& as_string() const { return str_; }  // string or blob bytes
  std::string& mutable_string() { return str_; }

  // List access.
  const std::vector<Value>& items() const { return items_; }
  std::vector<Value>& mutable_items() { return items_; }
  Value& Append(Value v) {
    if (items_.capacity() == 0) items_.reserve(kFirstCapacity);
    items_.push_back(std::move(v));
    return items_.back();
  }

  // Struct / map access (ordered; later Set of the same key replaces).
  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<Entry>& mutable_entries() { return entries_; }
  const Value* Get(std::string_view key) const {
    for (const auto& e : entries_)
      if (e.first == key) return &e.second;
    return nullptr;
  }
  Value* GetMutable(std::string_view key) {
    for (auto& e : entries_)
      if (e.first == key) return &e.second;
    return nullptr;
  }
  Value& Set(std::string key, Value v) {
    if (Value* old = GetMutable(key)) {
      *old = std::move(v);
      return *old;
    }
    if (entries_.capacity() == 0) entries_.reserve(kFirstCapacity);
    entries_.emplace_back(std::move(key), std::move(v));
    return entries_.back().second;
  }
  // Convenience for handlers: typed optional member reads (nullopt when absent or null).
  std::optional<std::string_view> GetString(std::string_view key) const {
    const Value* v = Get(key);
    if (!v || (v->kind_ != Kind::kString && v->kind_ != Kind::kBlob)) return std::nullopt;
    return std::string_view(v->str_);
  }
  std::optional<std::int64_t> GetInt(std::string_view key) const {
    const Value* v = Get(key);
    if (!v || v->kind_ != Kind::kInt) return std::nullopt;
    return v->int_;
  }
  std::optional<bool> GetBool(std::string_view key) const {
    const Value* v = Get(key);
    if (!v || v->kind_ != Kind::kBool) return std::nullopt;
    return v->int_ != 0;
  }

 private:
  // Lists and structures start with room for this many: most answers' structures have 2 to 4
  // members, and growing 1, 2, 4 moved every member twice (a tenth of a batch send's work).
  static constexpr std::size_t kFirstCapacity = 4;
  explicit Value(Kind k) : kind_(k) {}
  Kind kind_ = Kind::kNull;
  std::int64_t int_ = 0;
  double double_ = 0;
  std::string str_;
  std::vector<Value> items_;
  std::vector<Entry> entries_;
};

}  // namespace sluice::protocol
