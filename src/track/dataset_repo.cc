#include "kiln/track/dataset_repo.h"

#include "transaction.h"

namespace kiln::track {

using core::Result;
using core::Status;

namespace {

constexpr const char* kVersionSelect =
    "SELECT v.id, v.dataset_id, d.name, v.version, v.content_hash, v.source_path, v.format, "
    "v.size_bytes, v.num_rows, v.num_columns, v.schema_json, v.stats_json, v.created_ms, "
    "d.project_id "
    "FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id ";

DatasetVersionRecord ToVersion(const SqlRow& row) {
  DatasetVersionRecord v;
  v.id = row.Int(0);
  v.dataset_id = row.Int(1);
  v.dataset = row.Text(2);
  v.version = row.Int(3);
  v.content_hash = row.Text(4);
  v.source_path = row.Text(5);
  v.format = row.Text(6);
  v.size_bytes = row.Int(7);
  v.num_rows = row.Int(8);
  v.num_columns = row.Int(9);
  v.schema_json = row.Text(10);
  v.stats_json = row.Text(11);
  v.created_ms = row.Int(12);
  v.project_id = row.Int(13);
  return v;
}

std::vector<DatasetVersionRecord> ToVersions(const SqlRows& rows) {
  std::vector<DatasetVersionRecord> out;
  for (const SqlRow& row : rows) out.push_back(ToVersion(row));
  return out;
}

}  // namespace

Result<DatasetVersionRecord> DatasetRepo::Record(int64_t project_id,
                                                 const NewDatasetVersion& version) {
  if (version.name.empty() || version.content_hash.empty()) {
    return core::InvalidArgument("a dataset version needs a name and a content hash");
  }
  int64_t id = 0;
  KILN_RETURN_IF_ERROR(WriteTransaction(db_, [&]() -> Status {
    KILN_RETURN_IF_ERROR(db_.Execute("INSERT INTO datasets (project_id, name, created_ms) VALUES "
                                     "(?, ?, ?) ON CONFLICT (project_id, name) DO NOTHING",
                                     {project_id, version.name, NowMs()})
                             .status());
    KILN_ASSIGN_OR_RETURN(SqlRows rows,
                          db_.Query("SELECT id FROM datasets WHERE project_id = ? AND name = ?",
                                    {project_id, version.name}));
    const int64_t dataset_id = rows.at(0).Int(0);
    // Serialises version numbering per dataset (lock keys of datasets live above 2^40).
    KILN_RETURN_IF_ERROR(db_.LockExclusive((int64_t{1} << 40) | dataset_id));
    KILN_ASSIGN_OR_RETURN(rows, db_.Query("SELECT id FROM dataset_versions WHERE dataset_id = ? "
                                          "AND content_hash = ?",
                                          {dataset_id, version.content_hash}));
    if (!rows.empty()) {
      id = rows[0].Int(0);
      return Status::Ok();
    }
    KILN_ASSIGN_OR_RETURN(
        rows, db_.Query("INSERT INTO dataset_versions (dataset_id, version, content_hash, "
                        "source_path, format, size_bytes, num_rows, num_columns, schema_json, "
                        "stats_json, created_ms) SELECT ?, COALESCE(MAX(version), 0) + 1, ?, ?, "
                        "?, ?, ?, ?, ?, ?, ? FROM dataset_versions WHERE dataset_id = ? "
                        "RETURNING id",
                        {dataset_id, version.content_hash, version.source_path, version.format,
                         version.size_bytes, version.num_rows, version.num_columns,
                         version.schema_json, version.stats_json, NowMs(), dataset_id}));
    id = rows.at(0).Int(0);
    return Status::Ok();
  }));
  return GetVersion(id);
}

Result<DatasetVersionRecord> DatasetRepo::GetVersion(int64_t id) {
  KILN_ASSIGN_OR_RETURN(SqlRows rows,
                        db_.Query(std::string(kVersionSelect) + "WHERE v.id = ?", {id}));
  if (rows.empty()) {
    return core::NotFound("dataset version {} not found in {}", id, db_.description());
  }
  return ToVersion(rows[0]);
}

Result<std::vector<DatasetVersionRecord>> DatasetRepo::Find(int64_t project_id,
                                                            const std::string& path_or_name) {
  KILN_ASSIGN_OR_RETURN(
      SqlRows rows, db_.Query(std::string(kVersionSelect) +
                                  "WHERE d.project_id = ? AND (v.source_path = ? OR d.name = ?) "
                                  "ORDER BY v.id DESC",
                              {project_id, path_or_name, path_or_name}));
  return ToVersions(rows);
}

Result<std::vector<DatasetVersionRecord>> DatasetRepo::List(int64_t project_id, int64_t limit) {
  KILN_ASSIGN_OR_RETURN(SqlRows rows, db_.Query(std::string(kVersionSelect) +
                                                    "WHERE d.project_id = ? ORDER BY v.id DESC "
                                                    "LIMIT ?",
                                                {project_id, limit}));
  return ToVersions(rows);
}

Result<DatasetRepo::VersionPage> DatasetRepo::List(int64_t project_id, const PageRequest& page,
                                                   const std::string& format) {
  KILN_ASSIGN_OR_RETURN(int64_t offset, PageOffset(page));
  const char* dir = page.descending ? "DESC" : "ASC";
  std::string order;
  if (page.order_by.empty() || page.order_by == "created") {
    order = fmt::format("v.id {}", dir);  // ids grow with creation time
  } else if (page.order_by == "name") {
    order = fmt::format("d.name {}, v.version {}", dir, dir);
  } else if (page.order_by == "rows") {
    order = fmt::format("v.num_rows {}, v.id {}", dir, dir);
  } else if (page.order_by == "size") {
    order = fmt::format("v.size_bytes {}, v.id {}", dir, dir);
  } else {
    return core::InvalidArgument(
        "invalid --order-by '{}' for datasets: expected created, name, rows or size",
        page.order_by);
  }
  std::vector<SqlValue> params;
  params.reserve(4);
  params.emplace_back(project_id);
  std::string where = "WHERE d.project_id = ?";
  if (!format.empty()) {
    where += " AND v.format = ?";
    params.emplace_back(format);
  }
  params.emplace_back(page.limit + 1);
  params.emplace_back(offset);
  KILN_ASSIGN_OR_RETURN(SqlRows rows, db_.Query(fmt::format("{}{} ORDER BY {} LIMIT ? OFFSET ?",
                                                            kVersionSelect, where, order),
                                                params));
  VersionPage out;
  out.versions = ToVersions(rows);
  if (static_cast<int64_t>(out.versions.size()) > page.limit) {
    out.versions.resize(static_cast<size_t>(page.limit));
    out.next_page_token = NextPageToken(offset, page.limit);
  }
  return out;
}

}  // namespace kiln::track
