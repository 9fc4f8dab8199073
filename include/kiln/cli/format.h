// Text formatting shared by the CLI's commands: aligned tables, CSV fields, JSON shown as
// indented text, timestamps. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace kiln::cli {

// Columns padded to their widest cell and separated by two spaces; no trailing spaces. The
// first row is the header when `header` is true (then a rule of dashes follows it). Every line
// is prefixed with `indent`.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows, bool header = true,
                        std::string_view indent = "");

// The text as one CSV field (RFC 4180): quoted when it holds a comma, quote, CR, LF or
// leading/trailing space; quotes doubled.
std::string CsvField(std::string_view text);

// A JSON value as readable indented "key: value" lines. Arrays longer than `max_items` show
// their first items and "... (N items)". Floating-point numbers print with 6 significant digits
// (this is for reading; --json output keeps every digit).
std::string JsonToText(const nlohmann::json& value, size_t max_items = 10,
                       std::string_view indent = "");

// "2024-06-07T12:34:56Z".
std::string IsoTimestampUtc(std::chrono::system_clock::time_point time);

// `text` wrapped greedily at `width` columns (counting UTF-8 characters): the first line starts
// with `first_prefix`, the others with `prefix`; ends with '\n'. A word longer than a line stays
// whole.
std::string Wrap(std::string_view text, size_t width, std::string_view first_prefix,
                 std::string_view prefix);

// Each non-empty line of `text` with `prefix` in front.
std::string Indent(std::string_view text, std::string_view prefix);

// A duration for summaries: "0.04s" under a second, else core::HumanDuration ("3.2s", "2m05s").
std::string FormatSeconds(double seconds);

// "1 row", "3 rows".
std::string Plural(size_t n, std::string_view singular, std::string_view plural = "");

// "a, b, c" with at most `max_items` shown, then ", ... (N in all)".
std::string ListPreview(const std::vector<std::string>& items, size_t max_items = 10);

}  // namespace kiln::cli
