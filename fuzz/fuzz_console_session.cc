// Fuzzes the console's request parsers (src/app/console/session.h): the Cookie header and the
// login form. Input: the first line is a Cookie header, the rest a login form body.
// Checks: a parsed login has both members, non-empty, at most 128 printable bytes; a cookie value
// never contains ';'; SameToken is reflexive.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "app/console/session.h"

using namespace sluice::app::console;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t nl = in.find('\n');
  const std::string_view cookie = in.substr(0, nl);
  const std::string_view form =
      nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  if (auto v = CookieValue(cookie, kCookieName)) {
    if (v->find(';') != std::string::npos) std::abort();
    if (!SameToken(*v, *v)) std::abort();
  }
  if (auto c = ParseLoginForm(form)) {
    for (const std::string* s : {&c->access_key_id, &c->secret_access_key}) {
      if (s->empty() || s->size() > 128) std::abort();
      for (char ch : *s) {
        if (ch <= ' ' || ch >= 127) std::abort();
      }
    }
  }
  return 0;
}
