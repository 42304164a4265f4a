#include "services/sqs/queue_url.h"

#include <gtest/gtest.h>

namespace sluice::sqs {
namespace {

using engine::QueueId;

std::optional<QueueId> Parse(std::string_view url) { return ParseQueueUrl(url, "111122223333"); }

TEST(QueueUrl, ParsesAnyHost) {
  EXPECT_EQ(Parse("http://localhost:9324/000000000000/q1"), (QueueId{"000000000000", "q1"}));
  EXPECT_EQ(Parse("https://sqs.us-east-2.amazonaws.com/123456789012/MyQueue"),
            (QueueId{"123456789012", "MyQueue"}));
  EXPECT_EQ(Parse("http://other-host.example:4566/123456789012/jobs.fifo"),
            (QueueId{"123456789012", "jobs.fifo"}));
  EXPECT_EQ(Parse("http://[::1]:9324/000000000000/q"), (QueueId{"000000000000", "q"}));
}

TEST(QueueUrl, ParsesBarePaths) {
  EXPECT_EQ(Parse("/000000000000/q1"), (QueueId{"000000000000", "q1"}));
  EXPECT_EQ(Parse("000000000000/q1"), (QueueId{"000000000000", "q1"}));
}

TEST(QueueUrl, UsesTheLastTwoSegments) {
  EXPECT_EQ(Parse("http://localhost:4566/queue/us-east-1/000000000000/q1"),
            (QueueId{"000000000000", "q1"}));
}

TEST(QueueUrl, ElasticMqQueuePrefixMeansDefaultAccount) {
  EXPECT_EQ(Parse("http://localhost:9324/queue/q1"), (QueueId{"111122223333", "q1"}));
}

TEST(QueueUrl, IgnoresQueryAndFragment) {
  EXPECT_EQ(Parse("http://h/000000000000/q1?Action=SendMessage"), (QueueId{"000000000000", "q1"}));
  EXPECT_EQ(Parse("/000000000000/q1#x"), (QueueId{"000000000000", "q1"}));
}

TEST(QueueUrl, BareQueueNameMeansDefaultAccount) {
  // AWS accepts QueueUrl="my-queue": the queue of that name in the caller's account.
  EXPECT_EQ(Parse("q1"), (QueueId{"111122223333", "q1"}));
  EXPECT_EQ(Parse("My_queue-2.fifo"), (QueueId{"111122223333", "My_queue-2.fifo"}));
  EXPECT_FALSE(Parse("not a name"));
  EXPECT_FALSE(Parse("q1?x"));
  EXPECT_FALSE(Parse(std::string(81, 'a')));
}

TEST(QueueUrl, RejectsMalformed) {
  EXPECT_FALSE(Parse(""));
  EXPECT_FALSE(Parse("/"));
  EXPECT_FALSE(Parse("http://localhost:9324"));
  EXPECT_FALSE(Parse("http://localhost:9324/"));
  EXPECT_FALSE(Parse("http://localhost:9324/q1"));
  EXPECT_FALSE(Parse("http://localhost:9324/000000000000/"));
  EXPECT_FALSE(Parse("http://localhost:9324/12345/q1"));         // not 12 digits
  EXPECT_FALSE(Parse("http://localhost:9324/00000000000a/q1"));  // not digits
  EXPECT_FALSE(Parse("/a/queue/q1"));                            // "queue" only as /queue/NAME
}

TEST(QueueUrl, Formats) {
  EXPECT_EQ(FormatQueueUrl("http", "localhost:9324", {"000000000000", "q1"}),
            "http://localhost:9324/000000000000/q1");
  EXPECT_EQ(FormatQueueUrl("https", "sqs.example", {"123456789012", "a.fifo"}),
            "https://sqs.example/123456789012/a.fifo");
}

}  // namespace
}  // namespace sluice::sqs
