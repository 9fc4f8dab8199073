// The shared data-reading flags: parsing, applying them to ReadOptions, and the record of the
// training data's options that predict/evaluate reuse.
#include "kiln/cli/read_flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

namespace kiln::cli {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Parses `args` as a command with the read flags, then applies them to default options.
core::Result<data::ReadOptions> Parse(std::vector<std::string> args,
                                      ReadFlagsUse use = ReadFlagsUse::kModel) {
  CLI::App app("test");
  ReadFlags flags;
  AddReadFlags(app, flags, use);
  args.insert(args.begin(), "test");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return core::InvalidArgument("{}", e.what());
  }
  data::ReadOptions options;
  KILN_RETURN_IF_ERROR(ApplyReadFlags(flags, options));
  return options;
}

TEST(ReadFlagsTest, NothingGivenKeepsTheReaderDefaults) {
  auto o = Parse({});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  const data::ReadOptions defaults;
  EXPECT_EQ(o->format, data::Format::kAuto);
  EXPECT_EQ(o->delimiter, 0);
  EXPECT_TRUE(o->header);
  EXPECT_EQ(o->na_values, defaults.na_values);
  EXPECT_EQ(o->index_base, -1);
  EXPECT_EQ(o->num_features, 0u);
  EXPECT_EQ(o->max_line_bytes, defaults.max_line_bytes);
  EXPECT_TRUE(o->use_cache);
}

