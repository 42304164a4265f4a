#include "app/bench/checks.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/encoding.h"

namespace sluice::bench {
namespace {

constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
static_assert(sizeof(kAlphabet) == 65);

inline char FillerChar(std::uint64_t seq, std::size_t i) {
  // Cheap mix so that neighbouring sequences differ at most positions.
  std::uint64_t x = seq * 0x9E3779B97F4A7C15ULL + i * 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 29;
  return kAlphabet[x & 63];
}

inline char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

}  // namespace

void WriteSeqBody(std::uint64_t seq, char* out, std::size_t size) {
  out[0] = 's';
  out[1] = 'b';
  std::uint64_t v = seq;
  for (int i = 13; i >= 2; --i) {
    out[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out[14] = '-';
  for (std::size_t i = kSeqBodyPrefix; i < size; ++i) out[i] = FillerChar(seq, i);
}

std::string MakeSeqBody(std::uint64_t seq, std::size_t size) {
  std::string s(size, '\0');
  WriteSeqBody(seq, s.data(), size);
  return s;
}

std::optional<std::uint64_t> PeekSeq(std::string_view body) {
  if (body.size() < kSeqBodyPrefix || body[0] != 's' || body[1] != 'b' || body[14] != '-') {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  for (int i = 2; i < 14; ++i) {
    const char c = body[i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

std::optional<std::uint64_t> ParseSeqBody(std::string_view body) {
  auto seq = PeekSeq(body);
  if (!seq || body.size() < kMinSeqBodySize) return std::nullopt;
  for (std::size_t i = kSeqBodyPrefix; i < body.size(); ++i) {
    if (body[i] != FillerChar(*seq, i)) return std::nullopt;
  }
  return seq;
}

std::string ConstantBody(std::size_t size) {
  static constexpr std::string_view kPat =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.~";
  std::string s;
  s.reserve(size);
  while (s.size() < size) s.append(kPat.substr(0, std::min(kPat.size(), size - s.size())));
  return s;
}

bool Md5Matches(std::string_view body, std::string_view md5_hex) {
  if (md5_hex.size() != 32) return false;
  const std::string want = Md5Hex(body);
  for (std::size_t i = 0; i < 32; ++i) {
    if (ToLower(md5_hex[i]) != want[i]) return false;
  }
  return true;
}

SeqTracker::SeqTracker(std::uint64_t sent, std::size_t body_size)
    : sent_(sent), body_size_(body_size), seen_(new std::atomic<std::uint8_t>[sent]) {
  for (std::uint64_t i = 0; i < sent; ++i) seen_[i].store(0, std::memory_order_relaxed);
}

Verdict SeqTracker::OnReceived(std::string_view body) {
  auto peek = PeekSeq(body);
  if (peek && *peek >= sent_) {
    ++unknown_;
    return Verdict::kUnknown;
  }
  if (body.size() != body_size_ || !ParseSeqBody(body)) {
    ++corrupt_;
    return Verdict::kCorrupt;
  }
  if (seen_[*peek].exchange(1, std::memory_order_relaxed) != 0) {
    ++dup_;
    return Verdict::kDuplicate;
  }
  ++ok_;
  return Verdict::kOk;
}

std::vector<std::string> SendFailures(std::uint64_t acked, std::int64_t queue_count,
                                      std::uint64_t md5_mismatches) {
  std::vector<std::string> f;
  if (md5_mismatches) f.push_back(fmt::format("{} MD5OfMessageBody mismatches", md5_mismatches));
  if (queue_count < 0) {
    f.push_back("could not read ApproximateNumberOfMessages");
  } else if (static_cast<std::uint64_t>(queue_count) != acked) {
    f.push_back(fmt::format("acknowledged {} messages but ApproximateNumberOfMessages is {}", acked,
                            queue_count));
  }
  return f;
}

std::vector<std::string> DrainFailures(const SeqTracker& t, const DrainOutcome& o) {
  std::vector<std::string> f;
  if (o.count_after_fill < 0 || static_cast<std::uint64_t>(o.count_after_fill) != o.filled) {
    f.push_back(fmt::format("filled {} but ApproximateNumberOfMessages is {}", o.filled,
                            o.count_after_fill));
  }
  if (t.duplicates()) f.push_back(fmt::format("{} duplicate messages received", t.duplicates()));
  if (t.unknown()) f.push_back(fmt::format("{} received messages were never sent", t.unknown()));
  if (t.corrupt()) f.push_back(fmt::format("{} corrupt message bodies", t.corrupt()));
  if (o.md5_mismatches) f.push_back(fmt::format("{} MD5OfBody mismatches", o.md5_mismatches));
  if (o.delete_failures) {
    f.push_back(fmt::format("{} DeleteMessageBatch entries failed", o.delete_failures));
  }
  if (o.deleted > t.ok()) {
    f.push_back(fmt::format("{} deletes acknowledged but only {} distinct messages received",
                            o.deleted, t.ok()));
  }
  if (!o.timed_out && t.missing()) {
    f.push_back(fmt::format("{} of {} filled messages never received", t.missing(), t.sent()));
  }
  const std::int64_t expect_left =
      static_cast<std::int64_t>(o.filled - std::min(o.filled, o.deleted));
  if (o.remaining < 0) {
    f.push_back("could not read the queue's message counts after the drain");
  } else if (o.remaining != expect_left) {
    f.push_back(fmt::format("{} messages left in the queue after the drain, expected {}",
                            o.remaining, expect_left));
  }
  return f;
}

}  // namespace sluice::bench
