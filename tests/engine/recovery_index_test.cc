// Recovery of a store that keeps payloads hands the engine only what its index needs
// (RecoveryVisitor::on_message_index): the payload's body size, sent time and group id, decoded
// without copying the body or attributes. It must see exactly the messages, states and fields the
// full recovery (on_message) sees, for clear and sealed payloads, and refuse exactly the records
// the full decoder refuses.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "engine/rocksdb/codec.h"
#include "engine/rocksdb/rocksdb_store.h"
#include "engine/store.h"

namespace sluice::engine {
namespace {

using rocksdb_store::DecodePayloadFields;
using rocksdb_store::DecodePayloadIndexFields;
using rocksdb_store::EncodePayloadFields;

std::vector<MessagePayload> SamplePayloads() {
  std::vector<MessagePayload> out;
  MessagePayload plain;
  plain.message_id = "id-1";
  plain.body = "hello";
  plain.md5_of_body = "5d41402abc4b2a76b9719d911017c592";
  plain.sender_id = "000000000000";
  plain.sent_ms = 1'700'000'000'123;
  out.push_back(plain);

  MessagePayload empty;  // every field empty / absent
  out.push_back(empty);

  MessagePayload full = plain;
  full.body = std::string(70'000, 'x');  // multi-byte varint length
  full.attributes.push_back({"a", "String", false, "v", {"s1", "s2"}, {}});
  full.attributes.push_back({"b", "Binary", true, std::string("\0\1\2", 3), {}, {"b1"}});
  full.attributes.push_back({"n", "Number.int", false, "42", {}, {}});
  full.trace_header = "Root=1-abc";
  full.group_id = "group-7";
  full.dedup_id = "dedup";
  full.dead_letter_source_arn = "arn:aws:sqs:us-east-1:000000000000:src";
  out.push_back(full);

  MessagePayload group_only = plain;
  group_only.group_id = "";  // present but empty differs from absent
  group_only.sent_ms = -5;
  out.push_back(group_only);
  return out;
}

void ExpectSameFields(const MessagePayload& p, const rocksdb_store::PayloadIndexFields& f) {
  EXPECT_EQ(f.body_size, p.body.size());
  EXPECT_EQ(f.sent_ms, p.sent_ms);
  EXPECT_EQ(f.group_id, p.group_id);
}

TEST(RecoveryIndexCodecTest, IndexFieldsMatchTheFullDecode) {
  for (const MessagePayload& p : SamplePayloads()) {
    const std::string enc = EncodePayloadFields(p);
    auto f = DecodePayloadIndexFields(enc);
    ASSERT_TRUE(f.has_value());
    ExpectSameFields(p, *f);
  }
}

// Truncated, extended and altered records: the index decoder accepts exactly what the full
// decoder accepts, and when both accept they agree.
TEST(RecoveryIndexCodecTest, AcceptsExactlyWhatTheFullDecoderAccepts) {
  int checked = 0;
  for (const MessagePayload& p : SamplePayloads()) {
    const std::string enc = EncodePayloadFields(p);
    auto check = [&](const std::string& in) {
      auto full = DecodePayloadFields(in);
      auto index = DecodePayloadIndexFields(in);
      ASSERT_EQ(full.has_value(), index.has_value()) << "input size " << in.size();
      if (full) ExpectSameFields(*full, *index);
      ++checked;
    };
    for (std::size_t n = 0; n < enc.size(); n += (n < 300 ? 1 : 997)) check(enc.substr(0, n));
    check(enc + '\0');
    for (std::size_t i = 0; i < enc.size(); i += (i < 300 ? 1 : 997)) {
      for (unsigned char x : {0x01, 0x80, 0xFF}) {
        std::string m = enc;
        m[i] = static_cast<char>(static_cast<unsigned char>(m[i]) ^ x);
        check(m);
      }
    }
  }
  EXPECT_GT(checked, 1000);
}

struct Recovered {
  MessageKey key;
  MessageState state;
  Millis sent_ms;
  std::uint64_t body_size;
  std::optional<std::string> group_id;
  bool operator==(const Recovered& o) const {
    return std::tie(key.queue_key, key.seq, state.visible_at, state.first_receive_ms,
                    state.last_receive_ms, state.receive_count, state.receive_gen, sent_ms,
                    body_size, group_id) ==
           std::tie(o.key.queue_key, o.key.seq, o.state.visible_at, o.state.first_receive_ms,
                    o.state.last_receive_ms, o.state.receive_count, o.state.receive_gen, o.sent_ms,
                    o.body_size, o.group_id);
  }
};

class RecoveryIndexStoreTest : public ::testing::TestWithParam<bool> {
 protected:
  RecoveryIndexStoreTest() {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string templ = std::string(base ? base : "/tmp") + "/sluice-recovery-index-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    dir_ = templ;
  }
  ~RecoveryIndexStoreTest() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void Open() {
    store_.reset();
    RocksDbStoreOptions o;
    o.data_dir = dir_;
    o.durability = Durability::kAsync;
    o.block_cache_bytes = 1 << 20;
    if (GetParam()) o.master_key = std::string(32, 'm');
    auto opened = NewRocksDbStore(o);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened).value();
  }
  void Commit(StoreBatch b) {
    std::promise<Status> p;
    store_->Commit(std::move(b), [&](Status s) { p.set_value(std::move(s)); });
    ASSERT_TRUE(p.get_future().get().ok());
  }
  std::vector<Recovered> RecoverFull() {
    std::vector<Recovered> out;
    Store::RecoveryVisitor v;
    v.on_message = [&](StoredMessage m) {
      const auto group = m.payload->group_id();
      out.push_back({m.key, m.state, m.payload->sent_ms(), m.payload->body().size(),
                     group ? std::optional<std::string>(*group) : std::nullopt});
    };
    EXPECT_TRUE(store_->Recover(v).ok());
    return out;
  }
  std::vector<Recovered> RecoverIndex(int* full_calls) {
    std::vector<Recovered> out;
    Store::RecoveryVisitor v;
    v.on_message = [&](StoredMessage) { ++*full_calls; };
    v.on_message_index = [&](StoredMessageIndex m) {
      out.push_back({m.key, m.state, m.sent_ms, m.body_size, m.group_id});
    };
    EXPECT_TRUE(store_->Recover(v).ok());
    return out;
  }

  std::string dir_;
  std::unique_ptr<RocksDbStore> store_;
};

TEST_P(RecoveryIndexStoreTest, IndexRecoverySeesWhatFullRecoverySees) {
  Open();
  ASSERT_TRUE(store_->KeepsPayloads());
  StoredQueue sealed;
  sealed.key = 11;
  sealed.id = QueueId{"000000000000", "sealed"};
  sealed.attributes = {{"SqsManagedSseEnabled", "true"}};
  StoredQueue clear = sealed;
  clear.key = 12;
  clear.id.name = "clear";
  clear.attributes = {{"SqsManagedSseEnabled", "false"}};
  ASSERT_TRUE(store_->PutQueue(sealed).ok());
  ASSERT_TRUE(store_->PutQueue(clear).ok());

  const auto samples = SamplePayloads();
  StoreBatch puts;
  std::uint64_t seq = 1;
  for (std::uint64_t q : {sealed.key, clear.key}) {
    for (const MessagePayload& p : samples) {
      puts.puts.push_back(
          {{q, seq}, MessageState{static_cast<Millis>(seq * 10), 0, 0, 0, 0}, Payload::Make(p)});
      ++seq;
    }
  }
  puts.sync = true;
  Commit(std::move(puts));
  StoreBatch updates;  // a received message and a deleted one
  updates.updates.push_back({{sealed.key, 3}, MessageState{999, 50, 60, 2, 7}});
  updates.deletes.push_back({clear.key, 6});
  Commit(std::move(updates));

  auto check = [&] {
    auto full = RecoverFull();
    int full_calls = 0;
    auto index = RecoverIndex(&full_calls);
    EXPECT_EQ(full_calls, 0);  // a store keeping payloads uses on_message_index when given
    ASSERT_EQ(full.size(), 2 * samples.size() - 1);
    EXPECT_TRUE(full == index);
    EXPECT_EQ(index[2].state.receive_gen, 7u);
    EXPECT_EQ(index[2].group_id, std::optional<std::string>("group-7"));
    EXPECT_EQ(index[2].body_size, 70'000u);
  };
  check();
  // From SST files after a restart, not only the memtable.
  ASSERT_TRUE(store_->Flush().ok());
  Open();
  check();
}

INSTANTIATE_TEST_SUITE_P(ClearAndEncrypted, RecoveryIndexStoreTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Encrypted" : "Clear"; });

}  // namespace
}  // namespace sluice::engine
