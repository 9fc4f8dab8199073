// TerminalProgressReporter's lines (into a temp file standing in for the terminal) and the
// number formatting they use.
#include "kiln/core/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace kiln::core {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

class Screen {
 public:
  Screen() : file_(std::tmpfile()) {}
  ~Screen() { std::fclose(file_); }
  Screen(const Screen&) = delete;
  Screen& operator=(const Screen&) = delete;

  std::FILE* file() { return file_; }
  std::string Text() {
    std::fflush(file_);
    std::rewind(file_);
    std::string text;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) text.append(buf, n);
    return text;
  }
  // Each redraw: the text after a '\r' up to the erase-to-end-of-line code.
  std::vector<std::string> Draws() {
    std::vector<std::string> draws;
    const std::string text = Text();
    for (size_t p = text.find('\r'); p != std::string::npos; p = text.find('\r', p + 1)) {
      const size_t end = text.find("\x1b[K", p);
      draws.push_back(text.substr(p + 1, end == std::string::npos ? end : end - p - 1));
    }
    return draws;
  }

 private:
  std::FILE* file_;
};

TerminalProgressReporter::Options Immediate(int width) {
  TerminalProgressReporter::Options options;
  options.width = width;
  options.delay_seconds = 0;
  return options;
}

TEST(ProgressTest, HumanCount) {
  EXPECT_EQ(HumanCount(0), "0");
  EXPECT_EQ(HumanCount(950), "950");
  EXPECT_EQ(HumanCount(9999), "9999");
  EXPECT_EQ(HumanCount(12345), "12.3k");
  EXPECT_EQ(HumanCount(738000), "738k");
  EXPECT_EQ(HumanCount(999999), "1.00M");
  EXPECT_EQ(HumanCount(1534000), "1.53M");
  EXPECT_EQ(HumanCount(2.5e12), "2.50T");
  EXPECT_EQ(HumanCount(2.54, true), "2.5");
  EXPECT_EQ(HumanCount(2.54), "3");
  EXPECT_EQ(HumanCount(-1), "?");
}

TEST(ProgressTest, RunningLineHasBarRateAndEtaAndTheFinalLineSaysWhatWasDone) {
  Screen screen;
  TerminalProgressReporter reporter(screen.file(), Immediate(100));
  auto task = reporter.Start("reading x.csv", 4000000, "B");
  task->Add(1000000);
  task->Add(3000000);  // too soon after the first to redraw
  task->Finish();
  task->Finish();  // once only
  const std::vector<std::string> draws = screen.Draws();
  ASSERT_EQ(draws.size(), 2u);
  EXPECT_THAT(draws[0], MatchesRegex(R"(reading x\.csv \[#{7}-{23}\]  25% .*B/s ETA .*)"));
  EXPECT_THAT(draws[1], MatchesRegex(R"(reading x\.csv \[#{30}\] 4\.0 MB in .*, .*/s)"));
  EXPECT_THAT(screen.Text(), EndsWith("\x1b[K\n"));
}

TEST(ProgressTest, ATaskThatEndsShortSaysWhereItStopped) {
  Screen screen;
  TerminalProgressReporter reporter(screen.file(), Immediate(120));
  {
    auto task = reporter.Start("lbfgs", 1000, "iter");
    task->Set(40);
    task->SetNote("objective 0.25");
  }  // the destructor finishes it
  const std::vector<std::string> draws = screen.Draws();
  ASSERT_FALSE(draws.empty());
  EXPECT_THAT(draws.back(),
              StartsWith("lbfgs [#-----------------------------] 40 of 1000 iter in"));
  EXPECT_THAT(draws.back(), EndsWith("iter/s  objective 0.25"));
  EXPECT_THAT(screen.Text(), EndsWith("\n"));
}

TEST(ProgressTest, BytesThatEndShortAreShownAsBytes) {
  Screen screen;
  TerminalProgressReporter reporter(screen.file(), Immediate(100));
  auto task = reporter.Start("reading x.csv", 4000000, "B");
  task->Add(1000000);
  task->Finish();
  EXPECT_THAT(screen.Draws().back(), HasSubstr("] 1.0 MB of 4.0 MB in "));
}

TEST(ProgressTest, UnknownTotalShowsAmountAndRate) {
  Screen screen;
  TerminalProgressReporter reporter(screen.file(), Immediate(100));
  auto task = reporter.Start("scanning", 0, "rows");
  task->Add(12);
  task->Finish();
  EXPECT_THAT(screen.Draws().back(), MatchesRegex(R"(scanning 12 rows in .*, .* rows/s)"));
}

TEST(ProgressTest, LinesNeverOverflowTheTerminal) {
  for (int width : {80, 60, 40, 20}) {
    Screen screen;
    TerminalProgressReporter reporter(screen.file(), Immediate(width));
    auto task = reporter.Start("logistic_regression on a long file name é.libsvm", 2000000, "rows");
    task->SetNote("loss 0.356178");
    task->Add(500000);
    task->Add(1500000);
    task->Finish();
    const std::vector<std::string> draws = screen.Draws();
    ASSERT_FALSE(draws.empty());
    for (const auto& line : draws) {
      size_t columns = 0;
      for (unsigned char c : line) columns += (c & 0xC0) != 0x80;
      EXPECT_LT(columns, static_cast<size_t>(width)) << line;
    }
    if (width >= 80) {
      // The note outlives the rate and the end of the label.
      EXPECT_THAT(draws.back(), HasSubstr("2.00M rows in")) << draws.back();
      EXPECT_THAT(draws.back(), EndsWith("loss 0.356178")) << draws.back();
    }
  }
}

TEST(ProgressTest, QuickStepsLeaveNothingBehind) {
  Screen screen;
  TerminalProgressReporter::Options options;
  options.width = 80;
  options.delay_seconds = 3600;
  TerminalProgressReporter reporter(screen.file(), options);
  auto task = reporter.Start("reading tiny.csv", 100, "B");
  task->Add(100);
  task->Finish();
  EXPECT_EQ(screen.Text(), "");
}

}  // namespace
}  // namespace kiln::core
