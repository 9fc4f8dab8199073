// Feature hashing (the "hashing trick") for categorical values: a column name and a value map to
// one of `buckets` slots with XXH3, the same on every platform and run.
#pragma once

#include <cstdint>
#include <string_view>

namespace kiln::data {

// Slot in [0, buckets) for (column, value); buckets > 0.
uint32_t HashFeature(std::string_view column, std::string_view value, uint32_t buckets);

}  // namespace kiln::data
