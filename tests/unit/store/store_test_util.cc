#include "store_test_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>

namespace sluice::engine::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string tmpl = std::string(base ? base : "/tmp") + "/sluice-store-XXXXXX";
  char* made = mkdtemp(tmpl.data());
  EXPECT_NE(made, nullptr);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

StoredQueue SampleQueue(std::uint64_t key, const std::string& name) {
  StoredQueue q;
  q.key = key;
  q.id = {"000000000000", name, "us-west-2"};
  q.attributes = {{"VisibilityTimeout", "30"}, {"Policy", R"({"Version":"2012-10-17"})"}};
  q.tags = {{"team", "storage"}};
  q.created_ms = 1'700'000'000'000;
  q.modified_ms = 1'700'000'000'500;
  q.purged_ms = 0;
  return q;
}

StoredMessage SampleMessage(std::uint64_t queue_key, std::uint64_t seq, const std::string& body) {
  MessagePayload fields;
  MessagePayload* p = &fields;
  p->message_id = "id-" + std::to_string(queue_key) + "-" + std::to_string(seq);
  p->body = body.empty() ? "body of " + p->message_id : body;
  p->md5_of_body = "md5";
  MessageAttribute a;
  a.name = "color";
  a.data_type = "String";
  a.value = "blue-" + std::to_string(seq);
  MessageAttribute b;
  b.name = "raw";
  b.data_type = "Binary";
  b.binary = true;
  b.value = std::string("\0\x01\xff", 3);
  p->attributes = {a, b};
  p->sender_id = "AIDA000";
  p->sent_ms = 1'700'000'000'000 + static_cast<Millis>(seq);
  if (seq % 2 == 0) {
    p->group_id = "g1";
    p->dedup_id = "d" + std::to_string(seq);
    p->trace_header = "Root=1";
  }
  StoredMessage m;
  m.key = {queue_key, seq};
  m.state.visible_at = p->sent_ms + 5;
  m.payload = Payload::Make(fields);
  return m;
}

StoredMoveTask SampleTask(const std::string& id) {
  StoredMoveTask t;
  t.task_id = id;
  t.source_arn = "arn:aws:sqs:us-east-1:000000000000:dlq";
  t.destination_arn = "arn:aws:sqs:us-east-1:000000000000:src";
  t.max_per_second = 50;
  t.moved = 3;
  t.to_move = 10;
  t.started_ms = 1'700'000'000'000;
  return t;
}

Status CommitAndWait(Store& store, StoreBatch batch) {
  std::promise<Status> p;
  auto f = p.get_future();
  store.Commit(std::move(batch), [&p](Status s) { p.set_value(std::move(s)); });
  return f.get();
}

Result<Recovered> RecoverAll(Store& store) {
  Recovered r;
  Store::RecoveryVisitor v;
  v.on_queue = [&](StoredQueue q) {
    r.queues.push_back(std::move(q));
    r.order.push_back('q');
  };
  v.on_message = [&](StoredMessage m) {
    r.messages.push_back(std::move(m));
    r.order.push_back('m');
  };
  v.on_move_task = [&](StoredMoveTask t) {
    r.tasks.push_back(std::move(t));
    r.order.push_back('t');
  };
  Status s = store.Recover(v);
  if (!s.ok()) return s;
  return r;
}

Result<std::unique_ptr<RocksDbStore>> OpenStore(const std::string& dir, Durability durability) {
  RocksDbStoreOptions o;
  o.data_dir = dir;
  o.durability = durability;
  o.block_cache_bytes = 8 << 20;
  return NewRocksDbStore(o);
}

bool AnyFileContains(const std::string& dir, const std::string& needle) {
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (data.find(needle) != std::string::npos) return true;
  }
  return false;
}

void ExpectPayloadEq(const MessagePayload& a, const MessagePayload& b) {
  EXPECT_EQ(a.message_id, b.message_id);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.md5_of_body, b.md5_of_body);
  ASSERT_EQ(a.attributes.size(), b.attributes.size());
  for (std::size_t i = 0; i < a.attributes.size(); ++i) {
    EXPECT_EQ(a.attributes[i].name, b.attributes[i].name);
    EXPECT_EQ(a.attributes[i].data_type, b.attributes[i].data_type);
    EXPECT_EQ(a.attributes[i].binary, b.attributes[i].binary);
    EXPECT_EQ(a.attributes[i].value, b.attributes[i].value);
    EXPECT_EQ(a.attributes[i].string_list, b.attributes[i].string_list);
    EXPECT_EQ(a.attributes[i].binary_list, b.attributes[i].binary_list);
  }
  EXPECT_EQ(a.sender_id, b.sender_id);
  EXPECT_EQ(a.sent_ms, b.sent_ms);
  EXPECT_EQ(a.trace_header, b.trace_header);
  EXPECT_EQ(a.group_id, b.group_id);
  EXPECT_EQ(a.dedup_id, b.dedup_id);
  EXPECT_EQ(a.dead_letter_source_arn, b.dead_letter_source_arn);
}

void ExpectPayloadEq(const Payload& a, const Payload& b) {
  ExpectPayloadEq(a.Fields(), b.Fields());
}
void ExpectPayloadEq(const MessagePayload& a, const Payload& b) { ExpectPayloadEq(a, b.Fields()); }

void ExpectStateEq(const MessageState& a, const MessageState& b) {
  EXPECT_EQ(a.visible_at, b.visible_at);
  EXPECT_EQ(a.first_receive_ms, b.first_receive_ms);
  EXPECT_EQ(a.last_receive_ms, b.last_receive_ms);
  EXPECT_EQ(a.receive_count, b.receive_count);
  EXPECT_EQ(a.receive_gen, b.receive_gen);
}

void ExpectQueueEq(const StoredQueue& a, const StoredQueue& b) {
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.attributes, b.attributes);
  EXPECT_EQ(a.tags, b.tags);
  EXPECT_EQ(a.created_ms, b.created_ms);
  EXPECT_EQ(a.modified_ms, b.modified_ms);
  EXPECT_EQ(a.purged_ms, b.purged_ms);
}

}  // namespace sluice::engine::testing
