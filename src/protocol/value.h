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
#include <new>
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

  Value() noexcept {}
  Value(const Value& other);
  Value(Value&& other) noexcept;
  Value& operator=(const Value& other);
  Value& operator=(Value&& other) noexcept;
  ~Value() { Destroy(); }

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

  // Scalars read as 0, false or empty when the Value is of another kind.
  bool as_bool() const { return as_int() != 0; }
  std::int64_t as_int() const { return kind_ == Kind::kInt || kind_ == Kind::kBool ? int_ : 0; }
  double as_double() const { return kind_ == Kind::kDouble ? double_ : 0; }
  const std::string& as_string() const {  // string or blob bytes
    return HoldsText() ? str_ : EmptyString();
  }
  // A string or blob's text; a Value of another kind (null only, in practice) becomes an empty
  // string first.
  std::string& mutable_string() {
    if (!HoldsText()) Become(Kind::kString);
    return str_;
  }

  // List access (empty for other kinds; mutable_items makes a non-list an empty list first).
  const std::vector<Value>& items() const { return kind_ == Kind::kList ? items_ : EmptyItems(); }
  std::vector<Value>& mutable_items() {
    if (kind_ != Kind::kList) Become(Kind::kList);
    return items_;
  }
  Value& Append(Value v) {
    std::vector<Value>& items = mutable_items();
    if (items.capacity() == 0) items.reserve(kFirstCapacity);
    items.push_back(std::move(v));
    return items.back();
  }

  // Struct / map access (ordered; later Set of the same key replaces). Empty for other kinds;
  // mutable_entries and Set make a Value that is neither a Struct.
  const std::vector<Entry>& entries() const { return HoldsEntries() ? entries_ : EmptyEntries(); }
  std::vector<Entry>& mutable_entries() {
    if (!HoldsEntries()) Become(Kind::kStruct);
    return entries_;
  }
  const Value* Get(std::string_view key) const {
    for (const auto& e : entries())
      if (e.first == key) return &e.second;
    return nullptr;
  }
  Value* GetMutable(std::string_view key) {
    if (!HoldsEntries()) return nullptr;
    for (auto& e : entries_)
      if (e.first == key) return &e.second;
    return nullptr;
  }
  Value& Set(std::string key, Value v) {
    if (Value* old = GetMutable(key)) {
      *old = std::move(v);
      return *old;
    }
    std::vector<Entry>& entries = mutable_entries();
    if (entries.capacity() == 0) entries.reserve(kFirstCapacity);
    entries.emplace_back(std::move(key), std::move(v));
    return entries.back().second;
  }
  // Convenience for handlers: typed optional member reads (nullopt when absent or null).
  std::optional<std::string_view> GetString(std::string_view key) const {
    const Value* v = Get(key);
    if (!v || !v->HoldsText()) return std::nullopt;
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

  explicit Value(Kind k) noexcept { Construct(k); }
  bool HoldsText() const { return kind_ == Kind::kString || kind_ == Kind::kBlob; }
  bool HoldsEntries() const { return kind_ == Kind::kMap || kind_ == Kind::kStruct; }
  static const std::string& EmptyString();
  static const std::vector<Value>& EmptyItems();
  static const std::vector<Entry>& EmptyEntries();
  // Starts the member of kind `k` (the Value holds nothing).
  void Construct(Kind k) noexcept;
  // Ends the member the Value holds and leaves it null.
  void Destroy() noexcept;
  // Moves what `other`, of the same kind, holds into this Value.
  void StealFrom(Value& other) noexcept;
  void Become(Kind k) noexcept {
    Destroy();
    Construct(k);
  }

  // One member at a time, by kind: a Value is 40 bytes (its three containers side by side took
  // 104), which decoding, answering and destroying request trees move and touch many times.
  Kind kind_ = Kind::kNull;
  union {
    std::int64_t int_ = 0;        // kBool, kInt
    double double_;               // kDouble
    std::string str_;             // kString, kBlob
    std::vector<Value> items_;    // kList
    std::vector<Entry> entries_;  // kMap, kStruct
  };
};

inline void Value::Construct(Kind k) noexcept {
  kind_ = k;
  switch (k) {
    case Kind::kString:
    case Kind::kBlob:
      new (&str_) std::string();
      break;
    case Kind::kList:
      new (&items_) std::vector<Value>();
      break;
    case Kind::kMap:
    case Kind::kStruct:
      new (&entries_) std::vector<Entry>();
      break;
    default:
      int_ = 0;
  }
}

inline void Value::Destroy() noexcept {
  switch (kind_) {
    case Kind::kString:
    case Kind::kBlob:
      str_.~basic_string();
      break;
    case Kind::kList:
      items_.~vector();
      break;
    case Kind::kMap:
    case Kind::kStruct:
      entries_.~vector();
      break;
    default:
      break;
  }
  kind_ = Kind::kNull;
  int_ = 0;
}

inline Value::Value(Value&& other) noexcept : kind_(other.kind_) {
  switch (kind_) {
    case Kind::kString:
    case Kind::kBlob:
      new (&str_) std::string(std::move(other.str_));
      break;
    case Kind::kList:
      new (&items_) std::vector<Value>(std::move(other.items_));
      break;
    case Kind::kMap:
    case Kind::kStruct:
      new (&entries_) std::vector<Entry>(std::move(other.entries_));
      break;
    default:
      int_ = other.int_;  // also carries a double's bits
  }
}

inline Value::Value(const Value& other) : kind_(other.kind_) {
  switch (kind_) {
    case Kind::kString:
    case Kind::kBlob:
      new (&str_) std::string(other.str_);
      break;
    case Kind::kList:
      new (&items_) std::vector<Value>(other.items_);
      break;
    case Kind::kMap:
    case Kind::kStruct:
      new (&entries_) std::vector<Entry>(other.entries_);
      break;
    default:
      int_ = other.int_;
  }
}

// Between Values of the same kind.
inline void Value::StealFrom(Value& other) noexcept {
  switch (kind_) {
    case Kind::kString:
    case Kind::kBlob:
      str_ = std::move(other.str_);
      break;
    case Kind::kList:
      items_ = std::move(other.items_);
      break;
    case Kind::kMap:
    case Kind::kStruct:
      entries_ = std::move(other.entries_);
      break;
    default:
      int_ = other.int_;
  }
}

inline Value& Value::operator=(Value&& other) noexcept {
  if (this == &other) return *this;
  if (kind_ == other.kind_) {
    StealFrom(other);  // a container's move takes `other`'s buffer before freeing its own
    return *this;
  }
  Value taken(std::move(other));  // `other` may live inside this Value
  Destroy();
  new (this) Value(std::move(taken));
  return *this;
}

inline const std::string& Value::EmptyString() {
  static const std::string empty;
  return empty;
}
inline const std::vector<Value>& Value::EmptyItems() {
  static const std::vector<Value> empty;
  return empty;
}
inline const std::vector<Value::Entry>& Value::EmptyEntries() {
  static const std::vector<Entry> empty;
  return empty;
}

inline Value& Value::operator=(const Value& other) {
  if (this == &other) return *this;
  Value copy(other);  // `other` may live inside this Value
  return *this = std::move(copy);
}

}  // namespace sluice::protocol
