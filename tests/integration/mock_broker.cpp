// velocity-mock-broker: librdkafka's built-in mock cluster (one broker) in its own process, a
// stand-in used ONLY to develop the integration tests before velocity-broker can serve them
// (VELOCITY_TEST_MOCK_BROKER=1). Prints its bootstrap address on the first stdout line and
// serves until SIGTERM or SIGINT. It keeps everything in memory and lacks several APIs
// (CreateTopics, DeleteRecords, DescribeConfigs): see docs/testing.md.
#include <signal.h>

#include <array>
#include <cstdio>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

int main() {
  // Block the stop signals before librdkafka starts its threads, so that they inherit the
  // mask and sigwait below is the only place that receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::array<char, 512> errstr{};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr.data(), errstr.size());
  if (handle == nullptr) {
    std::fprintf(stderr, "velocity-mock-broker: rd_kafka_new: %s\n", errstr.data());
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, 1);
  if (cluster == nullptr) {
    std::fprintf(stderr, "velocity-mock-broker: rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(handle);
    return 1;
  }
  std::printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  std::fflush(stdout);
  std::fprintf(stderr, "velocity-mock-broker: serving on %s\n",
               rd_kafka_mock_cluster_bootstraps(cluster));

  int received = 0;
  sigwait(&stop_signals, &received);
  std::fprintf(stderr, "velocity-mock-broker: signal %d, stopping\n", received);
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(handle);
  return 0;
}
