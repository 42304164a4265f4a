// A load target for measuring HttpServer with an external client such as wrk:
//   net_bench [port=9399] [threads=2] [cert.pem key.pem]
// With a certificate and key it serves HTTPS (only) on the port. Answers every request with a small
// XML body (an SQS-like SendMessage response), synchronously. Stops on SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <spdlog/spdlog.h>

#include "net/http_server.h"

int main(int argc, char** argv) {
  if (std::getenv("NET_BENCH_DEBUG") != nullptr) spdlog::set_level(spdlog::level::debug);
  sluice::net::HttpServerOptions o;
  o.port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9399);
  o.threads = argc > 2 ? std::atoi(argv[2]) : 2;
  if (argc > 4) {
    o.plain_http = false;
    o.tls.emplace();
    o.tls->port = o.port;
    o.tls->cert_chain_file = argv[3];
    o.tls->key_file = argv[4];
  }
  static const std::string kBody =
      "<SendMessageResponse><SendMessageResult><MessageId>5fea7756-0ea4-451a-a703-a558b933e274"
      "</MessageId><MD5OfMessageBody>fafb00f5732ab283681e124bf8747ed1</MD5OfMessageBody>"
      "</SendMessageResult></SendMessageResponse>";
  sluice::net::HttpServer server(
      o, [](sluice::net::HttpRequest&& req, sluice::net::Responder respond) {
        sluice::net::HttpResponse r;
        r.headers.emplace_back("Content-Type", "text/xml");
        r.body = kBody;
        respond(std::move(r));
      });
  if (!server.Start()) return 1;
  std::printf("listening on 127.0.0.1:%u (%s)\n", o.tls ? server.tls_port() : server.port(),
              o.tls ? "https" : "http");
  std::fflush(stdout);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  int sig = 0;
  sigwait(&set, &sig);
  server.Stop();
  return 0;
}
