#include "protocol/value.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace sluice::protocol {
namespace {

Value Tree() {
  Value v = Value::Struct();
  v.Set("Name", Value::String(std::string(40, 'n')));
  Value& list = v.Set("Items", Value::List());
  list.Append(Value::Int(7));
  list.Append(Value::Blob("\x01\x02"));
  Value& map = v.Set("Tags", Value::Map());
  map.mutable_entries().emplace_back("k", Value::Double(2.5));
  return v;
}

TEST(ValueTest, EachKindReadsOnlyItsOwnMember) {
  EXPECT_EQ(Value::Int(-3).as_int(), -3);
  EXPECT_TRUE(Value::Bool(true).as_bool());
  EXPECT_EQ(Value::Double(1.5).as_double(), 1.5);
  // Another kind's reads are empty, never the bits of the member it holds.
  EXPECT_EQ(Value::Double(1.5).as_int(), 0);
  EXPECT_FALSE(Value::Double(1.5).as_bool());
  EXPECT_EQ(Value::Int(4).as_double(), 0);
  EXPECT_EQ(Value::Int(4).as_string(), "");
  EXPECT_TRUE(Value::String("x").items().empty());
  EXPECT_TRUE(Value::List().entries().empty());
  EXPECT_EQ(Value::String("x").Get("x"), nullptr);
  EXPECT_EQ(Value::Blob("ab").as_string(), "ab");
  EXPECT_EQ(Value().GetString("a"), std::nullopt);
}

TEST(ValueTest, CopiesAndMovesKeepTheTree) {
  const Value original = Tree();
  Value copy = original;
  EXPECT_EQ(copy.GetString("Name"), std::string(40, 'n'));
  ASSERT_EQ(copy.Get("Items")->items().size(), 2u);
  EXPECT_EQ(copy.Get("Items")->items()[0].as_int(), 7);
  EXPECT_EQ(copy.Get("Tags")->entries()[0].second.as_double(), 2.5);
  Value moved = std::move(copy);
  EXPECT_EQ(moved.Get("Items")->items()[1].as_string(), "\x01\x02");
  Value assigned = Value::Int(1);
  assigned = moved;  // a copy across kinds
  EXPECT_TRUE(assigned.is_struct());
  EXPECT_EQ(assigned.entries().size(), 3u);
  assigned = Value::String("s");  // a move across kinds
  EXPECT_EQ(assigned.as_string(), "s");
  EXPECT_TRUE(assigned.entries().empty());
}

TEST(ValueTest, AssigningAChildToItsParentKeepsTheChild) {
  Value v = Tree();
  v = std::move(*v.GetMutable("Items"));  // the parent's storage holds the source
  ASSERT_TRUE(v.is_list());
  ASSERT_EQ(v.items().size(), 2u);
  EXPECT_EQ(v.items()[0].as_int(), 7);
  Value w = Tree();
  w = *w.Get("Tags");  // copy-assign from inside, too
  ASSERT_TRUE(w.is_map());
  EXPECT_EQ(w.entries()[0].first, "k");
  Value list = Value::List();
  list.Append(Tree());
  list = std::move(list.mutable_items()[0]);  // and within the same kind's container
  EXPECT_TRUE(list.is_struct());
  EXPECT_EQ(list.GetString("Name"), std::string(40, 'n'));
}

TEST(ValueTest, SetReplacesAndMutatorsMakeTheirKind) {
  Value v = Value::Struct();
  v.Set("a", Value::Int(1));
  v.Set("a", Value::String("two"));
  ASSERT_EQ(v.entries().size(), 1u);
  EXPECT_EQ(v.GetString("a"), "two");
  Value null_value;
  null_value.Append(Value::Int(1));
  EXPECT_TRUE(null_value.is_list());
  Value other;
  other.mutable_string() = "text";
  EXPECT_TRUE(other.is_string());
  EXPECT_EQ(other.as_string(), "text");
  Value map = Value::Map();
  map.Set("k", Value::Bool(false));
  EXPECT_TRUE(map.is_map());  // a map stays a map
  EXPECT_EQ(map.GetBool("k"), false);
}

}  // namespace
}  // namespace sluice::protocol
