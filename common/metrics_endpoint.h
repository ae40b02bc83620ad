// MetricsEndpoint: serves a process's metrics at http://ADDRESS:PORT/metrics in the Prometheus text format,
// for a Prometheus server to scrape. prometheus-cpp's core library holds and formats the metrics; only
// metrics_endpoint.cc includes it. The HTTP side is a small server of its own rather than prometheus-cpp's
// Exposer: Debian builds the Exposer's civetweb with 100 KiB thread stacks, and in a process that loads
// LibTorch (with OpenBLAS and glog) the static thread-local storage alone is larger, so civetweb cannot
// start a thread in the learner or an actor (pthread_create: EINVAL).
//
// One source of truth: nothing here counts anything. A process declares which fields of its metrics objects
// (MetricsWriter::Write, one per run.report_interval_s) are served and under which Prometheus name, and
// every Write passes its object to Publish, which sets the served values from it. So Prometheus sees
// exactly the numbers of the latest line of <process>.metrics.jsonl, as of that line.
//
// Naming (Prometheus conventions): ddpg_<process>_<what>[_<unit>], counters end in _total, gauges do not.
// A counter is served only from a field that never decreases within a process (a learner resumed from a
// checkpoint starts at the checkpoint's count, which Prometheus takes as a counter reset). A field that
// is missing or null (not known yet) leaves its metric as it was; a metric appears at its first value.
//
// Ownership: owns the listening socket and the thread that serves it (started by Start, stopped and
// joined by the destructor, within 100 ms) and the metrics.
// Blocking: Start binds the port; Publish never blocks on the network. The serving thread answers one
// scrape at a time and gives a client that stalls at most 2 s per read or write.
// Thread-safety: the serving thread reads the metrics whenever a scrape comes in, while Publish writes
// them from the thread that owns the MetricsWriter (the service loop). prometheus-cpp's counters and gauges
// are atomic values and its registry and families lock their lists, so a scrape sees each value either
// before or after a Publish, never torn; a scrape during a Publish may mix values of two successive
// objects. Publish itself must be called from one thread at a time.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace ddpg {

// One field of a process's metrics objects, as Prometheus sees it.
struct ExportedMetric {
  enum class Kind { kCounter, kGauge };
  std::string_view field;  // key in the metrics object, e.g. "step"
  std::string_view name;   // Prometheus name, e.g. "ddpg_learner_updates_total"
  Kind kind;
  std::string_view help;
};

class MetricsEndpoint {
 public:
  // Serves `metrics` (a static table that must outlive the endpoint), each with the constant `labels`
  // (e.g. actor_id), on ADDRESS:PORT (an IPv4 address or a host name); port 0 takes any free port (see
  // port()). Unavailable, naming run.metrics_bind and run.metrics_port and saying why (e.g. "Address
  // already in use"), if the port cannot be bound; InvalidArgument if a name or label is not a valid
  // Prometheus name.
  static StatusOr<std::unique_ptr<MetricsEndpoint>> Start(const std::string& address, int port,
                                                          std::span<const ExportedMetric> metrics,
                                                          const std::map<std::string, std::string>& labels);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // Sets every served metric whose field `fields` holds as a number: a gauge to the value, a counter up
  // to it (a counter never goes down; a smaller value leaves it where it is).
  void Publish(const nlohmann::json& fields);

  // The port actually bound.
  int port() const;

 private:
  struct Server;
  explicit MetricsEndpoint(std::unique_ptr<Server> server);
  std::unique_ptr<Server> server_;
};

}  // namespace ddpg
