// The PostgreSQL engine's fair queues (standard queues whose messages have a group): each
// tenant's messages in flight, and the receive that passes over noisy tenants.
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "engine/postgres/impl.h"
#include "engine/postgres/rows.h"

namespace sluice::engine::pg {

// Fair queues: every tenant's messages in flight, by group id ("": the messages without a group).
// Whether the queue has groups at all is checked at most once a second per queue and node (this
// node's sends with a group note it at once): a queue without groups costs no statement here
// (nullopt).
Result<std::optional<Impl::Tenants>> Impl::FairTenants(Conn& c, const QRow& q, Millis now) {
  const std::string k = std::to_string(q.key);
  std::optional<bool> grouped;
  {
    std::lock_guard lock(cmu_);
    if (auto it = grouped_.find(q.key);
        it != grouped_.end() && now >= it->second.first && now - it->second.first < 1000) {
      grouped = it->second.second;
    }
  }
  if (!grouped) {
    auto r = c.Exec({"m_grouped",
                     "SELECT EXISTS (SELECT 1 FROM messages WHERE qkey = $1 AND group_id IS NOT "
                     "NULL)"},
                    {k});
    if (!r.ok()) return r.status();
    grouped = r->boolean(0, 0);
    std::lock_guard lock(cmu_);
    grouped_[q.key] = {now, *grouped};
  }
  if (!*grouped) return std::optional<Tenants>();
  auto r = c.Exec({"m_tenants",
                   "SELECT coalesce(group_id, ''), count(*) FILTER (WHERE visible_at > $2 AND "
                   "receive_count > 0) FROM messages WHERE qkey = $1 GROUP BY 1"},
                  {k, Str(now)});
  if (!r.ok()) return r.status();
  Tenants t;
  for (int i = 0; i < r->size(); ++i) {
    const auto inflight = static_cast<std::size_t>(r->i64(i, 1));
    t.inflight[r->str(i, 0)] = inflight;
    t.total += inflight;
  }
  return std::optional<Tenants>(std::move(t));
}

// Fair queues, as the embedded engine takes them (local/index.cc, TakeFair), one message at a
// time: the oldest visible message, except that a tenant noisy now (NoisyTenant, with the counts
// grown by what this receive took so far) is passed over for the rest of the receive while
// another tenant has a visible message; the messages without a group are one more tenant, never
// passed over but taken after a quiet group's older head. The candidates: each tenant's oldest
// `room` visible messages, locked (SKIP LOCKED) in one transaction with the update of the chosen.
Result<Rows> Impl::TakeFair(Conn& c, const QRow& q, Tenants tenants, const Params& params,
                            std::size_t room) {
  std::optional<Rows> out;
  Status s = InTransaction(c, [&]() -> Status {
    std::vector<Param> groups;
    for (const auto& [g, count] : tenants.inflight) {
      if (!g.empty()) groups.emplace_back(g);
    }
    // params: qkey, now, room, visible_at, cap, retention cutoff.
    auto grouped = c.Exec(
        {"m_fair_groups",
         "SELECT c.seq, t.g FROM unnest($6::text[]) AS t(g) CROSS JOIN LATERAL (SELECT seq FROM "
         "messages WHERE qkey = $1 AND group_id = t.g AND visible_at <= $2 AND receive_count < $4 "
         "AND sent_ms + 0 > $5 ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED) c"},
        {params[0], params[1], params[2], params[4], params[5], ArrayLiteral(groups)});
    if (!grouped.ok()) return grouped.status();
    Result<Rows> plain = Rows();
    const bool has_plain = tenants.inflight.contains("");
    if (has_plain) {
      plain = c.Exec({"m_fair_plain",
                      "SELECT seq FROM messages WHERE qkey = $1 AND group_id IS NULL AND "
                      "visible_at <= $2 AND receive_count < $4 AND sent_ms + 0 > $5 ORDER BY seq "
                      "LIMIT $3 FOR UPDATE SKIP LOCKED"},
                     {params[0], params[1], params[2], params[4], params[5]});
      if (!plain.ok()) return plain.status();
    }
    // Each tenant's candidates, oldest first.
    std::map<std::string, std::deque<std::int64_t>> queue;
    for (int i = 0; i < grouped->size(); ++i) {
      queue[grouped->str(i, 1)].push_back(grouped->i64(i, 0));
    }
    for (auto& [g, seqs] : queue) std::sort(seqs.begin(), seqs.end());
    std::deque<std::int64_t> plain_seqs;
    if (has_plain) {
      for (int i = 0; i < plain->size(); ++i) plain_seqs.push_back(plain->i64(i, 0));
    }
    const std::size_t count = tenants.inflight.size();
    auto noisy = [&](const std::string& g) {
      return NoisyTenant(count, tenants.inflight[g], tenants.total);
    };
    std::set<std::string> deferred;  // groups passed over for the rest of this receive
    std::vector<Param> take;
    while (take.size() < room) {
      // The groups by their head, oldest first; the first quiet one is the candidate, the noisy
      // ones before it are passed over; none quiet: the oldest noisy one of this round.
      std::vector<std::pair<std::int64_t, std::string>> heads;
      for (const auto& [g, seqs] : queue) {
        if (!seqs.empty() && !deferred.contains(g)) heads.emplace_back(seqs.front(), g);
      }
      std::sort(heads.begin(), heads.end());
      const std::string* best = nullptr;
      bool best_noisy = false;
      const std::string* first_passed = nullptr;
      for (const auto& [seq, g] : heads) {
        if (noisy(g)) {
          deferred.insert(g);
          if (first_passed == nullptr) first_passed = &g;
          continue;
        }
        best = &g;
        break;
      }
      if (best == nullptr && first_passed != nullptr) {
        best = first_passed;
        best_noisy = true;
        deferred.erase(*best);
      }
      const bool plain_left = !plain_seqs.empty();
      if (best == nullptr && !plain_left) break;
      bool take_plain = plain_left;
      if (plain_left && best != nullptr) {
        const bool plain_noisy = noisy("");
        take_plain =
            plain_noisy == best_noisy ? plain_seqs.front() < queue[*best].front() : best_noisy;
      }
      const std::string tenant = take_plain ? std::string() : *best;
      std::deque<std::int64_t>& from = take_plain ? plain_seqs : queue[tenant];
      take.emplace_back(std::to_string(from.front()));
      from.pop_front();
      ++tenants.inflight[tenant];
      ++tenants.total;
    }
    auto r = c.Exec(kTakeSeqs, {params[0], params[1], params[3], ArrayLiteral(take)});
    if (!r.ok()) return r.status();
    out = std::move(*r);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return std::move(*out);
}

}  // namespace sluice::engine::pg
