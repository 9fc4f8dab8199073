#include "kiln/cli/format.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kiln/core/progress.h"
#include "kiln/core/strings.h"

namespace kiln::cli {

std::string FormatTable(const std::vector<std::vector<std::string>>& rows, bool header,
                        std::string_view indent) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (row.size() > widths.size()) widths.resize(row.size(), 0);
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& row) {
    std::string out(indent);
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) out += "  ";
      out += row[c];
      if (c + 1 < row.size()) out.append(widths[c] - row[c].size(), ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + '\n';
  };
  std::string out;
  for (size_t r = 0; r < rows.size(); ++r) {
    out += line(rows[r]);
    if (r == 0 && header) {
      std::vector<std::string> rule;
      for (size_t c = 0; c < rows[0].size(); ++c) rule.emplace_back(widths[c], '-');
      out += line(rule);
    }
  }
  return out;
}

std::string CsvField(std::string_view text) {
  const bool quote = text.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!quote) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

namespace {

std::string Scalar(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{:.6g}", v.get<double>());
  if (v.is_null()) return "null";
  return v.dump();
}

bool IsScalarArray(const nlohmann::json& v) {
  return std::all_of(v.begin(), v.end(), [](const auto& e) { return e.is_primitive(); });
}

void AppendJsonText(const nlohmann::json& value, size_t max_items, const std::string& indent,
                    std::string& out);

void AppendEntry(const std::string& key, const nlohmann::json& v, size_t max_items,
                 const std::string& indent, std::string& out) {
  if (v.is_primitive()) {
    out += fmt::format("{}{}: {}\n", indent, key, Scalar(v));
  } else if (v.is_array() && IsScalarArray(v)) {
    std::vector<std::string> items;
    for (const auto& e : v) items.push_back(Scalar(e));
    out += fmt::format("{}{}: [{}]\n", indent, key, ListPreview(items, max_items));
  } else if (v.empty()) {
    out += fmt::format("{}{}: {}\n", indent, key, v.is_array() ? "[]" : "{}");
  } else {
    out += fmt::format("{}{}:\n", indent, key);
    AppendJsonText(v, max_items, indent + "  ", out);
  }
}

void AppendJsonText(const nlohmann::json& value, size_t max_items, const std::string& indent,
                    std::string& out) {
  if (value.is_object()) {
    for (const auto& [key, v] : value.items()) AppendEntry(key, v, max_items, indent, out);
  } else if (value.is_array()) {
    size_t i = 0;
    for (const auto& v : value) {
      if (i == max_items) {
        out += fmt::format("{}... ({} items)\n", indent, value.size());
        break;
      }
      AppendEntry(fmt::format("[{}]", i), v, max_items, indent, out);
      ++i;
    }
  } else {
    out += indent + Scalar(value) + '\n';
  }
}

}  // namespace

std::string JsonToText(const nlohmann::json& value, size_t max_items, std::string_view indent) {
  std::string out;
  AppendJsonText(value, max_items, std::string(indent), out);
  return out;
}

std::string IsoTimestampUtc(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

namespace {
size_t Columns(std::string_view text) {
  size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}
}  // namespace

std::string Wrap(std::string_view text, size_t width, std::string_view first_prefix,
                 std::string_view prefix) {
  std::string out(first_prefix);
  size_t column = Columns(first_prefix);
  bool line_empty = true;
  for (const std::string& word : core::Split(text, ' ')) {
    if (word.empty()) continue;
    const size_t length = Columns(word);
    if (!line_empty && column + 1 + length > width) {
      out += '\n';
      out += prefix;
      column = Columns(prefix);
      line_empty = true;
    }
    if (!line_empty) {
      out += ' ';
      ++column;
    }
    out += word;
    column += length;
    line_empty = false;
  }
  out += '\n';
  return out;
}

std::string Indent(std::string_view text, std::string_view prefix) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && c != '\n') out += prefix;
    out += c;
    line_start = c == '\n';
  }
  return out;
}

std::string FormatSeconds(double seconds) {
  return seconds < 1 ? fmt::format("{:.2f}s", seconds) : core::HumanDuration(seconds);
}

std::string Plural(size_t n, std::string_view singular, std::string_view plural) {
  if (n == 1) return fmt::format("1 {}", singular);
  if (plural.empty()) return fmt::format("{} {}s", n, singular);
  return fmt::format("{} {}", n, plural);
}

std::string ListPreview(const std::vector<std::string>& items, size_t max_items) {
  if (items.size() <= max_items) return core::Join(items, ", ");
  std::vector<std::string> head(items.begin(), items.begin() + static_cast<long>(max_items));
  return fmt::format("{}, ... ({} in all)", core::Join(head, ", "), items.size());
}

}  // namespace kiln::cli
