#include "kiln/track/artifact_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kiln/core/file.h"

namespace kiln::track {
namespace {

namespace fs = std::filesystem;
using core::StatusCode;

constexpr int64_t kHour = 3600;

std::string Xxh128Hex(std::string_view bytes) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(bytes.data(), bytes.size()));
  std::string out;
  for (unsigned char byte : canonical.digest) {
    out += "0123456789abcdef"[byte >> 4];
    out += "0123456789abcdef"[byte & 0xf];
  }
  return out;
}

void WriteFile(const std::string& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Sets the file's mtime to `seconds` ago.
void SetAge(const std::string& path, int64_t seconds) {
  timespec times[2];
  ::clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= seconds;
  times[1] = times[0];
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

size_t CountFiles(const std::string& dir) {
  if (!fs::exists(dir)) return 0;
  size_t n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) ++n;
  }
  return n;
}

class ArtifactStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/kiln_artifact_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    root_ = dir_ + "/store";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string BlobCountDir() const { return root_ + "/blobs"; }

  std::string dir_;
  std::string root_;
};

TEST_F(ArtifactStoreTest, PutBytesAddressesByXxh128AndStoresReadOnly) {
  ArtifactStore store(root_);
  auto info = store.PutBytes("hello");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->digest, Xxh128Hex("hello"));
  EXPECT_EQ(info->uri, "kiln-blob:xxh128:" + Xxh128Hex("hello"));
  EXPECT_EQ(info->size, 5u);
  EXPECT_GT(info->mtime_ms, 0);
  EXPECT_TRUE(ArtifactStore::IsBlobUri(info->uri));

  auto path = store.PathFor(info->uri);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, root_ + "/blobs/" + info->digest.substr(0, 2) + "/" + info->digest.substr(2));
  struct stat st {};
  ASSERT_EQ(::stat(path->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  EXPECT_EQ(CountFiles(root_ + "/tmp"), 0u);
}

TEST_F(ArtifactStoreTest, SameContentTwiceGivesSameUriAndOneFile) {
  ArtifactStore store(root_);
  WriteFile(dir_ + "/a.bin", "same content");
  auto first = store.PutFile(dir_ + "/a.bin");
  auto second = store.PutBytes("same content");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(first->uri, second->uri);
  EXPECT_EQ(CountFiles(BlobCountDir()), 1u);
  EXPECT_EQ(CountFiles(root_ + "/tmp"), 0u);
}

TEST_F(ArtifactStoreTest, DifferentContentGivesDifferentUris) {
  ArtifactStore store(root_);
  auto a = store.PutBytes("a");
  auto b = store.PutBytes("b");
  auto empty = store.PutBytes("");
  ASSERT_TRUE(a.ok() && b.ok() && empty.ok());
  EXPECT_NE(a->uri, b->uri);
  EXPECT_NE(a->uri, empty->uri);
  EXPECT_EQ(empty->size, 0u);
  auto list = store.List();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_LT((*list)[0].uri, (*list)[1].uri);
  EXPECT_LT((*list)[1].uri, (*list)[2].uri);
}

TEST_F(ArtifactStoreTest, PutFileOfMissingFileIsNotFoundNamingThePath) {
  ArtifactStore store(root_);
  const std::string missing = dir_ + "/no_such_model.kiln";
  auto info = store.PutFile(missing);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kNotFound);
  EXPECT_NE(info.status().ToString().find(missing), std::string::npos) << info.status().ToString();
}

TEST_F(ArtifactStoreTest, PutFileOfDirectoryIsInvalidArgument) {
  ArtifactStore store(root_);
  auto info = store.PutFile(dir_);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ArtifactStoreTest, ReadVerifiedAndCopyOutRoundTrip) {
  ArtifactStore store(root_);
  std::string bytes("binary\0data\xff", 12);
  auto info = store.PutBytes(bytes);
  ASSERT_TRUE(info.ok());
  auto read = store.ReadVerified(info->uri);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, bytes);
  EXPECT_TRUE(store.Verify(info->uri).ok());
  const std::string dest = dir_ + "/out.bin";
  core::Status copied = store.CopyOut(info->uri, dest);
  ASSERT_TRUE(copied.ok()) << copied.ToString();
  EXPECT_EQ(ReadFile(dest), bytes);
  // Overwrites an existing destination.
  WriteFile(dest, "old");
  ASSERT_TRUE(store.CopyOut(info->uri, dest).ok());
  EXPECT_EQ(ReadFile(dest), bytes);
  EXPECT_EQ(CountFiles(dir_) - CountFiles(root_), 1u);  // no temp file left beside dest
}

