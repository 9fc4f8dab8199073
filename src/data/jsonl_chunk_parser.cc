#include "jsonl_chunk_parser.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "kiln/core/strings.h"

namespace kiln::data::internal {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

}  // namespace

ColumnRole JsonlPlan::Role(const std::string& key) const {
  if (options->label_policy != LabelPolicy::kNone && key == options->label) {
    return ColumnRole::kLabel;
  }
  if (!options->weight.empty() && key == options->weight) return ColumnRole::kWeight;
  const auto& ignore = options->ignore;
  const auto& if_present = options->ignore_if_present;
  if (std::find(ignore.begin(), ignore.end(), key) != ignore.end() ||
      std::find(if_present.begin(), if_present.end(), key) != if_present.end()) {
    return ColumnRole::kIgnored;
  }
  return ColumnRole::kFeature;
}

std::optional<ColumnType> JsonlPlan::FixedType(const std::string& key, ColumnRole role) const {
  if (auto forced = ForcedType(key, role, *options)) return forced;
  if (auto it = inferred.find(key); it != inferred.end()) return it->second;
  return std::nullopt;
}

void JsonlChunkColumn::Decide(ColumnType t) {
  decided = true;
  type = t;
  if (type == ColumnType::kNumeric) {
    values.assign(rows, kNaN);
  } else {
    codes.assign(rows, kMissingCode);
  }
}

void JsonlChunkColumn::PushMissing() {
  if (decided) {
    if (type == ColumnType::kNumeric) {
      values.push_back(kNaN);
    } else {
      codes.push_back(kMissingCode);
    }
  }
  ++rows;
}

void ParseJsonlChunk(const JsonlPlan& plan, const JsonlTypes& decided, std::string_view text,
                     ChunkRange range, JsonlChunk* chunk) {
  const ReadOptions& options = *plan.options;
  const bool label_required = options.label_policy == LabelPolicy::kRequired;
  chunk->error.Reset();
  chunk->range = range;
  chunk->rows = 0;
  chunk->columns.clear();
  chunk->by_name.clear();
  chunk->label_absent.reset();
  chunk->weight_absent.reset();
  ChunkStatus& st = chunk->status;
  st.rows.Clear();
  JsonLineHandler& handler = chunk->handler;
  std::vector<JsonlChunkColumn>& cols = chunk->columns;
  size_t& rows = chunk->rows;
  JsonLineCursor cursor(text, range.begin, range.end, plan.max_line);
  std::string_view line;
  bool too_long = false;
  while (cursor.Next(&line, &too_long)) {
    const uint64_t n = cursor.line();
    auto fail = [&](core::StatusCode code, std::string message) {
      chunk->error.Fail(code, n, std::move(message));
    };
    if (too_long) {
      fail(core::StatusCode::kResourceExhausted,
           fmt::format(": the line is longer than the limit of {} (--max-line-bytes); is this "
                       "really a JSON Lines file?",
                       ByteLimitText(plan.max_line)));
      break;
    }
    if (!handler.Parse(line)) {
      fail(core::StatusCode::kParseError,
           handler.error().empty() ? std::string(": invalid JSON") : handler.error());
      break;
    }
    bool has_label = false, has_weight = false;
    for (size_t i = 0; i < handler.count() && !chunk->error.failed; ++i) {
      const JsonValue& v = handler.value(i);
      auto it = chunk->by_name.find(v.key);
      if (it == chunk->by_name.end()) {
        JsonlChunkColumn& c = cols.emplace_back();
        c.name = v.key;
        c.role = plan.Role(c.name);
        c.rows = rows;
        if (auto known = decided.find(c.name); known != decided.end()) {
          c.Decide(known->second);
        } else if (auto fixed = plan.FixedType(c.name, c.role)) {
          c.Decide(*fixed);
        }
        it = chunk->by_name.emplace(v.key, cols.size() - 1).first;
      }
      JsonlChunkColumn& col = cols[it->second];
      has_label |= col.role == ColumnRole::kLabel;
      has_weight |= col.role == ColumnRole::kWeight;
      const auto where = [&]() { return fmt::format(", key '{}': ", core::Excerpt(col.name)); };
      if (col.rows > rows) {
        fail(core::StatusCode::kParseError, where() + "the key appears twice in the object");
        break;
      }
      const bool na_string = v.kind == JsonValueKind::kString && plan.na.Contains(v.text);
      if (!col.decided && v.kind != JsonValueKind::kNull) {
        col.Decide(v.kind == JsonValueKind::kString && !na_string ? ColumnType::kCategorical
                                                                  : ColumnType::kNumeric);
        col.decided_here = true;
      }
      if (v.kind == JsonValueKind::kNull || na_string) {
        if (col.role == ColumnRole::kWeight) {
          fail(core::StatusCode::kDataError,
               where() + "the weight is missing; every row needs a weight");
          break;
        }
        if (col.role == ColumnRole::kLabel && label_required) {
          fail(core::StatusCode::kDataError,
               where() + fmt::format("the label is missing ({}); every row needs a label for "
                                     "training and evaluation",
                                     DescribeJsonValue(v)));
          break;
        }
        col.PushMissing();
        continue;
      }
      if (col.type == ColumnType::kNumeric) {
        if (v.kind == JsonValueKind::kString) {
          fail(core::StatusCode::kDataError,
               where() + fmt::format("expected a number, found {}; {}", DescribeJsonValue(v),
                                     TypeReason(col.name, col.role, options, "lines")));
          break;
        }
        const double d = v.number;
        if (!std::isfinite(d) || std::fabs(d) > std::numeric_limits<float>::max()) {
          fail(core::StatusCode::kDataError,
               where() + fmt::format("found {}, which is out of range for a 32-bit float "
                                     "(largest magnitude about 3.4e38)",
                                     DescribeJsonValue(v)));
          break;
        }
        if (col.role == ColumnRole::kWeight && (d < 0 || v.kind == JsonValueKind::kBool)) {
          fail(core::StatusCode::kDataError,
               where() +
                   fmt::format("weights must be numbers >= 0, found {}", DescribeJsonValue(v)));
          break;
        }
        col.values.push_back(static_cast<float>(d));
      } else if (v.kind == JsonValueKind::kBool) {
        col.codes.push_back(col.dict.Intern(v.number != 0 ? "true" : "false"));
      } else {
        col.codes.push_back(col.dict.Intern(v.text));
      }
      ++col.rows;
    }
    if (chunk->error.failed) break;
    for (auto& col : cols) {
      if (col.rows <= rows) col.PushMissing();
    }
    if (!has_label && label_required && !chunk->label_absent) chunk->label_absent = n;
    if (!has_weight && !options.weight.empty() && !chunk->weight_absent) {
      chunk->weight_absent = n;
    }
    st.rows.Add(n);
    ++rows;
  }
  // The driver needs the chunk's line count even when the rows after an error are not read (the
  // error may go away when the chunk is parsed again with other types).
  st.stop = range.end;
  st.lines = cursor.line_feeds();
  if (cursor.pos() < range.end) {
    st.lines += CountLineFeeds(text.data() + cursor.pos(), range.end - cursor.pos());
  }
}

bool JsonlChunkConflicts(const JsonlChunk& chunk, const JsonlTypes& decided) {
  for (const auto& col : chunk.columns) {
    if (!col.decided_here) continue;
    auto it = decided.find(col.name);
    if (it != decided.end() && it->second != col.type) return true;
  }
  return false;
}

}  // namespace kiln::data::internal
