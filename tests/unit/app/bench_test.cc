// Pure units of `sluice bench`: histogram percentiles, message-body and tracker checks, the final
// count verdicts, the HTTP response parser and the request/response JSON helpers. No network.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "app/bench/checks.h"
#include "app/bench/histogram.h"
#include "app/bench/http_client.h"
#include "app/bench/sqs.h"
#include "common/encoding.h"

namespace sluice::bench {
namespace {

// ---- Histogram ---------------------------------------------------------------------------------

TEST(HistogramTest, EmptyIsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(50), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
}

TEST(HistogramTest, IndexRoundTripsAndIsMonotonic) {
  std::size_t prev = 0;
  for (std::uint64_t v : std::vector<std::uint64_t>{0, 1, 255, 256, 257, 511, 512, 1000, 123456789,
                                                    (1ull << 40) + 12345, ~0ull}) {
    const std::size_t i = Histogram::IndexOf(v);
    ASSERT_LT(i, Histogram::kBuckets);
    EXPECT_LE(Histogram::LowestOf(i), v);
    EXPECT_GE(Histogram::HighestOf(i), v);
    EXPECT_GE(i, prev);
    prev = i;
  }
  // Buckets tile the value range without gaps.
  for (std::size_t i = 0; i + 1 < Histogram::kBuckets; ++i) {
    ASSERT_EQ(Histogram::HighestOf(i) + 1, Histogram::LowestOf(i + 1)) << i;
  }
  EXPECT_EQ(Histogram::HighestOf(Histogram::kBuckets - 1), ~0ull);
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.Percentile(50), 50u);
  EXPECT_EQ(h.Percentile(99), 99u);
  EXPECT_EQ(h.Percentile(99.9), 100u);
  EXPECT_EQ(h.Percentile(100), 100u);
  EXPECT_EQ(h.Percentile(0), 1u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(HistogramTest, PercentilesMatchSortedSamplesWithinOnePercent) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(11.0, 1.0);  // ~60 us median in ns, long tail
  std::vector<std::uint64_t> samples;
  Histogram h;
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<std::uint64_t>(dist(rng));
    samples.push_back(v);
    h.Record(v);
  }
  std::sort(samples.begin(), samples.end());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 99.99}) {
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * samples.size()));
    const double exact = static_cast<double>(samples[rank - 1]);
    const double got = static_cast<double>(h.Percentile(p));
    EXPECT_GE(got, exact) << p;
    EXPECT_LE(got, exact * 1.01) << p;
  }
  EXPECT_EQ(h.Percentile(100), samples.back());
  EXPECT_EQ(h.min(), samples.front());
}

TEST(HistogramTest, MergeEqualsRecordingEverything) {
  Histogram a, b, all;
  for (std::uint64_t v = 1; v < 5000; v += 3) {
    (v % 2 ? a : b).Record(v * 97);
    all.Record(v * 97);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double p : {10.0, 50.0, 99.0, 99.9}) EXPECT_EQ(a.Percentile(p), all.Percentile(p));
  a.Reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.Percentile(50), 0u);
}

