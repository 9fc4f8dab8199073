#include "kiln/track/traffic_repo.h"

#include <fmt/format.h>

#include "kiln/core/strings.h"
#include "kiln/track/model_registry.h"
#include "transaction.h"

namespace kiln::track {

using core::Result;
using core::Status;

Status TrafficRepo::Set(int64_t project_id, const std::string& model, const TrafficRoute& route) {
  KILN_RETURN_IF_ERROR(ValidateAlias(route.alias));
  if (!(route.weight > 0 && route.weight <= 100))
    return core::InvalidArgument("--weight {}: expected a percentage in (0, 100]", route.weight);
  return WriteTransaction(db_, [&]() -> Status {
    KILN_ASSIGN_OR_RETURN(int64_t model_id, ModelRegistry(db_).ModelId(project_id, model));
    KILN_ASSIGN_OR_RETURN(SqlRows alias,
                          db_.Query("SELECT 1 FROM model_aliases WHERE model_id = ? AND alias = ?",
                                    {model_id, route.alias}));
    if (alias.empty())
      return core::NotFound(
          "model '{}' has no alias '{}'; point one at a version first: kiln models alias {} {} "
          "VERSION",
          model, route.alias, model, route.alias);
    if (route.shadow) {
      KILN_ASSIGN_OR_RETURN(SqlRows shadows,
                            db_.Query("SELECT alias FROM traffic_routes WHERE model_id = ? AND "
                                      "shadow = 1 AND alias <> ?",
                                      {model_id, route.alias}));
      if (!shadows.empty())
        return core::InvalidArgument(
            "model '{}' already shadows to '{}'; one shadow per model (remove it first: kiln "
            "deploy {} --alias {} --remove)",
            model, shadows[0].Text(0), model, shadows[0].Text(0));
    } else {
      KILN_ASSIGN_OR_RETURN(SqlRows others,
                            db_.Query("SELECT alias, weight FROM traffic_routes WHERE model_id = "
                                      "? AND shadow = 0 AND alias <> ?",
                                      {model_id, route.alias}));
      double total = route.weight;
      std::vector<std::string> parts;
      for (const SqlRow& r : others) {
        total += r.Double(1);
        parts.push_back(fmt::format("{} {}%", r.Text(0), r.Double(1)));
      }
      if (total > 100 + 1e-9)
        return core::InvalidArgument(
            "model '{}': {} {}% would send {}% of the traffic to routed aliases (already: {}); "
            "lower a weight or remove a route first",
            model, route.alias, route.weight, total, core::Join(parts, ", "));
    }
    return db_
        .Execute(
            "INSERT INTO traffic_routes (model_id, alias, weight, shadow, updated_ms) VALUES "
            "(?, ?, ?, ?, ?) ON CONFLICT (model_id, alias) DO UPDATE SET weight = "
            "excluded.weight, shadow = excluded.shadow, updated_ms = excluded.updated_ms",
            {model_id, route.alias, route.weight, int64_t{route.shadow ? 1 : 0}, NowMs()})
        .status();
  });
}

Status TrafficRepo::Remove(int64_t project_id, const std::string& model, const std::string& alias) {
  KILN_ASSIGN_OR_RETURN(int64_t model_id, ModelRegistry(db_).ModelId(project_id, model));
  KILN_ASSIGN_OR_RETURN(int64_t changed,
                        db_.Execute("DELETE FROM traffic_routes WHERE model_id = ? AND alias = ?",
                                    {model_id, alias}));
  if (changed == 0) return core::NotFound("model '{}' has no traffic route for '{}'", model, alias);
  return Status::Ok();
}

Result<std::vector<TrafficRoute>> TrafficRepo::List(int64_t project_id, const std::string& model) {
  KILN_ASSIGN_OR_RETURN(int64_t model_id, ModelRegistry(db_).ModelId(project_id, model));
  KILN_ASSIGN_OR_RETURN(SqlRows rows,
                        db_.Query("SELECT alias, weight, shadow, updated_ms FROM traffic_routes "
                                  "WHERE model_id = ? ORDER BY alias",
                                  {model_id}));
  std::vector<TrafficRoute> out;
  for (const SqlRow& r : rows) out.push_back({r.Text(0), r.Double(1), r.Int(2) != 0, r.Int(3)});
  return out;
}

}  // namespace kiln::track