TEST_F(ArtifactStoreTest, CopyOutIntoMissingDirectoryIsNotFound) {
  ArtifactStore store(root_);
  auto info = store.PutBytes("x");
  ASSERT_TRUE(info.ok());
  core::Status status = store.CopyOut(info->uri, dir_ + "/no/such/dir/out.bin");
  EXPECT_EQ(status.code(), StatusCode::kNotFound) << status.ToString();
}

TEST_F(ArtifactStoreTest, ModifiedByteIsCorruptAndPutRepairsIt) {
  ArtifactStore store(root_);
  auto info = store.PutBytes("precious model weights");
  ASSERT_TRUE(info.ok());
  const std::string path = *store.PathFor(info->uri);
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  std::string damaged = "precious model weighTs";
  WriteFile(path, damaged);

  auto read = store.ReadVerified(info->uri);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kCorrupt);
  const std::string message = read.status().ToString();
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find(info->digest), std::string::npos) << message;
  EXPECT_NE(message.find(Xxh128Hex(damaged)), std::string::npos) << message;
  EXPECT_EQ(store.Verify(info->uri).code(), StatusCode::kCorrupt);

  const std::string dest = dir_ + "/out.bin";
  EXPECT_EQ(store.CopyOut(info->uri, dest).code(), StatusCode::kCorrupt);
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_EQ(CountFiles(dir_) - CountFiles(root_), 0u);

  // Same size, different content: the dedup check re-hashes and replaces the blob.
  auto repaired = store.PutBytes("precious model weights");
  ASSERT_TRUE(repaired.ok()) << repaired.status().ToString();
  EXPECT_EQ(repaired->uri, info->uri);
  auto again = store.ReadVerified(info->uri);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, "precious model weights");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  EXPECT_EQ(CountFiles(BlobCountDir()), 1u);
}

TEST_F(ArtifactStoreTest, TruncatedBlobIsCorruptAndPutFileRepairsIt) {
  ArtifactStore store(root_);
  WriteFile(dir_ + "/model.bin", std::string(10000, 'm'));
  auto info = store.PutFile(dir_ + "/model.bin");
  ASSERT_TRUE(info.ok());
  const std::string path = *store.PathFor(info->uri);
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  ASSERT_EQ(::truncate(path.c_str(), 100), 0);
  EXPECT_EQ(store.Verify(info->uri).code(), StatusCode::kCorrupt);
  ASSERT_TRUE(store.PutFile(dir_ + "/model.bin").ok());
  EXPECT_TRUE(store.Verify(info->uri).ok());
}

TEST_F(ArtifactStoreTest, MalformedUrisAreInvalidArgument) {
  ArtifactStore store(root_);
  const std::string hex(32, 'a');
  const std::vector<std::string> bad = {
      "",
      "kiln-blob:xxh128:",
      "kiln-blob:sha256:" + hex,
      "file:///etc/passwd",
      "kiln-blob:xxh128:" + std::string(32, 'A'),
      "kiln-blob:xxh128:" + hex.substr(1),
      "kiln-blob:xxh128:" + hex + "0",
      "kiln-blob:xxh128:../../../../../../etc/passwd0000",
  };
  for (const std::string& uri : bad) {
    EXPECT_FALSE(ArtifactStore::IsBlobUri(uri)) << uri;
    auto path = store.PathFor(uri);
    ASSERT_FALSE(path.ok()) << uri;
    EXPECT_EQ(path.status().code(), StatusCode::kInvalidArgument) << uri;
    EXPECT_NE(path.status().message().find("kiln-blob:xxh128:<32 lowercase hex digits>"),
              std::string::npos)
        << path.status().ToString();
    EXPECT_EQ(store.ReadVerified(uri).status().code(), StatusCode::kInvalidArgument) << uri;
    EXPECT_EQ(store.Verify(uri).code(), StatusCode::kInvalidArgument) << uri;
  }
  EXPECT_TRUE(ArtifactStore::IsBlobUri("kiln-blob:xxh128:" + hex));
}

