// Private to sluice_net: the server's HTTP/1.1 request parser. Beast's tokenizer (basic_parser)
// with a sink that fills an HttpRequest directly: header fields go straight into the request's
// list, where Beast's own parser<string_body> first builds a header container (one allocation and
// a sorted insert per field) that the server then copied out field by field. Limits, chunked
// bodies, keep-alive and every error stay Beast's.
#pragma once

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/optional.hpp>
#include <cstdint>
#include <limits>

#include "net/http.h"

namespace sluice::net::detail {

class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  using error_code = boost::beast::error_code;
  using field = boost::beast::http::field;
  using verb = boost::beast::http::verb;
  using string_view = boost::beast::string_view;

  RequestParser() { request_.headers.reserve(12); }

  // The request parsed so far: complete once is_done().
  HttpRequest& request() { return request_; }
  verb method() const { return method_; }
  int version() const { return version_; }
  // "Expect: 100-continue" on an HTTP/1.1 request.
  bool expects_continue() const { return expect_continue_ && version_ >= 11; }

 private:
  void on_request_impl(verb method, string_view method_str, string_view target, int version,
                       error_code&) override {
    method_ = method;
    version_ = version;
    request_.method.assign(method_str.data(), method_str.size());
    request_.target.assign(target.data(), target.size());
  }
  void on_response_impl(int, string_view, int, error_code& ec) override {
    ec = boost::beast::http::error::bad_version;  // never called: a request parser
  }
  void on_field_impl(field name, string_view name_string, string_view value, error_code&) override {
    request_.headers.emplace_back(std::string(name_string.data(), name_string.size()),
                                  std::string(value.data(), value.size()));
    if (name == field::expect && !saw_expect_) {  // the first, as Beast's fields answer
      saw_expect_ = true;
      expect_continue_ = boost::beast::iequals(value, string_view("100-continue"));
    }
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code& ec) override {
    if (!content_length) return;
    // As Beast's string_body: a length the string cannot hold is an error (the body limit, which
    // basic_parser enforces, is normally far below).
    if (*content_length > request_.body.max_size()) {
      ec = boost::beast::http::error::buffer_overflow;
      return;
    }
    request_.body.reserve(static_cast<std::size_t>(*content_length));
  }
  std::size_t on_body_impl(string_view body, error_code& ec) override { return Append(body, ec); }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override {
    return Append(body, ec);
  }
  void on_finish_impl(error_code&) override {}

  std::size_t Append(string_view body, error_code& ec) {
    if (body.size() > request_.body.max_size() - request_.body.size()) {
      ec = boost::beast::http::error::buffer_overflow;
      return 0;
    }
    request_.body.append(body.data(), body.size());
    return body.size();
  }

  HttpRequest request_;
  verb method_ = verb::unknown;
  int version_ = 0;
  bool saw_expect_ = false;
  bool expect_continue_ = false;
};

}  // namespace sluice::net::detail
