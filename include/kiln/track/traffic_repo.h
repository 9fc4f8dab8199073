// TrafficRepo: how a registered model's requests are shared between its aliases, as `kiln
// deploy` sets it and every `kiln serve --models NAME...` follows it (re-read at each poll).
//
// A route gives the version an alias points at `weight` percent (0 < weight <= 100) of the
// requests that name no version — the rest go to the server's default version — or, when
// `shadow`, a copy of every request whose answer is logged and never returned. The weights of a
// model's non-shadow routes add up to at most 100. Thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/track/sql_connection.h"

namespace kiln::track {

struct TrafficRoute {
  std::string alias;
  double weight = 0;
  bool shadow = false;
  int64_t updated_ms = 0;
};

class TrafficRepo {
 public:
  explicit TrafficRepo(SqlConnection& db) : db_(db) {}

  // Creates or replaces the route of `alias` (which must exist on the model). Errors: unknown
  // model or alias, weight outside (0, 100], weights over 100 in total (naming the routes).
  core::Status Set(int64_t project_id, const std::string& model, const TrafficRoute& route);
  // kNotFound when the model has no route for `alias`.
  core::Status Remove(int64_t project_id, const std::string& model, const std::string& alias);
  // The model's routes, by alias; empty for a model without routes.
  core::Result<std::vector<TrafficRoute>> List(int64_t project_id, const std::string& model);

 private:
  SqlConnection& db_;
};

}  // namespace kiln::track
