// LazyHttpClient: the outbound HTTP client (net/http_client.h) made at its first Send rather than
// at start. Making one creates OpenSSL's client context (SSL_CTX_new: 5M instructions, the first
// use of OpenSSL's providers, and libssl's pages touched) and starts its io thread, which a start
// paid for every server, whether or not anything is ever delivered over HTTP. Now the first
// delivery to an HTTP/S endpoint pays it, once (deliveries are asynchronous: no request waits).
//
// Contract: that of net::HttpClient. When the client cannot be made, Send answers
// kServiceUnavailable with the reason (the delivery is retried like any failed one); Stop before
// the first Send makes nothing. Thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "common/status.h"
#include "net/http_client.h"

namespace sluice::app {

class LazyHttpClient final : public net::HttpClient {
 public:
  explicit LazyHttpClient(net::HttpClientOptions options) : options_(std::move(options)) {}
  LazyHttpClient(const LazyHttpClient&) = delete;
  LazyHttpClient& operator=(const LazyHttpClient&) = delete;

  void Send(net::ClientRequest request, net::ClientCallback done) override {
    net::HttpClient* client = client_ptr_.load(std::memory_order_acquire);
    if (client == nullptr) {
      std::string why;
      client = Make(&why);
      if (client == nullptr) {
        done(Status(ErrorCode::kServiceUnavailable, why));
        return;
      }
    }
    client->Send(std::move(request), std::move(done));
  }

  void Stop() override {
    std::lock_guard lock(mu_);
    stopped_ = true;
    if (client_) client_->Stop();
  }

 private:
  net::HttpClient* Make(std::string* why) {
    std::lock_guard lock(mu_);
    if (client_) return client_.get();
    if (stopped_) {
      *why = "the HTTP client is stopped";
      return nullptr;
    }
    auto made = net::NewHttpClient(options_);
    if (!made.ok()) {
      *why = made.status().message();
      return nullptr;
    }
    client_ = std::move(made).value();
    client_ptr_.store(client_.get(), std::memory_order_release);
    return client_.get();
  }

  const net::HttpClientOptions options_;
  std::mutex mu_;
  bool stopped_ = false;                               // guarded by mu_
  std::unique_ptr<net::HttpClient> client_;            // guarded by mu_; set once
  std::atomic<net::HttpClient*> client_ptr_{nullptr};  // client_, once made
};

}  // namespace sluice::app
