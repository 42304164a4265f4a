// ServiceModel: the shapes and operations of one AWS service, as compact static tables generated
// by tools/gen_model.py from models/<service>.json (see models/README.md).
//
// The protocol layer walks these tables to decode requests (JSON and awsQuery), check required
// members, and encode responses (JSON and XML). Handlers may read the constraints (enum values,
// min/max, pattern) to validate with their service's own error messages: the protocol layer does
// not enforce them (see protocol/README.md, "Validation").
//
// Naming: MemberDef::name is the model member name (JSON key and Value key). MemberDef::query_name
// is the awsQuery key segment and XML element name after botocore's renaming rules: for a
// flattened list it is already the repeated element name ("AttributeName" for AttributeNames,
// "Message" for Messages), for a flattened map the repeated entry name ("Attribute").
// Non-flattened lists add ".<item_name>.N" (item_name "member" by default); non-flattened maps add
// ".entry.N.<key_name>/<value_name>" ("key"/"value" by default).
//
// Strings: a generated table holds no pointers. Each string is a ModelString naming an offset in
// its model's string pool (one char array per model), so the tables need no relocation when the
// binary is loaded: they stay in its read-only pages, shared and paged in only as used, instead
// of being copied into private memory at every start (0.7 MiB for the eight models).
//
// Thread-safety: immutable after construction; generated models are function-local statics.
#pragma once

#include <compare>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string_view>

namespace sluice::protocol {

// The string pools of the generated models, by pool id (tools/gen_model.py --pool-id; CMake
// numbers them). Pool 0 holds the default names below. A generated model registers its pool when
// it is first used (ServiceModel's constructor), before any of its strings can be read.
inline constexpr std::uint16_t kMaxModelPools = 32;
extern const char* model_pools[kMaxModelPools];

// A string of a model table: an offset into a pool or, for tables written by hand (tests), a
// pointer. Converts to std::string_view; compares like one.
class ModelString {
 public:
  constexpr ModelString() = default;  // ""
  constexpr ModelString(std::string_view s)
      : ptr_(s.data()), size_(static_cast<std::uint32_t>(s.size())), pool_(kPointer) {}
  constexpr ModelString(const char* s) : ModelString(std::string_view(s)) {}
  static constexpr ModelString InPool(std::uint16_t pool, std::uint32_t offset,
                                      std::uint32_t size) {
    ModelString m;
    m.offset_ = offset;
    m.size_ = size;
    m.pool_ = pool;
    return m;
  }

  std::string_view view() const {
    return pool_ == kPointer ? std::string_view(ptr_, size_)
                             : std::string_view(model_pools[pool_] + offset_, size_);
  }
  operator std::string_view() const { return view(); }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  bool pooled() const { return pool_ != kPointer; }  // false: a pointer (a table written by hand)
  const char* data() const { return view().data(); }
  std::string_view::const_iterator begin() const { return view().begin(); }
  std::string_view::const_iterator end() const { return view().end(); }

  // Exact matches for each kind of right side (C++20 adds the reversed ones).
  friend bool operator==(const ModelString& a, const ModelString& b) {
    return a.view() == b.view();
  }
  friend bool operator==(const ModelString& a, std::string_view b) { return a.view() == b; }
  friend bool operator==(const ModelString& a, const char* b) { return a.view() == b; }
  friend std::strong_ordering operator<=>(const ModelString& a, std::string_view b) {
    return a.view() <=> b;
  }
  friend std::ostream& operator<<(std::ostream& out, const ModelString& s);

