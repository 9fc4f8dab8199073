#include "kiln/cli/read_flags.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "kiln/core/strings.h"

namespace kiln::cli {
namespace {

constexpr const char* kGroup = "Reading data";

// The reader's default NA tokens as help text: "NA, N/A, ... (and an empty field)".
std::string DefaultNaValues() {
  std::vector<std::string> shown;
  for (const auto& token : data::ReadOptions{}.na_values) {
    if (!token.empty()) shown.push_back(token);
  }
  return core::Join(shown, ", ");
}

// A validator whose name does not show in the help (as "N:POSITIVE").
CLI::Validator Unnamed(CLI::Validator validator) {
  validator.description("");
  return validator;
}

}  // namespace

void AddReadFlags(CLI::App& command, ReadFlags& flags, ReadFlagsUse use) {
  const bool model = use == ReadFlagsUse::kModel;
  const std::string as_trained = model ? "; default: as the training data was read" : "";
  command
      .add_option("--format", flags.format,
                  model
                      ? "Data format: csv, tsv, libsvm or jsonl (default: from the file "
                        "extension, else the training data's format)"
                      : "Data format: csv, tsv, libsvm or jsonl (default: from the file extension)")
      ->type_name("FORMAT")
      ->group(kGroup);
  command
      .add_option("--delimiter", flags.delimiter,
                  "CSV field separator: one character, or tab, space, semicolon or pipe " +
                      std::string(model ? "(default: as for the training data, else ',' or a tab "
                                          "for .tsv)"
                                        : "(default: ',', or a tab for .tsv files)"))
      ->type_name("CHAR")
      ->group(kGroup);
  command
      .add_flag("--no-header", flags.no_header,
                "The CSV file has no header row; its columns are named c0, c1, ..." + as_trained)
      ->group(kGroup);
  if (model) {
    command
        .add_flag("--header", flags.header,
                  "The CSV file has a header row (overrides a model trained with --no-header)")
        ->group(kGroup);
  }
  command
      .add_option("--na-values", flags.na_values,
                  (model ? "Values that mean missing, replacing the list the training data was "
                           "read with (by default: "
                         : "Values that mean missing, replacing the default list (") +
                      DefaultNaValues() + "); an empty field is always missing")
      ->type_name("TOKEN,...")
      ->delimiter(',')
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group(kGroup);
  command
      .add_option("--index-base", flags.index_base,
                  model ? "LibSVM feature numbering: 0, 1 or auto (default: the model's)"
                        : "LibSVM feature numbering: 0, 1 or auto (0 if some index is 0, else 1)")
      ->type_name("0|1|auto")
      ->group(kGroup);
  command
      .add_option("--num-features", flags.num_features,
                  "LibSVM: the number of features; a larger index is an error (default: the "
                  "largest index in the file)")
      ->type_name("N")
      ->check(Unnamed(CLI::Range(uint32_t{1}, UINT32_MAX)))
      ->group(kGroup);
  command
      .add_option("--max-line-bytes", flags.max_line_bytes,
                  "Longest line (CSV record) accepted, e.g. 256M; longer is an error (default 64M)")
      ->type_name("SIZE")
      ->transform(Unnamed(CLI::AsSizeValue(false)))
      ->check(Unnamed(CLI::PositiveNumber))
      ->group(kGroup);
  command
      .add_flag("--no-cache", flags.no_cache,
                "Parse the data file again instead of using the binary dataset cache")
      ->group(kGroup);
}

core::Result<char> ParseDelimiter(const std::string& text) {
  const std::string lower = core::ToLower(text);
  if (lower == "tab" || text == "\\t" || text == "\t") return '\t';
  if (lower == "space") return ' ';
  if (lower == "comma") return ',';
  if (lower == "semicolon") return ';';
  if (lower == "pipe") return '|';
  if (text.size() != 1) {
    return core::InvalidArgument(
        "--delimiter '{}': expected one character, or tab, space, comma, semicolon or pipe", text);
  }
  const char c = text[0];
  if (c == '"' || c == '\n' || c == '\r') {
    return core::InvalidArgument("--delimiter: a quote or a line break cannot separate fields");
  }
  if (static_cast<unsigned char>(c) >= 0x80) {
    return core::InvalidArgument("--delimiter: expected an ASCII character");
  }
  return c;
}

core::Result<int> ParseIndexBase(const std::string& text) {
  const std::string t = core::ToLower(core::Trim(text));
  if (t == "0") return 0;
  if (t == "1") return 1;
  if (t == "auto") return -1;
  return core::InvalidArgument("--index-base '{}': expected 0, 1 or auto", text);
}

core::Status ApplyReadFlags(const ReadFlags& flags, data::ReadOptions& options) {
  if (!flags.format.empty()) {
    auto format = data::ParseFormat(flags.format);
    if (!format.ok()) return core::Status(format.status()).AddContext("in --format");
    options.format = *format;
    // "tsv" is CSV with tabs, whatever the file is called.
    if (core::ToLower(core::Trim(flags.format)) == "tsv") options.delimiter = '\t';
  }
  if (!flags.delimiter.empty()) {
    KILN_ASSIGN_OR_RETURN(options.delimiter, ParseDelimiter(flags.delimiter));
  }
  if (flags.header && flags.no_header) {
    return core::InvalidArgument("--header and --no-header contradict each other");
  }
  if (flags.header) options.header = true;
  if (flags.no_header) options.header = false;
  if (!flags.na_values.empty()) {
    options.na_values = {""};
    for (const auto& token : flags.na_values) {
      const std::string_view t = core::Trim(token);
      if (!t.empty()) options.na_values.emplace_back(t);
    }
  }
  if (!flags.index_base.empty()) {
    KILN_ASSIGN_OR_RETURN(options.index_base, ParseIndexBase(flags.index_base));
  }
  if (flags.num_features > 0) options.num_features = flags.num_features;
  if (flags.max_line_bytes > 0) options.max_line_bytes = flags.max_line_bytes;
  options.use_cache = !flags.no_cache;
  return core::Status::Ok();
}

nlohmann::json RecordReadOptions(const data::ReadOptions& options, const std::string& format_flag) {
  nlohmann::json j = nlohmann::json::object();
  if (!format_flag.empty()) j["format"] = core::ToLower(core::Trim(format_flag));
  if (options.delimiter != 0) j["delimiter"] = std::string(1, options.delimiter);
  j["header"] = options.header;
  j["na_values"] = options.na_values;
  j["ignore"] = options.ignore;
  j["categorical"] = options.categorical;
  return j;
}

core::Status ApplyRecordedReadOptions(const nlohmann::json& record, const std::string& path,
                                      data::ReadOptions& options) {
  if (record.is_null()) return core::Status::Ok();
  auto bad = [](std::string_view why) {
    return core::Corrupt("the model's record of how its training data was read is damaged: {}",
                         why);
  };
  if (!record.is_object()) return bad("not an object");
  data::ReadOptions out = options;
  if (record.contains("format")) {
    if (!record["format"].is_string()) return bad("'format' is not a string");
    auto format = data::ParseFormat(record["format"].get<std::string>());
    if (!format.ok()) return bad(format.status().message());
    if (!data::DetectFormat(path).ok()) out.format = *format;
  }
  if (record.contains("delimiter")) {
    const nlohmann::json& d = record["delimiter"];
    if (!d.is_string()) return bad("'delimiter' is not a string");
    auto delimiter = ParseDelimiter(d.get<std::string>());
    if (!delimiter.ok()) return bad(delimiter.status().message());
    out.delimiter = *delimiter;
  }
  if (record.contains("header")) {
    if (!record["header"].is_boolean()) return bad("'header' is not true or false");
    out.header = record["header"].get<bool>();
  }
  for (const char* key : {"na_values", "ignore", "categorical"}) {
    if (!record.contains(key)) continue;
    const nlohmann::json& list = record[key];
    if (!list.is_array()) return bad(fmt::format("'{}' is not a list", key));
    for (const auto& item : list) {
      if (!item.is_string()) return bad(fmt::format("'{}' holds a non-string", key));
    }
  }
  if (record.contains("na_values")) {
    out.na_values = record["na_values"].get<std::vector<std::string>>();
  }
  if (record.contains("ignore")) {
    out.ignore_if_present = record["ignore"].get<std::vector<std::string>>();
  }
  options = std::move(out);
  return core::Status::Ok();
}

}  // namespace kiln::cli
