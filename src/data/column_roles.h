// Helpers shared by the dense readers (CSV, JSON Lines), private to src/data: what each column
// is for (feature, label, weight, ignored), which type options force on it, missing-value
// tokens, category dictionaries, and the final assembly of a Dataset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kiln/core/hash.h"
#include "kiln/core/result.h"
#include "kiln/data/dataset.h"
#include "kiln/data/read_options.h"

namespace kiln::data::internal {

enum class ColumnRole : uint8_t { kFeature, kLabel, kWeight, kIgnored };

struct ColumnRoles {
  std::vector<ColumnRole> roles;  // one per column, in file order
  int label = -1;                 // column index, -1 = none
  int weight = -1;
};

// Assigns roles to the columns `names` of `path` and checks the options against them: an
// unknown name in --ignore / --categorical / --weight is an error listing the columns (names in
// ignore_if_present may be absent), as is a missing label column when options.label_policy is
// kRequired.
core::Result<ColumnRoles> ResolveRoles(const std::string& path,
                                       const std::vector<std::string>& names,
                                       const ReadOptions& options);

// The type options impose on a column: --categorical first, then the model's hints. nullopt
// when the data decides. The weight column is always numeric.
std::optional<ColumnType> ForcedType(const std::string& name, ColumnRole role,
                                     const ReadOptions& options);

// Why a column has the type it has, for error messages ("inferred as numeric from the first
// 1000 rows", "numeric in the model's schema").
std::string TypeReason(const std::string& name, ColumnRole role, const ReadOptions& options,
                       std::string_view rows_word);

// The missing-value tokens (options.na_values). Contains() expects trimmed text.
class NaValues {
 public:
  explicit NaValues(const std::vector<std::string>& tokens);
  bool Contains(std::string_view text) const {
    if (text.empty()) return empty_;
    if (text.size() >= 64 || !(length_mask_ >> text.size() & 1)) return false;
    for (const auto& t : tokens_) {
      if (t == text) return true;
    }
    return false;
  }
  // True if some token is itself a number (then NA must be checked before parsing numbers).
  bool has_numeric_token() const { return numeric_token_; }
  bool empty_is_na() const { return empty_; }

 private:
  bool empty_ = false;
  bool numeric_token_ = false;
  uint64_t length_mask_ = 0;
  std::vector<std::string> tokens_;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return core::Hash64(s); }
};

// Texts -> codes in order of first appearance. Not thread-safe.
class CategoryDict {
 public:
  int32_t Find(std::string_view text) const {
    auto it = map_.find(text);
    return it == map_.end() ? kMissingCode : it->second;
  }
  // The code of `text`, adding it if new.
  int32_t Intern(std::string_view text) {
    auto it = map_.find(text);
    if (it != map_.end()) return it->second;
    const auto code = static_cast<int32_t>(order_.size());
    order_.emplace_back(text);
    map_.emplace(order_.back(), code);
    return code;
  }
  size_t size() const { return order_.size(); }
  const std::vector<std::string>& categories() const { return order_; }
  std::vector<std::string> TakeCategories() && { return std::move(order_); }

 private:
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> map_;
  std::vector<std::string> order_;
};

// Builds the Dataset from all columns in file order (entries for ignored columns are skipped;
// they may be empty) and their roles. Errors when no feature column is left.
core::Result<Dataset> AssembleDense(const std::string& path, std::vector<Column> columns,
                                    const ColumnRoles& roles, const ReadOptions& options);

}  // namespace kiln::data::internal
