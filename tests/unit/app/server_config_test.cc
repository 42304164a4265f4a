// The [server] section: TLS listeners and the limits against hostile clients.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "app/config.h"
#include "config_file_test_util.h"

namespace sluice::app {
namespace {

class ServerConfigFile : public ConfigFileTest {};

TEST_F(ServerConfigFile, DefaultsAreZeroConfiguration) {
  Config c;
  EXPECT_TRUE(ValidateServerConfig(c).ok());
  EXPECT_EQ(c.listen, "127.0.0.1:9324");
  EXPECT_TRUE(c.tls_listen.empty());
  EXPECT_FALSE(c.admin_tls);
  EXPECT_EQ(c.max_body_bytes, 4 * 1024 * 1024);
  EXPECT_EQ(c.max_requests_per_second, 0);
  Config from_empty;
  ASSERT_TRUE(Load("[server]\n", from_empty).ok());
  EXPECT_EQ(from_empty.listen, c.listen);
}

TEST_F(ServerConfigFile, IoThreadsAreAutomaticUnlessSet) {
  Config c;
  EXPECT_EQ(c.io_threads, 0);  // automatic
  EXPECT_EQ(DefaultIoThreads(1), 1);
  EXPECT_EQ(DefaultIoThreads(2), 1);
  EXPECT_EQ(DefaultIoThreads(3), 2);
  EXPECT_EQ(DefaultIoThreads(64), 2);
  EXPECT_EQ(DefaultIoThreads(0), 2);  // unknown
  Config set;
  ASSERT_TRUE(Load("[server]\nio_threads = 4\n", set).ok());
  EXPECT_EQ(set.io_threads, 4);
  Config zero;
  ASSERT_TRUE(Load("[server]\nio_threads = 0\n", zero).ok());
  EXPECT_EQ(zero.io_threads, 0);
  Config bad;
  EXPECT_FALSE(Load("[server]\nio_threads = -1\n", bad).ok());
  EXPECT_FALSE(Load("[server]\nio_threads = 257\n", bad).ok());
}

TEST_F(ServerConfigFile, MonitoringSection) {
  Config c;
  EXPECT_TRUE(c.sqs_metrics);
  ASSERT_TRUE(Load("[monitoring]\nsqs_metrics = false\n", c).ok());
  EXPECT_FALSE(c.sqs_metrics);
  Config typo;
  EXPECT_FALSE(Load("[monitoring]\nsqs_metric = false\n", typo).ok());
}

TEST_F(ServerConfigFile, ReadsTlsAndLimits) {
  Config c;
  const Status s = Load(R"(
[server]
listen = "off"
tls_listen = "127.0.0.1:9443"
admin_listen = "127.0.0.1:9445"
admin_tls = true
tls_cert_file = "certs/server.pem"
tls_key_file = "/etc/sluice/key.pem"
tls_min_version = "1.3"
max_connections = 500
max_header_bytes = 8192
max_body_bytes = 2097152
idle_timeout_seconds = 10
request_timeout_seconds = 5
max_requests_per_second = 2.5
request_burst = 20
)",
                        c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.listen, "off");
  EXPECT_EQ(c.tls_listen, "127.0.0.1:9443");
  EXPECT_TRUE(c.admin_tls);
  // Relative paths are relative to the configuration file.
  EXPECT_EQ(c.tls_cert_file, (dir_ / "certs/server.pem").string());
  EXPECT_EQ(c.tls_key_file, "/etc/sluice/key.pem");
  EXPECT_EQ(c.tls_min_version, "1.3");
  EXPECT_EQ(c.max_connections, 500);
  EXPECT_EQ(c.max_header_bytes, 8192);
  EXPECT_EQ(c.max_body_bytes, 2097152);
  EXPECT_EQ(c.idle_timeout_seconds, 10);
  EXPECT_EQ(c.request_timeout_seconds, 5);
  EXPECT_DOUBLE_EQ(c.max_requests_per_second, 2.5);
  EXPECT_EQ(c.request_burst, 20);
  Config integer_rate;
  ASSERT_TRUE(Load("[server]\nmax_requests_per_second = 100\n", integer_rate).ok());
  EXPECT_DOUBLE_EQ(integer_rate.max_requests_per_second, 100);
}

TEST_F(ServerConfigFile, Rejects) {
  const char* bad[] = {
      "[server]\nlisten = \"off\"\n",                 // no API listener at all
      "[server]\ntls_listen = \"127.0.0.1:9443\"\n",  // TLS without cert/key
      "[server]\ntls_listen = \"127.0.0.1:9443\"\ntls_cert_file = \"c.pem\"\n",  // no key
      "[server]\nadmin_tls = true\n",  // admin TLS, no cert
      "[server]\ntls_listen = \"nonsense\"\ntls_cert_file = \"c\"\ntls_key_file = \"k\"\n",
      "[server]\nlisten = \"127.0.0.1:99999\"\n",
      "[server]\nadmin_listen = \"nowhere\"\n",
      "[server]\ntls_min_version = \"1.1\"\n",
      "[server]\ntls_min_version = \"1.0\"\n",
      "[server]\nmax_connections = 0\n",
      "[server]\nmax_header_bytes = 100\n",
      "[server]\nmax_body_bytes = 10\n",
      "[server]\nidle_timeout_seconds = -1\n",
      "[server]\nrequest_timeout_seconds = 99999\n",
      "[server]\nmax_requests_per_second = -1\n",
      "[server]\nmax_requests_per_second = \"fast\"\n",
      "[server]\nrequest_burst = -5\n",
      "[server]\nmax_connections = \"many\"\n",
      "[server]\nadmin_tls = \"yes\"\n",
      "[server]\ntls_port = 9443\n",  // unknown key
  };
  for (const char* toml : bad) {
    Config c;
    EXPECT_FALSE(Load(toml, c).ok()) << toml;
  }
}

TEST_F(ServerConfigFile, AdminTlsOffAdminNeedsNoCertificate) {
  Config c;
  ASSERT_TRUE(Load("[server]\nadmin_listen = \"off\"\nadmin_tls = true\n", c).ok());
  // Flags may change values after loading; validation runs again then.
  c.listen = "off";
  EXPECT_FALSE(ValidateServerConfig(c).ok());
  c.tls_listen = "127.0.0.1:0";
  c.tls_cert_file = "c.pem";
  c.tls_key_file = "k.pem";
  EXPECT_TRUE(ValidateServerConfig(c).ok());
}

}  // namespace
}  // namespace sluice::app
