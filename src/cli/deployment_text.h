// Text shared by `kiln deploy` and `kiln deployments`: a model's traffic routes, and the live
// counters of its versions read from a server's /metrics. Private to src/cli.
#pragma once

#include <map>
#include <string>

#include "kiln/core/result.h"
#include "kiln/track/meta_store.h"

namespace kiln::cli {

// "Traffic of churn:\n  canary -> v2   10%\n  (default version) 90%\n  shadow: none\n".
core::Result<std::string> TrafficText(track::MetaStore& store, int64_t project_id,
                                      const std::string& model);

// Per-version counters of `model` from a Prometheus text page: version -> metric -> value,
// metric being "requests", "errors", "rows" or "shadow_requests".
std::map<int64_t, std::map<std::string, double>> ModelCounters(const std::string& metrics_text,
                                                               const std::string& model);

}  // namespace kiln::cli