TEST_F(ArtifactStoreTest, UnknownBlobIsNotFound) {
  ArtifactStore store(root_);
  const std::string uri = "kiln-blob:xxh128:" + std::string(32, '0');
  auto path = store.PathFor(uri);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), StatusCode::kNotFound);
  EXPECT_NE(path.status().message().find(uri), std::string::npos) << path.status().ToString();
  EXPECT_EQ(store.ReadVerified(uri).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store.Verify(uri).code(), StatusCode::kNotFound);
  EXPECT_EQ(store.CopyOut(uri, dir_ + "/out").code(), StatusCode::kNotFound);
  auto list = store.List();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST_F(ArtifactStoreTest, GcDeletesOldUnreferencedBlobsOnly) {
  ArtifactStore store(root_);
  auto old_unreferenced = store.PutBytes("old and forgotten");
  auto old_referenced = store.PutBytes("old but recorded");
  auto young_unreferenced = store.PutBytes("just put, URI not yet recorded");
  ASSERT_TRUE(old_unreferenced.ok() && old_referenced.ok() && young_unreferenced.ok());
  SetAge(*store.PathFor(old_unreferenced->uri), 2 * kHour);
  SetAge(*store.PathFor(old_referenced->uri), 100 * kHour);

  auto report = store.CollectGarbage({old_referenced->uri}, GcOptions{});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->deleted.size(), 1u);
  EXPECT_EQ(report->deleted[0].uri, old_unreferenced->uri);
  EXPECT_EQ(report->bytes, old_unreferenced->size);
  EXPECT_EQ(report->kept, 1u);
  EXPECT_EQ(report->kept_young, 1u);
  EXPECT_EQ(store.PathFor(old_unreferenced->uri).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store.Verify(old_referenced->uri).ok());
  EXPECT_TRUE(store.Verify(young_unreferenced->uri).ok());

  // With no grace period the young blob goes too; the referenced one never does.
  auto second = store.CollectGarbage({old_referenced->uri}, GcOptions{.min_age_seconds = 0});
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->deleted.size(), 1u);
  EXPECT_EQ(second->deleted[0].uri, young_unreferenced->uri);
  EXPECT_TRUE(store.Verify(old_referenced->uri).ok());
}

TEST_F(ArtifactStoreTest, GcDryRunDeletesNothingButReports) {
  ArtifactStore store(root_);
  auto blob = store.PutBytes("unreferenced");
  ASSERT_TRUE(blob.ok());
  SetAge(*store.PathFor(blob->uri), 2 * kHour);
  const std::string stale = root_ + "/tmp/put-stale1";
  WriteFile(stale, "half written");
  SetAge(stale, 2 * kHour);

  auto report = store.CollectGarbage(std::unordered_set<std::string>{}, GcOptions{.dry_run = true});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->deleted.size(), 1u);
  EXPECT_EQ(report->deleted[0].uri, blob->uri);
  EXPECT_EQ(report->bytes, blob->size);
  ASSERT_EQ(report->removed_temp_files.size(), 1u);
  EXPECT_EQ(report->removed_temp_files[0], stale);
  EXPECT_TRUE(store.Verify(blob->uri).ok());
  EXPECT_TRUE(fs::exists(stale));
}

