// DatasetRepo: datasets and their versions. A version is identified by the content hash of the
// file: recording the same content again returns the existing version, changed content makes a
// new one. Thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/track/page.h"
#include "kiln/track/records.h"
#include "kiln/track/sql_connection.h"

namespace kiln::track {

class DatasetRepo {
 public:
  explicit DatasetRepo(SqlConnection& db) : db_(db) {}

  core::Result<DatasetVersionRecord> Record(int64_t project_id, const NewDatasetVersion& version);
  // kNotFound for an unknown id.
  core::Result<DatasetVersionRecord> GetVersion(int64_t id);
  // Versions in the project whose source path or dataset name is `path_or_name`, newest first.
  core::Result<std::vector<DatasetVersionRecord>> Find(int64_t project_id,
                                                       const std::string& path_or_name);
  // Every version in the project, newest first.
  core::Result<std::vector<DatasetVersionRecord>> List(int64_t project_id, int64_t limit = 1000);
  // A page of dataset versions: order_by "created" (default; newest first unless ascending),
  // "name", "rows" or "size"; `format` keeps one format ("" = all).
  struct VersionPage {
    std::vector<DatasetVersionRecord> versions;
    std::string next_page_token;
  };
  core::Result<VersionPage> List(int64_t project_id, const PageRequest& page,
                                 const std::string& format = {});

 private:
  SqlConnection& db_;
};

}  // namespace kiln::track
