#include "app/console/session.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/encoding.h"
#include "common/ids.h"

namespace sluice::app::console {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding; nullopt on a bad escape.
std::optional<std::string> FormDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = Hex(s[i + 1]), lo = Hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool Printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 127; });
}

}  // namespace

std::optional<std::string> CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    const std::string_view pair = Trim(header.substr(0, semi));
    header.remove_prefix(semi == std::string_view::npos ? header.size() : semi + 1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (Trim(pair.substr(0, eq)) != name) continue;
    std::string_view value = Trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return std::nullopt;
}

std::optional<Credentials> ParseLoginForm(std::string_view body) {
  Credentials c;
  bool have_key = false, have_secret = false;
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body.remove_prefix(amp == std::string_view::npos ? body.size() : amp + 1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    const auto name = FormDecode(pair.substr(0, eq));
    auto value = FormDecode(pair.substr(eq + 1));
    if (!name || !value) return std::nullopt;
    if (*name == "accessKeyId") {
      c.access_key_id = std::move(*value);
      have_key = true;
    } else if (*name == "secretAccessKey") {
      c.secret_access_key = std::move(*value);
      have_secret = true;
    }
  }
  auto ok = [](const std::string& v) { return !v.empty() && v.size() <= 128 && Printable(v); };
  if (!have_key || !have_secret || !ok(c.access_key_id) || !ok(c.secret_access_key)) {
    return std::nullopt;
  }
  return c;
}

bool SameToken(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

std::string SessionCookie(std::string_view id, bool secure) {
  return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict{}{}", kCookieName, id,
                     secure ? "; Secure" : "", id.empty() ? "; Max-Age=0" : "");
}

Sessions::Clock::time_point Sessions::Now() const {
  return now_for_test_ ? *now_for_test_ : Clock::now();
}

std::shared_ptr<const Session> Sessions::Insert(Session s) {
  s.id = HexEncode(RandomBytes(32));
  s.csrf = HexEncode(RandomBytes(32));
  auto session = std::make_shared<const Session>(std::move(s));
  std::lock_guard lock(mu_);
  const auto now = Now();
  // Expired sessions go first; beyond `max_`, the least recently used.
  std::erase_if(entries_, [&](const auto& e) { return now - e.second.last_used > idle_; });
  while (entries_.size() >= max_) {
    auto oldest = std::min_element(
        entries_.begin(), entries_.end(),
        [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
    entries_.erase(oldest);
  }
  entries_.emplace(session->id, Entry{session, now});
  return session;
}

std::shared_ptr<const Session> Sessions::Create() { return Insert(Session{}); }

std::shared_ptr<const Session> Sessions::Find(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return nullptr;
  const auto now = Now();
  if (now - it->second.last_used > idle_) {
    entries_.erase(it);
    return nullptr;
  }
  it->second.last_used = now;
  return it->second.session;
}

std::shared_ptr<const Session> Sessions::LogIn(std::string_view old_id, Credentials credentials,
                                               std::string identity, std::string account) {
  Drop(old_id);
  Session s;
  s.logged_in = true;
  s.credentials = std::move(credentials);
  s.identity = std::move(identity);
  s.account = std::move(account);
  return Insert(std::move(s));
}

void Sessions::Drop(std::string_view id) {
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(id); it != entries_.end()) entries_.erase(it);
}

std::size_t Sessions::size() {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace sluice::app::console