TEST(HistogramTest, TailPercentileSeesOutlier) {
  Histogram h;
  for (int i = 0; i < 999; ++i) h.Record(100'000);
  h.Record(50'000'000);
  EXPECT_LE(h.Percentile(99.9), 100'800u);  // rank 999 is still the bulk
  EXPECT_EQ(h.Percentile(99.95), 50'000'000u);
}

// ---- Bodies and tracker ------------------------------------------------------------------------

TEST(SeqBodyTest, RoundTripsAndHasExactSize) {
  for (std::size_t size : {16u, 17u, 256u, 4096u}) {
    for (std::uint64_t seq : std::vector<std::uint64_t>{0, 1, 42, 999999, kMaxSeq}) {
      const std::string b = MakeSeqBody(seq, size);
      ASSERT_EQ(b.size(), size);
      EXPECT_EQ(ParseSeqBody(b), seq);
      EXPECT_EQ(
          b.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"),
          std::string::npos);
    }
  }
  EXPECT_NE(MakeSeqBody(1, 256), MakeSeqBody(2, 256));
}

TEST(SeqBodyTest, DetectsCorruptionAnywhere) {
  const std::string good = MakeSeqBody(1234, 256);
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = bad[i] == 'x' ? 'y' : 'x';
    const auto seq = ParseSeqBody(bad);
    EXPECT_TRUE(!seq || *seq != 1234) << "flip at " << i;
  }
  EXPECT_FALSE(ParseSeqBody(good.substr(0, 255)).has_value() &&
               *ParseSeqBody(good.substr(0, 255)) != 1234);
  EXPECT_FALSE(ParseSeqBody("hello world"));
  EXPECT_FALSE(ParseSeqBody(""));
  // Another sequence's filler under this prefix.
  std::string swapped = MakeSeqBody(7, 64);
  swapped.replace(0, kSeqBodyPrefix, MakeSeqBody(8, 64).substr(0, kSeqBodyPrefix));
  EXPECT_FALSE(ParseSeqBody(swapped));
}

TEST(SeqTrackerTest, ClassifiesOkDuplicateUnknownCorruptMissing) {
  SeqTracker t(5, 64);
  EXPECT_EQ(t.OnReceived(MakeSeqBody(0, 64)), Verdict::kOk);
  EXPECT_EQ(t.OnReceived(MakeSeqBody(3, 64)), Verdict::kOk);
  EXPECT_EQ(t.OnReceived(MakeSeqBody(3, 64)), Verdict::kDuplicate);
  EXPECT_EQ(t.OnReceived(MakeSeqBody(5, 64)), Verdict::kUnknown);  // never sent
  EXPECT_EQ(t.OnReceived(MakeSeqBody(1, 63)), Verdict::kCorrupt);  // truncated
  std::string bad = MakeSeqBody(2, 64);
  bad[40] = bad[40] == 'a' ? 'b' : 'a';
  EXPECT_EQ(t.OnReceived(bad), Verdict::kCorrupt);
  EXPECT_EQ(t.OnReceived("not ours"), Verdict::kCorrupt);
  EXPECT_EQ(t.ok(), 2u);
  EXPECT_EQ(t.duplicates(), 1u);
  EXPECT_EQ(t.unknown(), 1u);
  EXPECT_EQ(t.corrupt(), 3u);
  EXPECT_EQ(t.missing(), 3u);  // 1, 2, 4
}

TEST(SeqTrackerTest, ThreadSafeExactlyOnce) {
  constexpr std::uint64_t kN = 20000;
  SeqTracker t(kN, 32);
  std::vector<std::string> bodies;
  for (std::uint64_t i = 0; i < kN; ++i) bodies.push_back(MakeSeqBody(i, 32));
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {  // every body delivered twice across threads
    threads.emplace_back([&, k] {
      for (std::uint64_t i = k % 2; i < kN; i += 2) t.OnReceived(bodies[i]);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(t.ok(), kN);
  EXPECT_EQ(t.duplicates(), kN);
  EXPECT_EQ(t.missing(), 0u);
}

TEST(Md5Test, MatchesCaseInsensitively) {
  const std::string md5 = Md5Hex("hello");
  EXPECT_TRUE(Md5Matches("hello", md5));
  std::string upper = md5;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_TRUE(Md5Matches("hello", upper));
  EXPECT_FALSE(Md5Matches("hellO", md5));
  EXPECT_FALSE(Md5Matches("hello", ""));
  EXPECT_FALSE(Md5Matches("hello", md5.substr(1)));
}

TEST(ConstantBodyTest, SizeAndPattern) {
  EXPECT_EQ(ConstantBody(256).size(), 256u);
  EXPECT_EQ(ConstantBody(256).substr(0, 12), "0123456789ab");
  EXPECT_EQ(ConstantBody(1000).size(), 1000u);
  EXPECT_EQ(ConstantBody(1), "0");
}

// ---- Verdicts ----------------------------------------------------------------------------------

TEST(VerdictTest, SendCountsMustMatchExactly) {
  EXPECT_TRUE(SendFailures(1000, 1000, 0).empty());
  EXPECT_EQ(SendFailures(1000, 999, 0).size(), 1u);
  EXPECT_EQ(SendFailures(1000, 1001, 0).size(), 1u);
  EXPECT_EQ(SendFailures(1000, -1, 0).size(), 1u);
  EXPECT_EQ(SendFailures(1000, 1000, 3).size(), 1u);
}

DrainOutcome CleanDrain(std::uint64_t n) {
  DrainOutcome o;
  o.filled = n;
  o.count_after_fill = static_cast<std::int64_t>(n);
  o.deleted = n;
  o.remaining = 0;
  return o;
}

TEST(VerdictTest, CleanDrainPasses) {
  SeqTracker t(10, 32);
  for (int i = 0; i < 10; ++i) t.OnReceived(MakeSeqBody(i, 32));
  EXPECT_TRUE(DrainFailures(t, CleanDrain(10)).empty());
}

TEST(VerdictTest, DrainDetectsMissingDuplicateCorruptAndCounts) {
  SeqTracker t(10, 32);
  for (int i = 0; i < 9; ++i) t.OnReceived(MakeSeqBody(i, 32));  // 9 never arrives
  t.OnReceived(MakeSeqBody(4, 32));                              // duplicate
  t.OnReceived(MakeSeqBody(11, 32));                             // unknown
  t.OnReceived("garbage-garbage-garbage-garbage!");              // corrupt
  auto o = CleanDrain(10);
  o.deleted = 12;
  o.md5_mismatches = 1;
  o.remaining = 1;
  const auto f = DrainFailures(t, o);
  auto has = [&](std::string_view needle) {
    return std::any_of(f.begin(), f.end(),
                       [&](const std::string& s) { return s.find(needle) != std::string::npos; });
  };
  EXPECT_TRUE(has("duplicate"));
  EXPECT_TRUE(has("never sent"));
  EXPECT_TRUE(has("corrupt"));
  EXPECT_TRUE(has("MD5OfBody"));
  EXPECT_TRUE(has("never received"));
  EXPECT_TRUE(has("left in the queue"));
  EXPECT_TRUE(has("distinct messages"));
}

TEST(VerdictTest, DrainStoppedByDurationChecksRemainder) {
  SeqTracker t(10, 32);
  for (int i = 0; i < 6; ++i) t.OnReceived(MakeSeqBody(i, 32));
  auto o = CleanDrain(10);
  o.deleted = 6;
  o.timed_out = true;
  o.remaining = 4;
  EXPECT_TRUE(DrainFailures(t, o).empty());
  o.remaining = 3;  // a message vanished
  EXPECT_EQ(DrainFailures(t, o).size(), 1u);
  o.remaining = 4;
  o.count_after_fill = 9;  // fill count check
  EXPECT_EQ(DrainFailures(t, o).size(), 1u);
}

// ---- HTTP --------------------------------------------------------------------------------------

TEST(HttpParseTest, ContentLengthAndPartial) {
  const std::string resp =
      "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\ncontent-length: 7\r\n\r\n"
      "{\"a\":1}HTTP/1.1";
  ParsedResponse r;
  std::string scratch, err;
  for (std::size_t n = 0; n < resp.size() - 8 - 7; ++n) {
    ASSERT_EQ(ParseResponse(std::string_view(resp).substr(0, n), &r, &scratch, &err),
              ParseState::kIncomplete)
        << n;
  }
  ASSERT_EQ(ParseResponse(resp, &r, &scratch, &err), ParseState::kComplete);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"a\":1}");
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(r.consumed, resp.size() - 8);
}

TEST(HttpParseTest, ChunkedConnectionCloseAndInterim) {
  const std::string resp =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "5\r\n{\"__t\r\n3;ext=1\r\nype\r\n0\r\n\r\n";
  ParsedResponse r;
  std::string scratch, err;
  ASSERT_EQ(ParseResponse(resp, &r, &scratch, &err), ParseState::kComplete) << err;
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "{\"__type");
  EXPECT_FALSE(r.keep_alive);
  EXPECT_EQ(r.consumed, resp.size());
  EXPECT_EQ(ParseResponse(resp.substr(0, resp.size() - 2), &r, &scratch, &err),
            ParseState::kIncomplete);
}

TEST(HttpParseTest, Errors) {
  ParsedResponse r;
  std::string scratch, err;
  EXPECT_EQ(ParseResponse("SSH-2.0-OpenSSH\r\n\r\n", &r, &scratch, &err), ParseState::kError);
  EXPECT_EQ(ParseResponse("HTTP/1.1 200 OK\r\n\r\n", &r, &scratch, &err), ParseState::kError);
  EXPECT_EQ(ParseResponse("HTTP/1.1 204 No Content\r\n\r\n", &r, &scratch, &err),
            ParseState::kComplete);
  EXPECT_EQ(ParseResponse("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", &r, &scratch, &err),
            ParseState::kError);
  EXPECT_EQ(ParseResponse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", &r, &scratch, &err),
            ParseState::kComplete);
  EXPECT_FALSE(r.keep_alive);
}

TEST(HttpRequestTest, WellFormedJsonRequest) {
  std::string req;
  AppendSqsRequest(&req, "127.0.0.1:9324", "SendMessage", "{\"x\":1}");
  EXPECT_EQ(req.rfind("POST / HTTP/1.1\r\nHost: 127.0.0.1:9324\r\n", 0), 0u);
  EXPECT_NE(req.find("\r\nX-Amz-Target: AmazonSQS.SendMessage\r\n"), std::string::npos);
  EXPECT_NE(req.find("\r\nContent-Type: application/x-amz-json-1.0\r\n"), std::string::npos);
  EXPECT_NE(req.find("\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/"), std::string::npos);
  EXPECT_NE(req.find("\r\nContent-Length: 7\r\n\r\n{\"x\":1}"), std::string::npos);
}

TEST(EndpointTest, Parse) {
  Endpoint ep;
  std::string err;
  ASSERT_TRUE(ParseEndpoint("http://127.0.0.1:9324", &ep, &err));
  EXPECT_EQ(ep.host, "127.0.0.1");
  EXPECT_EQ(ep.port, 9324);
  EXPECT_EQ(ep.host_header, "127.0.0.1:9324");
  ASSERT_TRUE(ParseEndpoint("http://localhost/", &ep, &err));
  EXPECT_EQ(ep.port, 80);
  ASSERT_TRUE(ParseEndpoint("http://[::1]:8080", &ep, &err));
  EXPECT_EQ(ep.host, "::1");
  EXPECT_FALSE(ParseEndpoint("https://x:1", &ep, &err));
  EXPECT_FALSE(ParseEndpoint("http://x:0", &ep, &err));
  EXPECT_FALSE(ParseEndpoint("http://x:1/path", &ep, &err));
}

// ---- SQS JSON ----------------------------------------------------------------------------------

TEST(SqsJsonTest, BuildsAndParses) {
  EXPECT_EQ(SendMessageJson("http://h/0/q", "a\"b\\c\n"),
            "{\"QueueUrl\":\"http://h/0/q\",\"MessageBody\":\"a\\\"b\\\\c\\u000a\"}");
  std::string del;
  AppendDeleteMessageBatchJson(&del, "u", {"h1", "h/2+"});
  EXPECT_EQ(del,
            "{\"QueueUrl\":\"u\",\"Entries\":[{\"Id\":\"0\",\"ReceiptHandle\":\"h1\"},"
            "{\"Id\":\"1\",\"ReceiptHandle\":\"h/2+\"}]}");
  std::vector<ReceivedMessage> msgs;
  ASSERT_TRUE(ParseReceive("{}", &msgs));
  EXPECT_TRUE(msgs.empty());
  ASSERT_TRUE(ParseReceive("", &msgs));
  ASSERT_TRUE(ParseReceive(
      "{\"Messages\":[{\"MessageId\":\"m\",\"ReceiptHandle\":\"r\\/1\",\"MD5OfBody\":\"x\","
      "\"Body\":\"b\"}]}",
      &msgs));
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].receipt_handle, "r/1");
  EXPECT_EQ(msgs[0].body, "b");
  EXPECT_FALSE(ParseReceive("{\"Messages\":", &msgs));
  BatchResult br;
  ASSERT_TRUE(ParseBatchResult(
      "{\"Successful\":[{\"Id\":\"0\",\"MessageId\":\"m\",\"MD5OfMessageBody\":\"abc\"}],"
      "\"Failed\":[{\"Id\":\"1\",\"SenderFault\":true,\"Code\":\"InvalidParameterValue\","
      "\"Message\":\"bad\"}]}",
      &br));
  EXPECT_EQ(br.ok_ids, std::vector<std::string>{"0"});
  EXPECT_EQ(br.ok_md5s, std::vector<std::string>{"abc"});
  ASSERT_EQ(br.failed.size(), 1u);
  EXPECT_EQ(br.failed[0], "1: InvalidParameterValue: bad");
  EXPECT_EQ(CountOccurrences("xaxaxa", "xa"), 3u);
  EXPECT_EQ(
      DescribeError(400, "{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\",\"message\":\"m\"}"),
      "HTTP 400: com.amazonaws.sqs#QueueDoesNotExist: m");
}

}  // namespace
}  // namespace sluice::bench
