// ListFlags: the ordering and paging flags of `kiln models list` and `kiln datasets list`
// (--order-by FIELD [asc|desc], --asc/--desc, --limit, --page-token), turned into a
// track::PageRequest. Private to src/cli.
#pragma once

#include <cstdint>
#include <string>

#include "kiln/core/result.h"
#include "kiln/track/page.h"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's namespace
class App;
}

namespace kiln::cli {

class Session;

struct ListFlags {
  std::string order_by;
  bool asc = false;
  bool desc = false;
  int64_t limit = 100;
  std::string page_token;
};

// Declares the flags; `fields` lists the --order-by keys for the help ("name, updated, created").
void AddListFlags(CLI::App& command, ListFlags& flags, const std::string& fields,
                  const std::string& default_order);
// The page request; `descending_by_default` applies when neither the flag nor a trailing
// asc/desc word says.
core::Result<track::PageRequest> ToPageRequest(const ListFlags& flags, bool descending_by_default);
// After a page: "more: --page-token T" on stdout for a table, stderr for --json (so stdout stays
// one JSON array).
void ReportNextPage(const std::string& token, bool json, Session& session);

}  // namespace kiln::cli
