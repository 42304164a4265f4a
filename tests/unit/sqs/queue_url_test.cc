#include "services/sqs/queue_url.h"

#include <gtest/gtest.h>

namespace sluice::sqs {
namespace {

using engine::QueueId;

// The caller is account 111122223333 signing for eu-west-1; the configured region is us-east-1.
std::optional<QueueId> Parse(std::string_view url) {
  return ParseQueueUrl(url, UrlScope{"111122223333", "eu-west-1", "us-east-1"});
}

QueueId Id(std::string account, std::string name, std::string region = "us-east-1") {
  return QueueId{std::move(account), std::move(name), std::move(region)};
}

TEST(QueueUrl, ParsesAnyHost) {
  EXPECT_EQ(Parse("http://localhost:9324/000000000000/q1"), Id("000000000000", "q1"));
  EXPECT_EQ(Parse("http://other-host.example:4566/123456789012/jobs.fifo"),
            Id("123456789012", "jobs.fifo"));
  EXPECT_EQ(Parse("http://[::1]:9324/000000000000/q"), Id("000000000000", "q"));
}

TEST(QueueUrl, AwsQueueHostsNameTheirRegion) {
  EXPECT_EQ(Parse("https://sqs.us-east-2.amazonaws.com/123456789012/MyQueue"),
            Id("123456789012", "MyQueue", "us-east-2"));
  EXPECT_EQ(Parse("https://us-west-1.queue.amazonaws.com/123456789012/MyQueue"),
            Id("123456789012", "MyQueue", "us-west-1"));
  EXPECT_EQ(Parse("http://sqs.ap-southeast-2.localhost.localstack.cloud:4566/123456789012/q"),
            Id("123456789012", "q", "ap-southeast-2"));
  // Not a region: the default one.
  EXPECT_EQ(Parse("http://sqs.example.com/123456789012/q"), Id("123456789012", "q"));
  EXPECT_EQ(Parse("http://sqs.localhost:9324/123456789012/q"), Id("123456789012", "q"));
  EXPECT_EQ(Parse("http://127.0.0.1:9324/123456789012/q"), Id("123456789012", "q"));
}

TEST(QueueUrl, ParsesBarePathsInTheDefaultRegion) {
  EXPECT_EQ(Parse("/000000000000/q1"), Id("000000000000", "q1"));
  EXPECT_EQ(Parse("000000000000/q1"), Id("000000000000", "q1"));
}

TEST(QueueUrl, RegionPathNamesTheRegion) {
  EXPECT_EQ(Parse("http://localhost:4566/queue/us-west-2/000000000000/q1"),
            Id("000000000000", "q1", "us-west-2"));
  EXPECT_EQ(Parse("/queue/us-east-1/000000000000/q1"), Id("000000000000", "q1"));
  EXPECT_EQ(Parse("/queue/us-gov-west-1/000000000000/q1"),
            Id("000000000000", "q1", "us-gov-west-1"));
  // The path's region wins over the host's.
  EXPECT_EQ(Parse("https://sqs.us-east-2.amazonaws.com/queue/eu-central-1/000000000000/q1"),
            Id("000000000000", "q1", "eu-central-1"));
}

TEST(QueueUrl, UsesTheLastTwoSegments) {
  EXPECT_EQ(Parse("http://proxy/sqs/000000000000/q1"), Id("000000000000", "q1"));
  EXPECT_EQ(Parse("http://proxy/queue/not_a_region/000000000000/q1"), Id("000000000000", "q1"));
}

TEST(QueueUrl, ElasticMqQueuePrefixMeansTheCallersAccountAndRegion) {
  EXPECT_EQ(Parse("http://localhost:9324/queue/q1"), Id("111122223333", "q1", "eu-west-1"));
}

TEST(QueueUrl, IgnoresQueryAndFragment) {
  EXPECT_EQ(Parse("http://h/000000000000/q1?Action=SendMessage"), Id("000000000000", "q1"));
  EXPECT_EQ(Parse("/000000000000/q1#x"), Id("000000000000", "q1"));
}

TEST(QueueUrl, BareQueueNameMeansTheCallersAccountAndRegion) {
  // AWS accepts QueueUrl="my-queue": the queue of that name in the caller's account and region.
  EXPECT_EQ(Parse("q1"), Id("111122223333", "q1", "eu-west-1"));
  EXPECT_EQ(Parse("My_queue-2.fifo"), Id("111122223333", "My_queue-2.fifo", "eu-west-1"));
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

TEST(QueueUrl, FormatsTheDefaultRegionWithoutIt) {
  EXPECT_EQ(FormatQueueUrl("http", "localhost:9324", Id("000000000000", "q1"), "us-east-1"),
            "http://localhost:9324/000000000000/q1");
  EXPECT_EQ(FormatQueueUrl("https", "sqs.example", {"123456789012", "a.fifo"}, "us-east-1"),
            "https://sqs.example/123456789012/a.fifo");
}

TEST(QueueUrl, FormatsOtherRegionsInThePath) {
  const QueueId west = Id("000000000000", "q1", "us-west-2");
  const std::string url = FormatQueueUrl("http", "localhost:9324", west, "us-east-1");
  EXPECT_EQ(url, "http://localhost:9324/queue/us-west-2/000000000000/q1");
  // And back, whatever the caller's region.
  EXPECT_EQ(Parse(url), west);
}

}  // namespace
}  // namespace sluice::sqs
