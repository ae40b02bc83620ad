// MetricsEndpoint on a real socket: what Publish sets is what a scrape reads, in the Prometheus text format.
#include "common/metrics_endpoint.h"

#include <catch2/catch.hpp>

#include "tests/prometheus_scrape.h"

using ddpg::ExportedMetric;
using ddpg::MetricsEndpoint;
using ddpg::StatusCode;
using ddpg::testing::Scrape;
using ddpg::testing::ScrapeMetrics;
using Kind = ExportedMetric::Kind;

namespace {

constexpr ExportedMetric kTable[] = {
    {"steps", "test_steps_total", Kind::kCounter, "Steps."},
    {"loss", "test_loss", Kind::kGauge, "Loss."},
};

std::unique_ptr<MetricsEndpoint> StartOnAnyPort(const std::map<std::string, std::string>& labels = {}) {
  auto endpoint = MetricsEndpoint::Start("127.0.0.1", 0, kTable, labels);
  REQUIRE(endpoint.ok());
  REQUIRE((*endpoint)->port() > 0);
  return std::move(endpoint).value();
}

Scrape Read(const MetricsEndpoint& endpoint) {
  std::optional<Scrape> scrape = ScrapeMetrics(endpoint.port());
  REQUIRE(scrape.has_value());
  return *scrape;
}

}  // namespace

TEST_CASE("a published counter and gauge are served with their types and labels") {
  auto endpoint = StartOnAnyPort({{"actor_id", "7"}});
  // No value before the first object: a gauge at 0 would be a made-up loss.
  const Scrape before = Read(*endpoint);
  CHECK_FALSE(before.Value("test_steps_total{actor_id=\"7\"}"));
  CHECK_FALSE(before.Value("test_loss{actor_id=\"7\"}"));

  endpoint->Publish({{"steps", 5}, {"loss", 0.25}, {"other", 3}});
  Scrape after = Read(*endpoint);
  CHECK(after.types["test_steps_total"] == "counter");
  CHECK(after.types["test_loss"] == "gauge");
  CHECK(after.Value("test_steps_total{actor_id=\"7\"}") == 5.0);
  CHECK(after.Value("test_loss{actor_id=\"7\"}") == 0.25);
  for (const auto& [series, value] : after.samples) CHECK(series.find("other") == std::string::npos);
}

TEST_CASE("a counter follows its field upwards only and null leaves a gauge as it was") {
  auto endpoint = StartOnAnyPort();
  endpoint->Publish({{"steps", 5}, {"loss", -1.5}});
  endpoint->Publish({{"steps", 12}, {"loss", nullptr}});
  CHECK(Read(*endpoint).Value("test_steps_total") == 12.0);
  CHECK(Read(*endpoint).Value("test_loss") == -1.5);
  endpoint->Publish({{"steps", 3}, {"loss", 2.0}});
  CHECK(Read(*endpoint).Value("test_steps_total") == 12.0);
  CHECK(Read(*endpoint).Value("test_loss") == 2.0);
  endpoint->Publish({{"steps", 1000000007}});
  CHECK(Read(*endpoint).Value("test_steps_total") == 1000000007.0);
}

TEST_CASE("a metrics port in use is refused naming the keys and the reason") {
  auto first = StartOnAnyPort();
  auto second = MetricsEndpoint::Start("127.0.0.1", first->port(), kTable, {});
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(second.status().message(), Catch::Contains("run.metrics_port") && Catch::Contains("in use"));
}

TEST_CASE("a metric name Prometheus would not accept is refused at start") {
  constexpr ExportedMetric kBad[] = {{"steps", "steps per second", Kind::kGauge, "Not a name."}};
  auto endpoint = MetricsEndpoint::Start("127.0.0.1", 0, kBad, {});
  REQUIRE_FALSE(endpoint.ok());
  CHECK(endpoint.status().code() == StatusCode::kInvalidArgument);
}
