#include "app/bench/workloads.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "app/bench/checks.h"
#include "common/encoding.h"

namespace sluice::bench {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

namespace {

std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t SecondsToNs(double s) { return static_cast<std::int64_t>(s * 1e9); }

std::string ExceptionText(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

// Runs one coroutine per connection, spread round-robin over `threads` single-threaded
// io_contexts, and waits for all of them. Exceptions escaping a coroutine are collected.
using ConnFn = std::function<awaitable<void>(int index)>;
std::vector<std::string> RunConnections(int threads, int conns, const ConnFn& fn) {
  threads = std::max(1, std::min(threads, conns));
  std::vector<std::unique_ptr<asio::io_context>> ios;
  for (int t = 0; t < threads; ++t) ios.push_back(std::make_unique<asio::io_context>(1));
  std::mutex mu;
  std::vector<std::string> errors;
  for (int i = 0; i < conns; ++i) {
    asio::co_spawn(*ios[i % threads], fn(i), [&mu, &errors, i](std::exception_ptr e) {
      if (!e) return;
      std::lock_guard lock(mu);
      errors.push_back(fmt::format("connection {}: {}", i, ExceptionText(e)));
    });
  }
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back([&ios, t] { ios[t]->run(); });
  ios[0]->run();
  for (auto& th : pool) th.join();
  return errors;
}

// Waits until the queue reports `expected` messages (counts are eventually consistent on some
// servers), up to ~2 s. Returns the last count read (-1 on error, with *error set).
std::int64_t SettledCount(ControlClient& control, const std::string& url, bool in_flight,
                          std::int64_t expected, std::string* error) {
  std::int64_t n = -1;
  for (int i = 0; i < 20; ++i) {
    n = control.CountMessages(url, in_flight, error);
    if (n < 0 || n == expected) return n;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return n;
}

// Writes `value` as exactly `width` decimal digits (zero-padded) at s[at].
void WriteDigits(std::string& s, std::size_t at, int width, std::uint64_t value) {
  for (int k = width - 1; k >= 0; --k) {
    s[at + static_cast<std::size_t>(k)] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

std::string Us(std::uint64_t ns) { return fmt::format("{:.1f}", static_cast<double>(ns) / 1e3); }

// ---- send / batch ------------------------------------------------------------------------------

struct SendConnStats {
  Histogram hist;
  std::uint64_t requests = 0, messages = 0, acked = 0, errors = 0, md5_bad = 0;
  std::int64_t last_done = 0;
  std::string first_error;
};

}  // namespace

void RunSendWorkload(const RunContext& ctx, ControlClient& control, const std::string& queue_url,
                     int entries, WorkloadResult* r) {
  const BenchOptions& o = ctx.opts;
  const std::string body = ConstantBody(o.body_size);
  const std::string md5 = Md5Hex(body);
  const bool fifo = o.fifo_groups > 0;
  std::string json;
  if (entries == 1) {
    json = SendMessageJson(queue_url, body, fifo);
  } else {
    json = SendMessageBatchJson(queue_url, std::vector<std::string_view>(entries, body), fifo);
  }
  std::string request;
  AppendSqsRequest(&request, ctx.endpoint.host_header,
                   entries == 1 ? "SendMessage" : "SendMessageBatch", json);
  // FIFO: where each entry's group and deduplication digits sit in the request bytes.
  std::vector<std::pair<std::size_t, std::size_t>> fifo_slots;
  for (std::size_t at = 0; fifo;) {
    const std::size_t g = request.find(kFifoGroupMarker, at);
    if (g == std::string::npos) break;
    const std::size_t d = request.find(kFifoDedupMarker, g);
    fifo_slots.emplace_back(g + kFifoGroupMarker.size(), d + kFifoDedupMarker.size());
    at = d + 1;
  }
  // The digest appears once per acknowledged entry ("MD5OfMessageBody":"<md5>"); MessageIds are
  // UUIDs and cannot collide with it.
  const std::string md5_field = "\"" + md5 + "\"";

  std::vector<SendConnStats> stats(o.connections);
  const std::int64_t start = NowNs();
  const std::int64_t measure = start + SecondsToNs(o.warmup_s);
  const std::int64_t end = measure + SecondsToNs(o.duration_s);

  auto loop = [&](int i) -> awaitable<void> {
    SendConnStats& st = stats[i];
    HttpConn conn(co_await asio::this_coro::executor, ctx.addr);
    std::string fifo_request = request;  // patched per request when sending to a FIFO queue
    std::uint64_t sequence = static_cast<std::uint64_t>(i) << 40;
    for (;;) {
      const std::int64_t t0 = NowNs();
      if (t0 >= end) break;
      for (const auto& [group_at, dedup_at] : fifo_slots) {
        const std::uint64_t n = sequence++;
        WriteDigits(fifo_request, group_at, kFifoGroupDigits,
                    n % static_cast<std::uint64_t>(o.fifo_groups));
        WriteDigits(fifo_request, dedup_at, kFifoDedupDigits, n);
      }
      co_await conn.RoundTrip(fifo ? fifo_request : request);
      const std::int64_t t1 = NowNs();
      if (conn.status() != 200) {
        if (st.errors++ == 0) st.first_error = DescribeError(conn.status(), conn.body());
        if (st.errors >= 10) break;
        continue;
      }
      std::uint64_t ok = CountOccurrences(conn.body(), md5_field);
      if (ok != static_cast<std::uint64_t>(entries)) {
        // Slow path: find out what happened to each entry.
        if (entries == 1) {
          const bool has_id = conn.body().find("\"MessageId\"") != std::string_view::npos;
          ok = has_id ? 1 : 0;
          if (has_id) ++st.md5_bad;
        } else {
          BatchResult br;
          if (!ParseBatchResult(conn.body(), &br)) {
            if (st.errors++ == 0) st.first_error = "unparseable SendMessageBatch response";
            continue;
          }
          ok = br.ok_ids.size();
          for (const auto& m : br.ok_md5s) {
            if (m != md5) ++st.md5_bad;
          }
          if (!br.failed.empty() && st.errors++ == 0) {
            st.first_error = "SendMessageBatch entry failed: " + br.failed.front();
          }
        }
      }
      st.acked += ok;
      if (t0 >= measure) {
        st.hist.Record(static_cast<std::uint64_t>(t1 - t0));
        ++st.requests;
        st.messages += ok;
        st.last_done = std::max(st.last_done, t1);
      }
    }
  };
  for (auto& e : RunConnections(o.threads, o.connections, loop)) {
    ++r->errors;
    r->failures.push_back(e);
  }

  std::uint64_t acked = 0, md5_bad = 0;
  std::int64_t last = measure;
  for (auto& st : stats) {
    r->latency.Merge(st.hist);
    r->requests += st.requests;
    r->messages += st.messages;
    r->errors += st.errors;
    acked += st.acked;
    md5_bad += st.md5_bad;
    last = std::max(last, st.last_done);
    if (!st.first_error.empty()) r->failures.push_back(st.first_error);
  }
  r->elapsed_s = static_cast<double>(last - measure) / 1e9;
  std::string err;
  const std::int64_t count =
      SettledCount(control, queue_url, false, static_cast<std::int64_t>(acked), &err);
  if (!err.empty()) r->failures.push_back(err);
  for (auto& f : SendFailures(acked, count, md5_bad)) r->failures.push_back(f);
  r->notes.push_back(
      fmt::format("acknowledged {} messages (incl. warmup); queue holds {}", acked, count));
  r->extra.emplace_back("entries_per_request", fmt::format("{}", entries));
  r->extra.emplace_back("acked", fmt::format("{}", acked));
  r->extra.emplace_back("queue_count", fmt::format("{}", count));
}

// ---- receive (fill, then drain) ----------------------------------------------------------------

namespace {

struct FillConnStats {
  std::uint64_t acked = 0, md5_bad = 0, errors = 0;
  std::string first_error;
};

struct DrainConnStats {
  Histogram hist;
  std::uint64_t receives = 0, empty_receives = 0, deletes = 0, deleted = 0, delete_failed = 0;
  std::uint64_t md5_bad = 0, errors = 0;
  std::int64_t first_start = INT64_MAX, last_done = 0;
  bool timed_out = false;
  std::string first_error;
};

}  // namespace

void RunReceiveWorkload(const RunContext& ctx, ControlClient& control, const std::string& queue_url,
                        WorkloadResult* r) {
  const BenchOptions& o = ctx.opts;
  if (o.body_size < kMinSeqBodySize || o.fill > kMaxSeq) {
    r->failures.push_back(
        fmt::format("receive needs --body-size >= {} and --fill <= {}", kMinSeqBodySize, kMaxSeq));
    return;
  }
  // Fill: batches of 10 sequence-numbered bodies, every entry's MD5 checked.
  const std::uint64_t batches = (o.fill + 9) / 10;
  std::atomic<std::uint64_t> next_batch{0};
  std::atomic<bool> abort{false};
  std::vector<FillConnStats> fstats(o.connections);
  const std::int64_t fill_start = NowNs();
  auto fill = [&](int i) -> awaitable<void> {
    FillConnStats& st = fstats[i];
    HttpConn conn(co_await asio::this_coro::executor, ctx.addr);
    std::vector<std::string> bodies;
    std::vector<std::string_view> views;
    std::string request;
    BatchResult br;
    for (;;) {
      const std::uint64_t b = next_batch++;
      if (b >= batches || abort) break;
      const std::uint64_t first = b * 10, last = std::min<std::uint64_t>(o.fill, first + 10);
      bodies.clear();
      views.clear();
      for (std::uint64_t s = first; s < last; ++s) bodies.push_back(MakeSeqBody(s, o.body_size));
      for (const auto& s : bodies) views.push_back(s);
      request.clear();
      AppendSqsRequest(&request, ctx.endpoint.host_header, "SendMessageBatch",
                       SendMessageBatchJson(queue_url, views));
      co_await conn.RoundTrip(request);
      std::string err;
      if (conn.status() != 200) {
        err = "fill: " + DescribeError(conn.status(), conn.body());
      } else if (!ParseBatchResult(conn.body(), &br)) {
        err = "fill: unparseable SendMessageBatch response";
      } else {
        for (std::size_t k = 0; k < br.ok_ids.size(); ++k) {
          std::size_t idx = 0;
          const auto& id = br.ok_ids[k];
          auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), idx);
          if (ec != std::errc() || idx >= bodies.size()) {
            err = "fill: unknown entry Id in SendMessageBatch response: " + id;
            continue;
          }
          ++st.acked;
          if (Md5Hex(bodies[idx]) != br.ok_md5s[k]) ++st.md5_bad;
        }
        if (!br.failed.empty()) err = "fill: SendMessageBatch entry failed: " + br.failed.front();
      }
      if (!err.empty()) {
        if (st.errors++ == 0) st.first_error = err;
        abort = true;
        break;
      }
    }
  };
  for (auto& e : RunConnections(o.threads, o.connections, fill)) {
    ++r->errors;
    r->failures.push_back(e);
  }
  std::uint64_t filled = 0, md5_bad = 0;
  for (auto& st : fstats) {
    filled += st.acked;
    md5_bad += st.md5_bad;
    r->errors += st.errors;
    if (!st.first_error.empty()) r->failures.push_back(st.first_error);
  }
  const double fill_s = static_cast<double>(NowNs() - fill_start) / 1e9;
  r->notes.push_back(fmt::format("filled {} messages in {:.2f} s ({:.0f} msgs/s)", filled, fill_s,
                                 filled / std::max(fill_s, 1e-9)));
  r->extra.emplace_back("filled", fmt::format("{}", filled));
  r->extra.emplace_back("fill_s", fmt::format("{:.3f}", fill_s));
  if (md5_bad) r->failures.push_back(fmt::format("fill: {} MD5OfMessageBody mismatches", md5_bad));
  if (!r->ok()) return;

  DrainOutcome out;
  out.filled = filled;
  std::string err;
  out.count_after_fill =
      SettledCount(control, queue_url, false, static_cast<std::int64_t>(filled), &err);
  if (!err.empty()) r->failures.push_back(err);
  if (out.count_after_fill != static_cast<std::int64_t>(filled)) {
    r->failures.push_back(fmt::format("filled {} but ApproximateNumberOfMessages is {}", filled,
                                      out.count_after_fill));
    return;
  }

  // Drain: ReceiveMessage(10, wait 0) + DeleteMessageBatch until everything is deleted.
  SeqTracker tracker(filled, o.body_size);
  std::atomic<std::uint64_t> deleted_total{0};
  const std::string recv_req = [&] {
    std::string s;
    AppendSqsRequest(&s, ctx.endpoint.host_header, "ReceiveMessage",
                     ReceiveMessageJson(queue_url, 10, 0));
    return s;
  }();
  std::vector<DrainConnStats> dstats(o.connections);
  const std::int64_t end = NowNs() + SecondsToNs(o.duration_s);
  auto drain = [&](int i) -> awaitable<void> {
    DrainConnStats& st = dstats[i];
    HttpConn conn(co_await asio::this_coro::executor, ctx.addr);
    std::vector<ReceivedMessage> msgs;
    std::vector<std::string> handles;
    std::string json, request;
    BatchResult br;
    auto fail = [&st](std::string e) {
      if (st.errors++ == 0) st.first_error = std::move(e);
    };
    while (deleted_total.load(std::memory_order_relaxed) < filled && !abort) {
      std::int64_t t0 = NowNs();
      if (t0 >= end) {
        st.timed_out = true;
        break;
      }
      st.first_start = std::min(st.first_start, t0);
      co_await conn.RoundTrip(recv_req);
      std::int64_t t1 = NowNs();
      st.hist.Record(static_cast<std::uint64_t>(t1 - t0));
      ++st.receives;
      st.last_done = t1;
      if (conn.status() != 200) {
        fail("ReceiveMessage: " + DescribeError(conn.status(), conn.body()));
        break;
      }
      if (!ParseReceive(conn.body(), &msgs)) {
        fail("unparseable ReceiveMessage response: " + std::string(conn.body().substr(0, 200)));
        break;
      }
      if (msgs.empty()) {
        ++st.empty_receives;
        continue;
      }
      for (const auto& m : msgs) {
        tracker.OnReceived(m.body);
        if (!Md5Matches(m.body, m.md5)) ++st.md5_bad;
      }
      // Delete what was received (in batches of at most 10, should a server return more).
      bool stop = false;
      for (std::size_t k = 0; k < msgs.size() && !stop; k += 10) {
        handles.clear();
        for (std::size_t j = k; j < std::min(msgs.size(), k + 10); ++j) {
          handles.push_back(std::move(msgs[j].receipt_handle));
        }
        json.clear();
        AppendDeleteMessageBatchJson(&json, queue_url, handles);
        request.clear();
        AppendSqsRequest(&request, ctx.endpoint.host_header, "DeleteMessageBatch", json);
        t0 = NowNs();
        co_await conn.RoundTrip(request);
        t1 = NowNs();
        st.hist.Record(static_cast<std::uint64_t>(t1 - t0));
        ++st.deletes;
        st.last_done = t1;
        if (conn.status() != 200) {
          fail("DeleteMessageBatch: " + DescribeError(conn.status(), conn.body()));
          stop = true;
        } else if (!ParseBatchResult(conn.body(), &br)) {
          fail("unparseable DeleteMessageBatch response");
          stop = true;
        } else {
          st.deleted += br.ok_ids.size();
          st.delete_failed += br.failed.size();
          if (!br.failed.empty()) fail("DeleteMessageBatch entry failed: " + br.failed.front());
          deleted_total += br.ok_ids.size();
        }
      }
      if (stop) break;
    }
  };
  for (auto& e : RunConnections(o.threads, o.connections, drain)) {
    ++r->errors;
    r->failures.push_back(e);
  }
  std::int64_t first = INT64_MAX, last = 0;
  std::uint64_t receives = 0, empties = 0;
  for (auto& st : dstats) {
    r->latency.Merge(st.hist);
    r->requests += st.receives + st.deletes;
    receives += st.receives;
    empties += st.empty_receives;
    out.deleted += st.deleted;
    out.delete_failures += st.delete_failed;
    out.md5_mismatches += st.md5_bad;
    out.timed_out = out.timed_out || st.timed_out;
    r->errors += st.errors;
    first = std::min(first, st.first_start);
    last = std::max(last, st.last_done);
    if (!st.first_error.empty()) r->failures.push_back(st.first_error);
  }
  out.timed_out = out.timed_out && out.deleted < filled;
  r->messages = out.deleted;
  r->elapsed_s = last > first ? static_cast<double>(last - first) / 1e9 : 0;
  const auto expect_left = static_cast<std::int64_t>(filled - std::min(filled, out.deleted));
  out.remaining = SettledCount(control, queue_url, true, expect_left, &err);
  if (out.remaining < 0 && !err.empty()) r->failures.push_back(err);
  for (auto& f : DrainFailures(tracker, out)) r->failures.push_back(f);
  r->notes.push_back(fmt::format(
      "drained {} of {} ({} receives, {} empty){}; received ok {}, dup {}, unknown {}, corrupt {}",
      out.deleted, filled, receives, empties, out.timed_out ? " - stopped by --duration" : "",
      tracker.ok(), tracker.duplicates(), tracker.unknown(), tracker.corrupt()));
  r->extra.emplace_back("deleted", fmt::format("{}", out.deleted));
  r->extra.emplace_back("receives", fmt::format("{}", receives));
  r->extra.emplace_back("empty_receives", fmt::format("{}", empties));
  r->extra.emplace_back("timed_out", out.timed_out ? "true" : "false");
}

// ---- latency -----------------------------------------------------------------------------------

namespace {

struct LatencyState {
  bool parked = false, got = false, done = false;
  std::uint64_t expect_seq = UINT64_MAX;
  std::int64_t t_got = 0;
  std::string handle;
  std::uint64_t polls = 0, empty_polls = 0, dup = 0, unknown = 0, corrupt = 0, md5_bad = 0;
  std::uint64_t errors = 0;
  std::string first_error;
  void Fail(std::string e) {
    if (errors++ == 0) first_error = std::move(e);
  }
};

}  // namespace

void RunLatencyWorkload(const RunContext& ctx, ControlClient& control, const std::string& queue_url,
                        WorkloadResult* r) {
  const BenchOptions& o = ctx.opts;
  if (o.body_size < kMinSeqBodySize) {
    r->failures.push_back(fmt::format("latency needs --body-size >= {}", kMinSeqBodySize));
    return;
  }
  asio::io_context io(1);
  LatencyState s;
  asio::steady_timer event(io);
  HttpConn consumer(io.get_executor(), ctx.addr);
  HttpConn producer(io.get_executor(), ctx.addr);
  Histogram ack_hist;
  std::int64_t probe_ns = 0, measure = 0, last_done = 0;
  const auto host = ctx.endpoint.host_header;
  auto request = [&](std::string_view op, const std::string& json) {
    std::string req;
    AppendSqsRequest(&req, host, op, json);
    return req;
  };
  const std::string poll_req = request("ReceiveMessage", ReceiveMessageJson(queue_url, 1, 10));

  auto consume = [&]() -> awaitable<void> {
    std::vector<ReceivedMessage> msgs;
    while (!s.done) {
      co_await consumer.Write(poll_req);
      s.parked = true;
      co_await consumer.Read();
      s.parked = false;
      const std::int64_t t = NowNs();
      ++s.polls;
      if (consumer.status() != 200) {
        s.Fail("ReceiveMessage: " + DescribeError(consumer.status(), consumer.body()));
        break;
      }
      if (!ParseReceive(consumer.body(), &msgs)) {
        s.Fail("unparseable ReceiveMessage response");
        break;
      }
      if (msgs.empty()) ++s.empty_polls;
      for (auto& m : msgs) {
        if (!Md5Matches(m.body, m.md5)) ++s.md5_bad;
        auto seq = m.body.size() == o.body_size ? ParseSeqBody(m.body) : std::nullopt;
        if (seq && *seq == s.expect_seq && !s.got) {
          s.got = true;
          s.t_got = t;
          s.handle = std::move(m.receipt_handle);
          event.cancel();
          continue;
        }
        // A stray: a duplicate of an earlier message, something never sent, or a corrupt body.
        if (!seq) {
          ++s.corrupt;
        } else if (*seq <= s.expect_seq) {
          ++s.dup;
        } else {
          ++s.unknown;
        }
        const std::string del =
            request("DeleteMessage", DeleteMessageJson(queue_url, m.receipt_handle));
        co_await consumer.RoundTrip(del);
      }
    }
    s.done = true;
    event.cancel();
  };

  auto produce = [&]() -> awaitable<void> {
    asio::steady_timer timer(io);
    // Does an empty long poll actually wait? (1-second probe on the consumer connection.)
    {
      const std::string probe = request("ReceiveMessage", ReceiveMessageJson(queue_url, 1, 1));
      const std::int64_t t0 = NowNs();
      co_await consumer.RoundTrip(probe);
      probe_ns = NowNs() - t0;
      if (consumer.status() != 200) {
        s.Fail("ReceiveMessage: " + DescribeError(consumer.status(), consumer.body()));
        s.done = true;
        co_return;
      }
    }
    asio::co_spawn(io, consume(), [&s, &event](std::exception_ptr e) {
      if (e && !s.done) s.Fail("consumer: " + ExceptionText(e));
      s.done = true;
      event.cancel();
    });
    const std::int64_t start = NowNs();
    measure = start + SecondsToNs(o.warmup_s);
    const std::int64_t end = measure + SecondsToNs(o.duration_s);
    std::string body(o.body_size, '\0');
    const std::string md5_probe = "\"MD5OfMessageBody\"";
    for (std::uint64_t seq = 0; !s.done; ++seq) {
      if (NowNs() >= end || r->requests >= static_cast<std::uint64_t>(o.latency_samples)) break;
      // Let the consumer's poll reach the server and park there.
      while (!s.parked && !s.done) {
        timer.expires_after(std::chrono::microseconds(100));
        co_await timer.async_wait(use_awaitable);
      }
      timer.expires_after(std::chrono::milliseconds(2));
      co_await timer.async_wait(use_awaitable);
      if (s.done) break;
      WriteSeqBody(seq, body.data(), body.size());
      const std::string send = request("SendMessage", SendMessageJson(queue_url, body));
      const std::string md5 = Md5Hex(body);
      s.expect_seq = seq;
      s.got = false;
      const std::int64_t t0 = NowNs();
      co_await producer.RoundTrip(send);
      const std::int64_t t_ack = NowNs();
      if (producer.status() != 200) {
        s.Fail("SendMessage: " + DescribeError(producer.status(), producer.body()));
        break;
      }
      if (producer.body().find(md5) == std::string_view::npos) ++s.md5_bad;
      if (!s.got) {
        boost::system::error_code ec;
        event.expires_after(std::chrono::seconds(15));
        co_await event.async_wait(asio::redirect_error(use_awaitable, ec));
        if (!s.got) {
          if (!s.done) s.Fail(fmt::format("message {} not received within 15 s", seq));
          break;
        }
      }
      if (t0 >= measure) {
        r->latency.Record(static_cast<std::uint64_t>(s.t_got - t0));
        ack_hist.Record(static_cast<std::uint64_t>(t_ack - t0));
        ++r->requests;
        last_done = s.t_got;
      }
      const std::string del = request("DeleteMessage", DeleteMessageJson(queue_url, s.handle));
      co_await producer.RoundTrip(del);
      if (producer.status() != 200) {
        s.Fail("DeleteMessage: " + DescribeError(producer.status(), producer.body()));
        break;
      }
    }
    s.done = true;
    consumer.Close();  // ends the parked long poll
    event.cancel();
  };
  asio::co_spawn(io, produce(), [&s](std::exception_ptr e) {
    if (e) s.Fail("producer: " + ExceptionText(e));
    s.done = true;
  });
  io.run();

  r->messages = r->requests;
  r->elapsed_s = last_done > measure ? static_cast<double>(last_done - measure) / 1e9 : 0;
  r->errors += s.errors;
  if (!s.first_error.empty()) r->failures.push_back(s.first_error);
  if (s.dup) r->failures.push_back(fmt::format("{} duplicate messages received", s.dup));
  if (s.unknown)
    r->failures.push_back(fmt::format("{} received messages were never sent", s.unknown));
  if (s.corrupt) r->failures.push_back(fmt::format("{} corrupt message bodies", s.corrupt));
  if (s.md5_bad) r->failures.push_back(fmt::format("{} MD5 mismatches", s.md5_bad));
  if (r->requests == 0 && r->failures.empty()) r->failures.push_back("no latency samples taken");
  std::string err;
  const std::int64_t left = SettledCount(control, queue_url, true, 0, &err);
  if (!err.empty()) r->failures.push_back(err);
  if (left > 0) r->failures.push_back(fmt::format("{} messages left in the queue", left));
  const bool long_poll = probe_ns >= 900'000'000;
  r->notes.push_back(fmt::format(
      "send->receive over a parked long poll; send ack p50 {} us p99 {} us; empty 1 s poll took {} "
      "ms{}; polls {} (empty {})",
      Us(ack_hist.Percentile(50)), Us(ack_hist.Percentile(99)), probe_ns / 1'000'000,
      long_poll ? "" : " (long polling NOT honoured)", s.polls, s.empty_polls));
  r->extra.emplace_back("ack_p50_us", Us(ack_hist.Percentile(50)));
  r->extra.emplace_back("ack_p99_us", Us(ack_hist.Percentile(99)));
  r->extra.emplace_back("long_poll", long_poll ? "true" : "false");
  r->extra.emplace_back("empty_probe_ms", fmt::format("{}", probe_ns / 1'000'000));
  r->extra.emplace_back("polls", fmt::format("{}", s.polls));
}

}  // namespace sluice::bench
