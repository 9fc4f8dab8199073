// Small string helpers shared by every module.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::core {

std::string_view Trim(std::string_view s);
std::string ToLower(std::string_view s);
std::vector<std::string> Split(std::string_view s, char sep);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);

// Shortest text that reads back as the same double ("0.1", "1e-05", "3").
std::string FormatDouble(double v);
// The whole of `s` (after trimming spaces) as a double; nullopt if it is not exactly a number.
// Accepts a leading '+'; "inf"/"nan" parse (callers reject non-finite values where needed).
std::optional<double> ParseDouble(std::string_view s);

// The candidate closest to `word` by edit distance when it is close enough to be a likely typo
// (distance <= 2, or a prefix); "" otherwise.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

// `text` cut to `max_chars` with "..." appended, for quoting user data in error messages.
std::string Excerpt(std::string_view text, size_t max_chars = 40);

}  // namespace kiln::core
