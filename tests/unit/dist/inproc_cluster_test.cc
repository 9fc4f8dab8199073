#include "kiln/dist/inproc_cluster.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

namespace kiln::dist {
namespace {

using std::chrono::milliseconds;

std::vector<std::byte> Bytes(const std::string& text) {
  std::vector<std::byte> bytes(text.size());
  if (!text.empty()) std::memcpy(bytes.data(), text.data(), text.size());
  return bytes;
}

std::string Text(const std::vector<std::byte>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

TEST(InProcClusterTest, SendThenRecvInOrderPerTag) {
  InProcCluster cluster(2);
  auto a = cluster.Join(0);
  auto b = cluster.Join(1);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->rank(), 0);
  EXPECT_EQ((*b)->size(), 2);
  ASSERT_TRUE((*a)->Send(1, 7, Bytes("first")).ok());
  ASSERT_TRUE((*a)->Send(1, 8, Bytes("other tag")).ok());
  ASSERT_TRUE((*a)->Send(1, 7, Bytes("second")).ok());
  ASSERT_TRUE((*a)->Send(1, 7, {}).ok());
  auto m1 = (*b)->Recv(0, 7);
  auto m2 = (*b)->Recv(0, 7);
  auto m3 = (*b)->Recv(0, 8);
  auto m4 = (*b)->Recv(0, 7);
  ASSERT_TRUE(m1.ok() && m2.ok() && m3.ok() && m4.ok());
  EXPECT_EQ(Text(*m1), "first");
  EXPECT_EQ(Text(*m2), "second");
  EXPECT_EQ(Text(*m3), "other tag");
  EXPECT_TRUE(m4->empty());
}

TEST(InProcClusterTest, SendToSelf) {
  InProcCluster cluster(1);
  auto t = cluster.Join(0);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE((*t)->Send(0, 0, Bytes("me")).ok());
  auto m = (*t)->Recv(0, 0);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Text(*m), "me");
}

TEST(InProcClusterTest, RecvWaitsForALaterSend) {
  InProcCluster cluster(2);
  auto a = cluster.Join(0);
  auto b = cluster.Join(1);
  ASSERT_TRUE(a.ok() && b.ok());
  std::thread sender([&] {
    std::this_thread::sleep_for(milliseconds(20));
    EXPECT_TRUE((*a)->Send(1, 3, Bytes("late")).ok());
  });
  auto m = (*b)->Recv(0, 3);
  sender.join();
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Text(*m), "late");
}

TEST(InProcClusterTest, JoinChecksTheRank) {
  InProcCluster cluster(2);
  EXPECT_EQ(cluster.Join(2).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(cluster.Join(-1).status().code(), core::StatusCode::kInvalidArgument);
  auto a = cluster.Join(1);
  ASSERT_TRUE(a.ok());
  auto again = cluster.Join(1);
  EXPECT_EQ(again.status().code(), core::StatusCode::kAlreadyExists);
}

TEST(InProcClusterTest, BadPeerOrTagIsAnError) {
  InProcCluster cluster(2);
  auto a = cluster.Join(0);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->Send(2, 0, {}).code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ((*a)->Send(1, -1, {}).code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ((*a)->Send(1, kMaxTag + 1, {}).code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ((*a)->Recv(-1, 0).status().code(), core::StatusCode::kInvalidArgument);
}

TEST(InProcClusterTest, RecvTimesOut) {
  InProcCluster cluster(2, {.recv_timeout = milliseconds(30)});
  auto a = cluster.Join(0);
  auto b = cluster.Join(1);
  ASSERT_TRUE(a.ok() && b.ok());
  auto m = (*a)->Recv(1, 0);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), core::StatusCode::kCancelled);
  EXPECT_NE(m.status().message().find("timed out"), std::string::npos) << m.status().ToString();
}

TEST(InProcClusterTest, PeerThatLeftIsAnErrorOnceItsMessagesAreRead) {
  InProcCluster cluster(2);
  auto a = cluster.Join(0);
  auto b = cluster.Join(1);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*b)->Send(0, 0, Bytes("bye")).ok());
  b->reset();  // rank 1 leaves
  auto m = (*a)->Recv(1, 0);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Text(*m), "bye");
  auto gone = (*a)->Recv(1, 0);
  EXPECT_EQ(gone.status().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_NE(gone.status().message().find("rank 1 has left the job"), std::string::npos);
  EXPECT_EQ((*a)->Send(1, 0, {}).code(), core::StatusCode::kFailedPrecondition);
}

TEST(InProcClusterTest, LeavingWakesABlockedRecv) {
  InProcCluster cluster(2);  // default timeout: a minute; the test must not wait for it
  auto a = cluster.Join(0);
  auto b = cluster.Join(1);
  ASSERT_TRUE(a.ok() && b.ok());
  const auto start = std::chrono::steady_clock::now();
  std::thread leaver([&] {
    std::this_thread::sleep_for(milliseconds(20));
    b->reset();
  });
  auto m = (*a)->Recv(1, 0);
  leaver.join();
  EXPECT_EQ(m.status().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(InProcClusterTest, AbortWakesEveryRankWithTheReason) {
  InProcCluster cluster(3);
  auto t0 = cluster.Join(0);
  auto t1 = cluster.Join(1);
  auto t2 = cluster.Join(2);
  ASSERT_TRUE(t0.ok() && t1.ok() && t2.ok());
  core::Status s1;
  core::Status s2;
  std::thread w1([&] { s1 = (*t1)->Recv(0, 0).status(); });
  std::thread w2([&] { s2 = (*t2)->Recv(0, 0).status(); });
  std::this_thread::sleep_for(milliseconds(20));
  (*t0)->Abort(core::DataError("rank 0 found a NaN"));
  w1.join();
  w2.join();
  EXPECT_TRUE(cluster.aborted());
  for (const core::Status& s : {s1, s2}) {
    EXPECT_EQ(s.code(), core::StatusCode::kCancelled);
    EXPECT_NE(s.ToString().find("rank 0 found a NaN"), std::string::npos) << s.ToString();
  }
  EXPECT_EQ((*t1)->Send(2, 0, {}).code(), core::StatusCode::kCancelled);
  // The first reason wins.
  cluster.Abort(core::Internal("second"));
  EXPECT_EQ((*t1)->Recv(2, 0).status().ToString().find("second"), std::string::npos);
}

}  // namespace
}  // namespace kiln::dist
