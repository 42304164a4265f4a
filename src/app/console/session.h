// The console's sessions (docs/console.md): a random id in an HttpOnly, SameSite=Strict cookie
// (Secure under TLS), a CSRF token per session that every state-changing request carries in the
// X-Sluice-Csrf header, and, after a login, the access key the session acts with. Sessions live in
// memory only (a restart logs everyone out) and expire after `idle` without use.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::app::console {

// The key a console session signs its requests with.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
};

struct Session {
  std::string id;    // the cookie's value: 32 random bytes, hex
  std::string csrf;  // 32 random bytes, hex
  bool logged_in = false;
  Credentials credentials;  // when logged in
  std::string identity;     // the caller's ARN (GetCallerIdentity), when logged in
  std::string account;      // the caller's account, when logged in
};

// The value of cookie `name` in a Cookie header ("a=1; sluice_console=abc"); nullopt when absent.
std::optional<std::string> CookieValue(std::string_view header, std::string_view name);

// A login form (application/x-www-form-urlencoded): accessKeyId and secretAccessKey, both
// required, at most 128 bytes each, printable ASCII. Nullopt when malformed.
std::optional<Credentials> ParseLoginForm(std::string_view body);

// Constant-time comparison (CSRF tokens).
bool SameToken(std::string_view a, std::string_view b);

inline constexpr std::string_view kCookieName = "sluice_console";

// The Set-Cookie value for a session id (empty id: clears the cookie).
std::string SessionCookie(std::string_view id, bool secure);

class Sessions {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Sessions(std::chrono::seconds idle = std::chrono::hours(12), std::size_t max = 10000)
      : idle_(idle), max_(max) {}

  // A new anonymous session (the oldest is dropped beyond `max`).
  std::shared_ptr<const Session> Create();
  // The session of that id, refreshed; null when unknown or expired.
  std::shared_ptr<const Session> Find(std::string_view id);
  // Replaces session `old_id` by a new logged-in one (a new id and a new CSRF token, against
  // session fixation).
  std::shared_ptr<const Session> LogIn(std::string_view old_id, Credentials credentials,
                                       std::string identity, std::string account);
  void Drop(std::string_view id);
  std::size_t size();

  // For tests: the time the sessions see.
  void SetNowForTest(Clock::time_point now) { now_for_test_ = now; }

 private:
  struct Entry {
    std::shared_ptr<const Session> session;
    Clock::time_point last_used;
  };
  Clock::time_point Now() const;
  std::shared_ptr<const Session> Insert(Session s);

  const std::chrono::seconds idle_;
  const std::size_t max_;
  std::optional<Clock::time_point> now_for_test_;
  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace sluice::app::console
