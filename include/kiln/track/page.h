// Paging shared by the MetaStore's list queries: a page size and an opaque token naming where
// the next page starts ("o:<offset>"), handed back by the previous page.
#pragma once

#include <cstdint>
#include <string>

#include "kiln/core/result.h"

namespace kiln::track {

struct PageRequest {
  std::string order_by;  // what to order by; each list documents its keys ("" = its default)
  bool descending = true;
  int64_t limit = 100;     // 1..10000
  std::string page_token;  // "" = the first page
};

// The offset a token names; kInvalidArgument for a token no page handed out, or a bad limit.
core::Result<int64_t> PageOffset(const PageRequest& page);
// The token of the page after one that started at `offset`.
std::string NextPageToken(int64_t offset, int64_t limit);

}  // namespace kiln::track
