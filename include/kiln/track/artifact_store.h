// ArtifactStore: content-addressed blobs in a local directory. The MetaStore keeps only the URIs.
//
// A blob is addressed by the XXH3-128 digest of its bytes: "kiln-blob:xxh128:<32 hex>". Layout
// under the root (by default $KILN_HOME/artifacts, see DefaultRoot()):
//   root/blobs/ab/cdef...   the blob whose digest is "abcdef..." (read-only, mode 0444)
//   root/tmp/put-XXXXXX      a put in progress (hashed while copied, fsynced, then renamed)
//
// Puts are atomic: a blob appears under its address only once it is complete and fsynced.
// Putting content that is already stored returns the same URI and leaves one file; the existing
// blob is re-hashed first (one extra read on a dedup hit) and replaced if it is corrupt, so a put
// repairs a damaged blob. A dedup hit also sets the blob's mtime to now, which restarts its
// garbage-collection grace period (see CollectGarbage).
//
// Thread-safety: the object holds only the root path; every method may be called concurrently
// from any number of threads and processes sharing the root. Two puts of the same content both
// succeed with the same URI (the second rename replaces an identical file).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "kiln/core/result.h"

namespace kiln::track {

struct BlobInfo {
  std::string uri;     // kiln-blob:xxh128:<32 hex>
  std::string digest;  // the 32 hex digits
  uint64_t size = 0;
  int64_t mtime_ms = 0;  // the blob file's modification time, ms since the epoch
};

struct GcOptions {
  bool dry_run = false;
  // Blobs and temp files younger than this are never deleted: a writer may have put a blob and
  // not yet recorded its URI, or may still be writing a temp file.
  int64_t min_age_seconds = 3600;
};

struct GcReport {
  std::vector<BlobInfo> deleted;                // or would be deleted, when dry_run
  uint64_t bytes = 0;                           // total size of `deleted`
  size_t kept = 0;                              // referenced blobs
  size_t kept_young = 0;                        // unreferenced blobs younger than min_age_seconds
  std::vector<std::string> removed_temp_files;  // or would be removed, when dry_run
};

// Whether a put is on disk when it returns (fsync of the file and its directory), or only once
// SyncAll() has run: for writers that put many blobs in a row (pipeline steps) and make them
// durable together.
enum class Durability { kSynced, kDeferred };

class ArtifactStore {
 public:
  // $KILN_HOME/artifacts, or ~/.kiln/artifacts.
  static std::string DefaultRoot();

  // Directories are created on the first put; nothing is touched here.
  explicit ArtifactStore(std::string root);

  const std::string& root() const { return root_; }

  // Copies the file in, streaming (hashes while copying into root/tmp, fsyncs, renames into
  // root/blobs). kNotFound naming `path` if it does not exist.
  core::Result<BlobInfo> PutFile(const std::string& path) const;
  // Content that is already stored is not written again (its mtime is refreshed).
  core::Result<BlobInfo> PutBytes(std::string_view bytes,
                                  Durability durability = Durability::kSynced) const;
  // A new empty file under root/tmp for a writer that then calls MoveIn (or removes it), so a
  // large output is written once and renamed into place instead of copied.
  core::Result<std::string> NewTempPath(const std::string& prefix) const;
  // Hashes `path` (a file on the store's filesystem, normally from NewTempPath), makes it
  // read-only and renames it to its address. The file is gone afterwards, also on failure.
  core::Result<BlobInfo> MoveIn(const std::string& path,
                                Durability durability = Durability::kSynced) const;
  // Flushes everything written to the store's filesystem (syncfs): what makes kDeferred puts
  // durable.
  core::Status SyncAll() const;

  // The blob's file for a URI, after checking it exists (kNotFound otherwise); kInvalidArgument
  // for a malformed URI. The file is read-only; readers should still verify what they read.
  core::Result<std::string> PathFor(std::string_view uri) const;
  // Reads the whole blob and checks its digest: kCorrupt naming the path and both digests.
  core::Result<std::string> ReadVerified(std::string_view uri) const;
  // Re-hashes the blob, streaming; kCorrupt as above.
  core::Status Verify(std::string_view uri) const;
  // Verified copy to `dest` (temp file beside dest, fsync, rename): dest never holds a partial
  // or corrupt copy.
  core::Status CopyOut(std::string_view uri, const std::string& dest) const;

  // Every blob under root/blobs (files whose names are not digests are skipped), sorted by URI.
  core::Result<std::vector<BlobInfo>> List() const;

  // Deletes every blob whose URI is not in `referenced` and whose mtime is older than
  // min_age_seconds, and temp files in root/tmp older than min_age_seconds. A dry run deletes
  // nothing and reports what it would delete. The age is checked again just before each unlink,
  // so a put that dedups onto a blob while GC runs keeps it (except in the microseconds between
  // that check and the unlink; the MetaStore should record URIs well within min_age).
  core::Result<GcReport> CollectGarbage(const std::unordered_set<std::string>& referenced,
                                        const GcOptions& options) const;
  // The same, reading the referenced URIs through `referenced` only after listing the blobs, so
  // a blob stored and recorded by a concurrent command between the two is never taken for
  // unreferenced (the references read include it).
  using ReferencedFn = std::function<core::Result<std::unordered_set<std::string>>()>;
  core::Result<GcReport> CollectGarbage(const ReferencedFn& referenced,
                                        const GcOptions& options) const;

  // True for "kiln-blob:xxh128:" followed by exactly 32 lowercase hex digits.
  static bool IsBlobUri(std::string_view uri);

 private:
  std::string BlobPath(std::string_view digest) const;

  std::string root_;
};

}  // namespace kiln::track
