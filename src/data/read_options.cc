#include "kiln/data/read_options.h"

#include "kiln/core/strings.h"

namespace kiln::data {

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kAuto:
      return "auto";
    case Format::kCsv:
      return "csv";
    case Format::kLibSvm:
      return "libsvm";
    case Format::kJsonLines:
      return "jsonl";
  }
  return "?";
}

core::Result<Format> ParseFormat(std::string_view text) {
  const std::string t = core::ToLower(core::Trim(text));
  if (t == "auto" || t.empty()) return Format::kAuto;
  if (t == "csv" || t == "tsv") return Format::kCsv;
  if (t == "libsvm" || t == "svm" || t == "svmlight") return Format::kLibSvm;
  if (t == "jsonl" || t == "ndjson" || t == "json") return Format::kJsonLines;
  return core::InvalidArgument("unknown data format '{}'; expected one of: csv, libsvm, jsonl",
                               text);
}

core::Result<Format> DetectFormat(const std::string& path) {
  std::string lower = core::ToLower(path);
  for (const char* ext : {".csv", ".tsv", ".csv.txt"}) {
    if (core::EndsWith(lower, ext)) return Format::kCsv;
  }
  for (const char* ext : {".libsvm", ".svm", ".svmlight", ".libsvm.txt"}) {
    if (core::EndsWith(lower, ext)) return Format::kLibSvm;
  }
  for (const char* ext : {".jsonl", ".ndjson", ".json"}) {
    if (core::EndsWith(lower, ext)) return Format::kJsonLines;
  }
  return core::InvalidArgument(
      "{}: cannot tell the format from the file name; pass --format csv, libsvm or jsonl", path);
}

}  // namespace kiln::data
