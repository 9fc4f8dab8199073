#include "kiln/dist/agreement.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "kiln/dist/inproc_cluster.h"
#include "kiln/dist/ring_collective.h"

namespace kiln::dist {
namespace {

using ::testing::HasSubstr;

// Runs body(collective) on `n` ranks of an in-process cluster, one thread each.
void OnRanks(int n, const std::function<void(Collective&)>& body) {
  InProcCluster cluster(n);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) {
    threads.emplace_back([&, r] {
      auto transport = cluster.Join(r);
      ASSERT_TRUE(transport.ok());
      RingCollective collective(**transport);
      body(collective);
    });
  }
  for (auto& t : threads) t.join();
}

TEST(AgreementTest, EveryRankGetsTheLowestFailingRanksError) {
  OnRanks(4, [](Collective& c) {
    core::Status local = core::Status::Ok();
    if (c.rank() == 2) local = core::DataError("bad row 7").AddContext("while reading b.csv");
    if (c.rank() == 3) local = core::IoError("disk full");
    bool exchanged = false;
    core::Status agreed = AgreeOnStatus(c, local, &exchanged);
    EXPECT_TRUE(exchanged);
    EXPECT_EQ(agreed.code(), core::StatusCode::kDataError);
    EXPECT_EQ(agreed.ToString(), "rank 2 of 4: bad row 7 (while reading b.csv)");
  });
}

TEST(AgreementTest, AllOkIsOkAndOneRankNeedsNoPrefix) {
  OnRanks(3, [](Collective& c) { EXPECT_TRUE(AgreeOnStatus(c, core::Status::Ok()).ok()); });
  OnRanks(1,
          [](Collective& c) { EXPECT_EQ(AgreeOnStatus(c, core::NotFound("x")).ToString(), "x"); });
}

TEST(AgreementTest, AllGatherStringsKeepsEmptyListsAndStrings) {
  OnRanks(3, [](Collective& c) {
    std::vector<std::string> mine;
    for (int i = 0; i < c.rank(); ++i) mine.push_back(i == 0 ? "" : std::string(i, 'a'));
    auto all = AllGatherStrings(c, mine);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 3u);
    EXPECT_TRUE((*all)[0].empty());
    EXPECT_EQ((*all)[1], std::vector<std::string>{""});
    EXPECT_EQ((*all)[2], (std::vector<std::string>{"", "a"}));
  });
}

}  // namespace
}  // namespace kiln::dist
