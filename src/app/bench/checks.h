// Correctness checks of the load generator: self-describing message bodies (a sequence number plus
// filler derived from it, so corruption anywhere in the body is detected), a thread-safe tracker of
// which sequences came back (duplicates, unknown, corrupt, missing), MD5 checks and the final
// count comparisons. Pure logic, no I/O.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::bench {

// Body layout: "sb" + 12 decimal digits of the sequence + "-" + filler(seq, position).
// Only [0-9A-Za-z_-], so it needs no escaping in JSON, forms or XML.
inline constexpr std::size_t kSeqBodyPrefix = 15;
inline constexpr std::size_t kMinSeqBodySize = 16;
inline constexpr std::uint64_t kMaxSeq = 999'999'999'999;

// Writes the body for `seq` into out[0, size). size >= kMinSeqBodySize, seq <= kMaxSeq.
void WriteSeqBody(std::uint64_t seq, char* out, std::size_t size);
std::string MakeSeqBody(std::uint64_t seq, std::size_t size);
// The sequence number when `body` is exactly MakeSeqBody(seq, body.size()), else nullopt.
std::optional<std::uint64_t> ParseSeqBody(std::string_view body);
// The sequence number in the prefix, if the prefix is well-formed (the rest unchecked).
std::optional<std::uint64_t> PeekSeq(std::string_view body);

// The fixed body used by the send and batch workloads (same pattern as the external harness).
std::string ConstantBody(std::size_t size);

// Case-insensitive comparison of a hex digest with md5(body).
bool Md5Matches(std::string_view body, std::string_view md5_hex);

enum class Verdict { kOk, kDuplicate, kUnknown, kCorrupt };

// Tracks the sequences [0, sent) a workload put into a queue and what came back. Thread-safe.
class SeqTracker {
 public:
  SeqTracker(std::uint64_t sent, std::size_t body_size);

  Verdict OnReceived(std::string_view body);

  std::uint64_t sent() const { return sent_; }
  std::uint64_t ok() const { return ok_.load(); }
  std::uint64_t duplicates() const { return dup_.load(); }
  std::uint64_t unknown() const { return unknown_.load(); }
  std::uint64_t corrupt() const { return corrupt_.load(); }
  std::uint64_t missing() const { return sent_ - ok(); }  // sent but never received

 private:
  std::uint64_t sent_;
  std::size_t body_size_;
  std::unique_ptr<std::atomic<std::uint8_t>[]> seen_;
  std::atomic<std::uint64_t> ok_{0}, dup_{0}, unknown_{0}, corrupt_{0};
};

// Final verdicts. Each returns the failures found (empty = OK).
// Send/batch: every acknowledged message must be in the (fresh) queue, no more, no less.
std::vector<std::string> SendFailures(std::uint64_t acked, std::int64_t queue_count,
                                      std::uint64_t md5_mismatches);

struct DrainOutcome {
  std::uint64_t filled = 0;            // messages acknowledged by the fill phase
  std::int64_t count_after_fill = -1;  // ApproximateNumberOfMessages after the fill
  std::uint64_t deleted = 0;           // entries acknowledged by DeleteMessageBatch
  std::int64_t remaining = -1;         // visible + not visible after the drain
  std::uint64_t md5_mismatches = 0;
  std::uint64_t delete_failures = 0;  // entries in DeleteMessageBatch's Failed[]
  bool timed_out = false;             // stopped by --duration before the queue was empty
};
std::vector<std::string> DrainFailures(const SeqTracker& tracker, const DrainOutcome& o);

}  // namespace sluice::bench
