#include "kiln/track/page.h"

#include <charconv>

#include <fmt/format.h>

namespace kiln::track {

core::Result<int64_t> PageOffset(const PageRequest& page) {
  if (page.limit <= 0 || page.limit > 10000) {
    return core::InvalidArgument("--limit must be between 1 and 10000, got {}", page.limit);
  }
  const std::string& token = page.page_token;
  if (token.empty()) return int64_t{0};
  int64_t offset = -1;
  const std::string_view digits = std::string_view(token).substr(token.rfind(':') + 1);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), offset);
  if (!token.starts_with("o:") || ec != std::errc() || ptr != digits.data() + digits.size() ||
      offset < 0) {
    return core::InvalidArgument(
        "invalid --page-token '{}': expected the next_page_token printed by the previous page",
        token);
  }
  return offset;
}

std::string NextPageToken(int64_t offset, int64_t limit) {
  return fmt::format("o:{}", offset + limit);
}

}  // namespace kiln::track
