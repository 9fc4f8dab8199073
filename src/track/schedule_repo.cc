#include "kiln/track/schedule_repo.h"

#include "transaction.h"

namespace kiln::track {

using core::Result;
using core::Status;

namespace {

ScheduleRecord ToSchedule(const SqlRow& r) {
  ScheduleRecord s;
  s.id = r.Int(0);
  s.project_id = r.Int(1);
  s.project = r.Text(2);
  s.spec_path = r.Text(3);
  s.workdir = r.Text(4);
  s.pipeline = r.Text(5);
  s.cron = r.Text(6);
  s.params_json = r.Text(7);
  s.created_ms = r.Int(8);
  s.checked_ms = r.Int(9);
  return s;
}

constexpr const char* kScheduleSelect =
    "SELECT s.id, s.project_id, p.name, s.spec_path, s.workdir, s.pipeline, s.cron, "
    "s.params_json, s.created_ms, s.checked_ms FROM schedules s JOIN projects p ON p.id = "
    "s.project_id";

}  // namespace

Result<int64_t> ScheduleRepo::Add(const ScheduleRecord& schedule) {
  const int64_t now = schedule.created_ms != 0 ? schedule.created_ms : NowMs();
  KILN_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_.Query("INSERT INTO schedules (project_id, spec_path, workdir, pipeline, cron, "
                "params_json, created_ms, checked_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "RETURNING id",
                {schedule.project_id, schedule.spec_path, schedule.workdir, schedule.pipeline,
                 schedule.cron, schedule.params_json, now, now}));
  return rows.at(0).Int(0);
}

Status ScheduleRepo::Remove(int64_t project_id, int64_t schedule_id) {
  KILN_ASSIGN_OR_RETURN(int64_t changed,
                        db_.Execute("DELETE FROM schedules WHERE id = ? AND project_id = ?",
                                    {schedule_id, project_id}));
  if (changed == 0)
    return core::NotFound("no schedule {} in this project (see kiln schedule list)", schedule_id);
  return Status::Ok();
}

Result<std::vector<ScheduleRecord>> ScheduleRepo::List(std::optional<int64_t> project_id) {
  SqlRows rows;
  if (project_id) {
    KILN_ASSIGN_OR_RETURN(
        rows, db_.Query(std::string(kScheduleSelect) + " WHERE s.project_id = ? ORDER BY s.id",
                        {*project_id}));
  } else {
    KILN_ASSIGN_OR_RETURN(rows, db_.Query(std::string(kScheduleSelect) + " ORDER BY s.id"));
  }
  std::vector<ScheduleRecord> out;
  for (const SqlRow& r : rows) out.push_back(ToSchedule(r));
  return out;
}

Result<bool> ScheduleRepo::Claim(int64_t schedule_id, int64_t fire_ms, const std::string& status,
                                 const std::string& message) {
  KILN_ASSIGN_OR_RETURN(
      int64_t changed,
      db_.Execute("INSERT INTO schedule_fires (schedule_id, fire_ms, status, message, "
                  "claimed_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (schedule_id, fire_ms) DO "
                  "NOTHING",
                  {schedule_id, fire_ms, status, message, NowMs()}));
  return changed == 1;
}

Status ScheduleRepo::SetFireResult(int64_t schedule_id, int64_t fire_ms, const std::string& status,
                                   std::optional<int64_t> run_id, const std::string& message) {
  SqlValue run = std::monostate{};
  if (run_id) run = *run_id;
  return db_
      .Execute(
          "UPDATE schedule_fires SET status = ?, run_id = COALESCE(?, run_id), message = ? "
          "WHERE schedule_id = ? AND fire_ms = ?",
          {status, run, message, schedule_id, fire_ms})
      .status();
}

Status ScheduleRepo::SetChecked(int64_t schedule_id, int64_t checked_ms) {
  return db_
      .Execute("UPDATE schedules SET checked_ms = ? WHERE id = ? AND checked_ms < ?",
               {checked_ms, schedule_id, checked_ms})
      .status();
}

Result<std::vector<FireRecord>> ScheduleRepo::Fires(int64_t schedule_id, int64_t limit) {
  KILN_ASSIGN_OR_RETURN(SqlRows rows,
                        db_.Query("SELECT schedule_id, fire_ms, status, run_id, message, "
                                  "claimed_ms FROM schedule_fires WHERE schedule_id = ? ORDER "
                                  "BY fire_ms DESC LIMIT ?",
                                  {schedule_id, limit}));
  std::vector<FireRecord> out;
  for (const SqlRow& r : rows) {
    FireRecord f;
    f.schedule_id = r.Int(0);
    f.fire_ms = r.Int(1);
    f.status = r.Text(2);
    if (!r.IsNull(3)) f.run_id = r.Int(3);
    f.message = r.Text(4);
    f.claimed_ms = r.Int(5);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace kiln::track