 private:
  static constexpr std::uint16_t kPointer = 0xFFFF;
  union {
    std::uint64_t offset_ = 0;
    const char* ptr_;
  };
  std::uint32_t size_ = 0;
  std::uint16_t pool_ = 0;
};

// The default names of pool 0: "member", "key", "value".
inline constexpr ModelString kMemberName = ModelString::InPool(0, 0, 6);
inline constexpr ModelString kKeyName = ModelString::InPool(0, 6, 3);
inline constexpr ModelString kValueName = ModelString::InPool(0, 9, 5);

// What a generated model hands its ServiceModel: its pool and the pool's id.
struct ModelPool {
  std::uint16_t id = 0;
  const char* chars = nullptr;
};

using ShapeId = std::uint16_t;
inline constexpr ShapeId kNoShape = 0xFFFF;

enum class ShapeType : std::uint8_t {
  kStructure,
  kList,
  kMap,
  kString,
  kInteger,  // 32-bit signed
  kLong,     // 64-bit signed
  kBoolean,
  kBlob,       // raw bytes in Value; base64 on the wire
  kTimestamp,  // Value::Int, milliseconds since the Unix epoch
  kDouble,
  kFloat,
};

struct MemberDef {
  ModelString name = {};        // model member name: JSON key, Value key
  ModelString query_name = {};  // awsQuery key segment / XML element name (see above)
  ShapeId shape = kNoShape;
  bool required = false;
  bool flattened = false;  // list/map without wrapper in Query/XML (member- or shape-level)
};

// Field order matters: generated code uses designated initializers.
struct ShapeDef {
  ModelString name = {};
  ShapeType type = ShapeType::kString;
  // Structure: members [first_member, first_member + member_count) of the member table.
  std::uint16_t first_member = 0;
  std::uint16_t member_count = 0;
  // List.
  ShapeId item = kNoShape;
  ModelString item_name = kMemberName;
  // Map.
  ShapeId key = kNoShape;
  ShapeId value = kNoShape;
  ModelString key_name = kKeyName;
  ModelString value_name = kValueName;
  bool flattened = false;  // shape-level trait (members may add their own)
  // Constraints, enforced by protocol/validation.h for services that ask for it. For strings,
  // blobs, lists and maps min/max bound the length/size; for numbers the value.
  bool has_min = false;
  std::int64_t min = 0;
  bool has_max = false;
  std::int64_t max = 0;
  ModelString pattern = {};  // ECMAScript-ish regex from the model, empty when none
  std::uint16_t first_enum = 0;
  std::uint16_t enum_count = 0;
  bool sensitive = false;  // never echoed in messages (KMS plaintexts, SSM parameter values)
  bool exception = false;  // an error shape
  // Error shapes of Query models: the error code (empty: the shape name), HTTP status (0: not
  // given, 400) and fault as the model's `error` trait gives them.
  ModelString error_code = {};
  std::uint16_t error_status = 0;
  bool error_receiver = false;
};

struct OperationDef {
  ModelString name = {};
  ShapeId input = kNoShape;
  ShapeId output = kNoShape;
  ModelString result_wrapper = {};  // awsQuery: "<Op>Result"
};

struct ServiceMetadata {
  std::string_view service_id = {};     // "SQS"
  std::string_view api_version = {};    // "2012-11-05": the Query Version parameter
  std::string_view protocol = {};       // "json" or "query"
  std::string_view json_version = {};   // "1.0" or "1.1" (JSON protocols)
  std::string_view target_prefix = {};  // "AmazonSQS": X-Amz-Target prefix (JSON protocols)
  std::string_view xml_namespace = {};  // Query/XML responses
  std::string_view signing_name = {};   // SigV4 service name
  bool aws_query_compatible = false;    // JSON and CBOR errors carry x-amzn-query-error
  // Smithy RPC v2 CBOR ("smithy-rpc-v2-cbor" among the model's protocols): requests are
  // POST /service/<target_prefix>/operation/<Op> (the target prefix is the service shape's name).
  bool rpc_v2_cbor = false;
  std::string_view smithy_namespace = {};  // "com.amazonaws.cloudwatch": CBOR errors' __type

  bool SupportsJson() const { return !target_prefix.empty(); }
  bool SupportsCbor() const { return rpc_v2_cbor && !target_prefix.empty(); }
  bool SupportsQuery() const { return protocol == "query" || aws_query_compatible; }
};

class ServiceModel {
 public:
  // operations must be sorted by name (the generator does so); all spans must outlive the model.
  // For tables written by hand, whose strings are pointers.
  constexpr ServiceModel(const ServiceMetadata& metadata, std::span<const ShapeDef> shapes,
                         std::span<const MemberDef> members,
                         std::span<const OperationDef> operations,
                         std::span<const ModelString> enums)
      : metadata_(metadata),
        shapes_(shapes),
        members_(members),
        operations_(operations),
        enums_(enums) {}
  // For generated tables: registers their string pool (aborts if another pool has its id).
  ServiceModel(const ServiceMetadata& metadata, std::span<const ShapeDef> shapes,
               std::span<const MemberDef> members, std::span<const OperationDef> operations,
               std::span<const ModelString> enums, ModelPool pool);

  const ServiceMetadata& metadata() const { return metadata_; }
  std::span<const ShapeDef> shapes() const { return shapes_; }
  std::span<const OperationDef> operations() const { return operations_; }

  const ShapeDef& shape(ShapeId id) const { return shapes_[id]; }
  std::span<const MemberDef> members(const ShapeDef& s) const {
    return members_.subspan(s.first_member, s.member_count);
  }
  std::span<const ModelString> enum_values(const ShapeDef& s) const {
    return enums_.subspan(s.first_enum, s.enum_count);
  }

  // nullptr when unknown. Binary search; case-sensitive.
  const OperationDef* FindOperation(std::string_view name) const;
  // kNoShape when unknown.
  ShapeId FindShape(std::string_view name) const;
  // Member of a structure by model name; nullptr when absent.
  const MemberDef* FindMember(const ShapeDef& s, std::string_view name) const;
  // FindMember for the encoders: a handler's output member that the model does not have is a bug
  // (a misspelt name would silently vanish from every response), so debug builds, which the
  // sanitizer test runs use, abort naming it; release builds log it (the first few times).
  const MemberDef* FindOutputMember(const ShapeDef& s, std::string_view name) const;
  // FindOutputMember for a structure's members written in turn: the member after the one found
  // last (`*next`, 0 at first, then set past each member found) is tried first, so members set
  // in the model's order, as handlers mostly set them, cost one comparison each.
  const MemberDef* FindOutputMember(const ShapeDef& s, std::string_view name,
                                    std::size_t* next) const {
    const auto all = members(s);
    const MemberDef* m =
        *next < all.size() && all[*next].name == name ? &all[*next] : FindOutputMember(s, name);
    if (m != nullptr) *next = static_cast<std::size_t>(m - all.data()) + 1;
    return m;
  }

 private:
  ServiceMetadata metadata_;
  std::span<const ShapeDef> shapes_;
  std::span<const MemberDef> members_;
  std::span<const OperationDef> operations_;
  std::span<const ModelString> enums_;
};

}  // namespace sluice::protocol