TEST_F(ArtifactStoreTest, GcRemovesStaleTempFilesButNotFreshOnes) {
  ArtifactStore store(root_);
  ASSERT_TRUE(core::CreateDirectories(root_ + "/tmp").ok());
  const std::string stale = root_ + "/tmp/put-stale1";
  const std::string fresh = root_ + "/tmp/put-fresh1";
  WriteFile(stale, "crashed writer");
  WriteFile(fresh, "writer still going");
  SetAge(stale, 2 * kHour);
  auto report = store.CollectGarbage(std::unordered_set<std::string>{}, GcOptions{});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->removed_temp_files.size(), 1u);
  EXPECT_EQ(report->removed_temp_files[0], stale);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));
}

TEST_F(ArtifactStoreTest, DedupPutRestartsTheGracePeriod) {
  ArtifactStore store(root_);
  auto blob = store.PutBytes("put again by a new run");
  ASSERT_TRUE(blob.ok());
  SetAge(*store.PathFor(blob->uri), 2 * kHour);
  ASSERT_TRUE(store.PutBytes("put again by a new run").ok());
  auto report = store.CollectGarbage(std::unordered_set<std::string>{}, GcOptions{});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->deleted.empty());
  EXPECT_EQ(report->kept_young, 1u);
}

TEST_F(ArtifactStoreTest, GcRejectsNegativeMinAge) {
  ArtifactStore store(root_);
  auto report =
      store.CollectGarbage(std::unordered_set<std::string>{}, GcOptions{.min_age_seconds = -1});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ArtifactStoreTest, ConcurrentPutsOfSameContentAgree) {
  const std::string content(1 << 20, 'c');
  WriteFile(dir_ + "/shared.bin", content);
  constexpr int kThreads = 8;
  std::vector<std::string> uris(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ArtifactStore store(root_);  // one object per thread, as separate processes would have
      auto info = t % 2 == 0 ? store.PutBytes(content) : store.PutFile(dir_ + "/shared.bin");
      if (info.ok()) {
        uris[t] = info->uri;
      } else {
        errors[t] = info.status().ToString();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(errors[t], "") << "thread " << t;
    EXPECT_EQ(uris[t], uris[0]) << "thread " << t;
  }
  EXPECT_EQ(CountFiles(BlobCountDir()), 1u);
  EXPECT_EQ(CountFiles(root_ + "/tmp"), 0u);
  EXPECT_TRUE(ArtifactStore(root_).Verify(uris[0]).ok());
}

TEST_F(ArtifactStoreTest, ConcurrentPutsFromSeparateProcessesAgree) {
  const std::string content(1 << 20, 'p');
  constexpr int kProcesses = 4;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto info = ArtifactStore(root_).PutBytes(content);
      ::_exit(info.ok() && info->uri == "kiln-blob:xxh128:" + Xxh128Hex(content) ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child " << pid;
  }
  EXPECT_EQ(CountFiles(BlobCountDir()), 1u);
  EXPECT_EQ(CountFiles(root_ + "/tmp"), 0u);
}

TEST_F(ArtifactStoreTest, LargeFileStreamsCorrectly) {
  constexpr size_t kSize = 20 * 1000 * 1000 + 7;  // not a multiple of the copy chunk
  std::string content(kSize, '\0');
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  for (char& c : content) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    c = static_cast<char>(state >> 56);
  }
  const std::string source = dir_ + "/large.bin";
  WriteFile(source, content);

  ArtifactStore store(root_);
  auto info = store.PutFile(source);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, kSize);
  EXPECT_EQ(info->digest, Xxh128Hex(content));  // streaming hash == one-shot hash
  EXPECT_TRUE(store.Verify(info->uri).ok());
  const std::string dest = dir_ + "/large_out.bin";
  ASSERT_TRUE(store.CopyOut(info->uri, dest).ok());
  EXPECT_EQ(ReadFile(dest), content);
  auto read = store.ReadVerified(info->uri);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read == content, true);
}

TEST_F(ArtifactStoreTest, DefaultRootIsUnderKilnHome) {
  EXPECT_EQ(ArtifactStore::DefaultRoot(), core::KilnHome() + "/artifacts");
  EXPECT_EQ(ArtifactStore(root_).root(), root_);
}

}  // namespace
}  // namespace kiln::track