TEST(ReadFlagsTest, EveryFlagReachesTheOptions) {
  auto o =
      Parse({"--format", "csv", "--delimiter", ";", "--no-header", "--na-values", "-, ?",
             "--index-base", "0", "--num-features", "100", "--max-line-bytes", "1K", "--no-cache"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->format, data::Format::kCsv);
  EXPECT_EQ(o->delimiter, ';');
  EXPECT_FALSE(o->header);
  // The tokens replace the defaults; an empty field stays missing.
  EXPECT_THAT(o->na_values, ElementsAre("", "-", "?"));
  EXPECT_EQ(o->index_base, 0);
  EXPECT_EQ(o->num_features, 100u);
  EXPECT_EQ(o->max_line_bytes, 1024u);
  EXPECT_FALSE(o->use_cache);
}

TEST(ReadFlagsTest, RepeatedNaValuesAccumulate) {
  auto o = Parse({"--na-values", "missing", "--na-values", "-999"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_THAT(o->na_values, ElementsAre("", "missing", "-999"));
}

TEST(ReadFlagsTest, TsvMeansTabsWhateverTheFileIsCalled) {
  auto o = Parse({"--format", "tsv"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->format, data::Format::kCsv);
  EXPECT_EQ(o->delimiter, '\t');
  o = Parse({"--format", "tsv", "--delimiter", "|"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->delimiter, '|');
}

TEST(ReadFlagsTest, DelimiterSpellings) {
  EXPECT_EQ(*ParseDelimiter("tab"), '\t');
  EXPECT_EQ(*ParseDelimiter("TAB"), '\t');
  EXPECT_EQ(*ParseDelimiter("\\t"), '\t');
  EXPECT_EQ(*ParseDelimiter("\t"), '\t');
  EXPECT_EQ(*ParseDelimiter("space"), ' ');
  EXPECT_EQ(*ParseDelimiter("semicolon"), ';');
  EXPECT_EQ(*ParseDelimiter("pipe"), '|');
  EXPECT_EQ(*ParseDelimiter(","), ',');
  EXPECT_THAT(ParseDelimiter("ab").status().message(), HasSubstr("expected one character"));
  EXPECT_THAT(ParseDelimiter("").status().message(), HasSubstr("expected one character"));
  EXPECT_THAT(ParseDelimiter("\"").status().message(), HasSubstr("quote or a line break"));
  EXPECT_THAT(ParseDelimiter("\n").status().message(), HasSubstr("quote or a line break"));
  EXPECT_THAT(ParseDelimiter("\xa7").status().message(), HasSubstr("ASCII"));
}

TEST(ReadFlagsTest, BadValuesAreUsageErrorsNamingTheFlag) {
  auto o = Parse({"--index-base", "2"});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_THAT(o.status().message(), HasSubstr("--index-base '2': expected 0, 1 or auto"));
  EXPECT_EQ(*ParseIndexBase("auto"), -1);
  EXPECT_EQ(*ParseIndexBase("1"), 1);
  EXPECT_THAT(Parse({"--delimiter", "ab"}).status().message(), HasSubstr("--delimiter 'ab'"));
  EXPECT_THAT(Parse({"--format", "xls"}).status().ToString(),
              AllOf(HasSubstr("unknown data format 'xls'"), HasSubstr("--format")));
  EXPECT_THAT(Parse({"--header", "--no-header"}).status().message(), HasSubstr("contradict"));
  EXPECT_THAT(Parse({"--num-features", "0"}).status().message(), HasSubstr("--num-features"));
  EXPECT_THAT(Parse({"--num-features", "x"}).status().message(), HasSubstr("--num-features"));
  EXPECT_THAT(Parse({"--max-line-bytes", "0"}).status().message(), HasSubstr("--max-line-bytes"));
  EXPECT_THAT(Parse({"--max-line-bytes", "lots"}).status().message(),
              HasSubstr("--max-line-bytes"));
}

TEST(ReadFlagsTest, HeaderOverrideExistsOnlyWhereAModelSetsTheDefault) {
  EXPECT_TRUE(Parse({"--header"}, ReadFlagsUse::kModel).ok());
  EXPECT_FALSE(Parse({"--header"}, ReadFlagsUse::kTraining).ok());
}

// --- the record kept in the model ----------------------------------------------------------

TEST(ReadRecordTest, RoundTripReadsNewFilesTheTrainingWay) {
  data::ReadOptions training;
  training.delimiter = ';';
  training.header = false;
  training.na_values = {"", "-"};
  training.ignore = {"id"};
  training.categorical = {"zip"};
  const nlohmann::json record = RecordReadOptions(training, "CSV");
  EXPECT_EQ(record["format"], "csv");
  EXPECT_EQ(record["delimiter"], ";");

  data::ReadOptions options;
  ASSERT_TRUE(ApplyRecordedReadOptions(record, "new.txt", options).ok());
  EXPECT_EQ(options.format, data::Format::kCsv);  // .txt says nothing: the training format
  EXPECT_EQ(options.delimiter, ';');
  EXPECT_FALSE(options.header);
  EXPECT_THAT(options.na_values, ElementsAre("", "-"));
  EXPECT_TRUE(options.ignore.empty());  // absent columns must not be errors on new files
  EXPECT_THAT(options.ignore_if_present, ElementsAre("id"));
  EXPECT_TRUE(options.categorical.empty());  // the schema fixes the types

  data::ReadOptions jsonl;
  ASSERT_TRUE(ApplyRecordedReadOptions(record, "new.jsonl", jsonl).ok());
  EXPECT_EQ(jsonl.format, data::Format::kAuto);  // the extension tells
}

TEST(ReadRecordTest, DefaultsAreRecordedWithoutFormatOrDelimiter) {
  const nlohmann::json record = RecordReadOptions(data::ReadOptions{}, "");
  EXPECT_FALSE(record.contains("format"));
  EXPECT_FALSE(record.contains("delimiter"));  // a .tsv test file still gets tabs
  EXPECT_EQ(record["header"], true);
  EXPECT_EQ(record["na_values"].size(), data::ReadOptions{}.na_values.size());
}

TEST(ReadRecordTest, OldModelsWithoutARecordChangeNothing) {
  data::ReadOptions options;
  options.label = "y";
  ASSERT_TRUE(ApplyRecordedReadOptions(nlohmann::json(), "x.csv", options).ok());
  EXPECT_EQ(options.label, "y");
  EXPECT_TRUE(options.header);
  EXPECT_EQ(options.na_values, data::ReadOptions{}.na_values);
  // A partial record (e.g. from a later, smaller writer) keeps the rest at the defaults.
  ASSERT_TRUE(ApplyRecordedReadOptions({{"header", false}}, "x.csv", options).ok());
  EXPECT_FALSE(options.header);
  EXPECT_EQ(options.na_values, data::ReadOptions{}.na_values);
}

TEST(ReadRecordTest, AMalformedRecordIsCorruptAndChangesNothing) {
  for (const nlohmann::json& bad : std::vector<nlohmann::json>{
           nlohmann::json::array(),
           {{"header", "yes"}},
           {{"delimiter", 44}},
           {{"delimiter", "ab"}},
           {{"format", "xls"}},
           {{"na_values", "NA"}},
           {{"header", false}, {"ignore", {1, 2}}},
           {{"categorical", {nullptr}}},
       }) {
    data::ReadOptions options;
    core::Status status = ApplyRecordedReadOptions(bad, "x.csv", options);
    EXPECT_EQ(status.code(), core::StatusCode::kCorrupt) << bad.dump();
    EXPECT_THAT(status.ToString(), HasSubstr("training data was read")) << bad.dump();
    EXPECT_TRUE(options.header) << bad.dump();
    EXPECT_TRUE(options.ignore_if_present.empty()) << bad.dump();
  }
}

}  // namespace
}  // namespace kiln::cli
