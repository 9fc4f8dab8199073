#include "kiln/dist/inproc_cluster.h"

#include <atomic>
#include <cassert>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <utility>

namespace kiln::dist {

// The mailboxes of every rank. Rank r's mailbox holds the messages sent to r, one FIFO queue per
// (source, tag). Each mailbox has its own mutex and condition variable; membership (joined, left)
// and the abort reason sit under `mu_`. Abort and Leave set their flag first and then lock and
// notify every mailbox, so a Recv that checked the flags under its mailbox lock cannot miss them.
class InProcCluster::State {
 public:
  State(int size, InProcClusterOptions options)
      : size_(size), options_(options), mailboxes_(size), joined_(size, false), left_(size) {}

  int size() const { return size_; }

  core::Status Join(int rank) {
    std::lock_guard lock(mu_);
    if (rank < 0 || rank >= size_) {
      return core::InvalidArgument(
          "InProcCluster: rank {} is out of range; the cluster has ranks "
          "0..{}",
          rank, size_ - 1);
    }
    if (joined_[rank]) {
      return core::AlreadyExists("InProcCluster: rank {} already joined", rank);
    }
    joined_[rank] = true;
    return core::Status::Ok();
  }

  void Leave(int rank) {
    left_[rank].store(true);
    WakeAll();
  }

  void Abort(const core::Status& reason) {
    {
      std::lock_guard lock(mu_);
      if (aborted_.load()) return;
      abort_reason_ = reason.ok() ? core::Cancelled("aborted") : reason;
      aborted_.store(true);
    }
    WakeAll();
  }

  bool aborted() const { return aborted_.load(); }

  core::Status Send(int src, int dest, int tag, std::span<const std::byte> bytes) {
    KILN_RETURN_IF_ERROR(CheckPeerAndTag("Send", dest, tag, size_));
    if (aborted_.load()) return AbortError();
    if (left_[dest].load()) {
      return core::FailedPrecondition("Send: rank {} has left the job", dest);
    }
    Mailbox& box = mailboxes_[dest];
    {
      std::lock_guard lock(box.mu);
      box.queues[{src, tag}].emplace_back(bytes.begin(), bytes.end());
    }
    box.cv.notify_all();
    return core::Status::Ok();
  }

  core::Result<std::vector<std::byte>> Recv(int self, int src, int tag) {
    KILN_RETURN_IF_ERROR(CheckPeerAndTag("Recv", src, tag, size_));
    Mailbox& box = mailboxes_[self];
    std::unique_lock lock(box.mu);
    const auto key = std::make_pair(src, tag);
    auto has_message = [&] {
      auto it = box.queues.find(key);
      return it != box.queues.end() && !it->second.empty();
    };
    const bool woke = box.cv.wait_for(lock, options_.recv_timeout, [&] {
      return aborted_.load() || has_message() || left_[src].load();
    });
    if (aborted_.load()) return AbortError();
    if (has_message()) {
      auto it = box.queues.find(key);
      std::vector<std::byte> message = std::move(it->second.front());
      it->second.pop_front();
      if (it->second.empty()) box.queues.erase(it);
      return message;
    }
    if (woke) {
      return core::FailedPrecondition("Recv: rank {} has left the job without sending (tag {})",
                                      src, tag);
    }
    return core::Cancelled("Recv: timed out after {} ms waiting for rank {} (tag {})",
                           options_.recv_timeout.count(), src, tag);
  }

 private:
  struct Mailbox {
    std::mutex mu;
    std::condition_variable cv;
    std::map<std::pair<int, int>, std::deque<std::vector<std::byte>>> queues;
  };

  core::Status AbortError() const {
    std::lock_guard lock(mu_);
    core::Status status(core::StatusCode::kCancelled,
                        "the in-process job was aborted: " + abort_reason_.ToString());
    return status;
  }

  void WakeAll() {
    for (Mailbox& box : mailboxes_) {
      std::lock_guard lock(box.mu);
      box.cv.notify_all();
    }
  }

  const int size_;
  const InProcClusterOptions options_;
  std::deque<Mailbox> mailboxes_;  // a deque: Mailbox is neither copyable nor movable
  mutable std::mutex mu_;
  std::vector<bool> joined_;   // under mu_
  core::Status abort_reason_;  // under mu_; set once, before aborted_
  std::atomic<bool> aborted_{false};
  std::vector<std::atomic<bool>> left_;
};

namespace {

class InProcTransport : public Transport {
 public:
  InProcTransport(InProcCluster::State& state, int rank) : state_(state), rank_(rank) {}
  ~InProcTransport() override { state_.Leave(rank_); }
  InProcTransport(const InProcTransport&) = delete;
  InProcTransport& operator=(const InProcTransport&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return state_.size(); }

  core::Status Send(int dest, int tag, std::span<const std::byte> bytes) override {
    return state_.Send(rank_, dest, tag, bytes);
  }
  core::Result<std::vector<std::byte>> Recv(int src, int tag) override {
    return state_.Recv(rank_, src, tag);
  }
  void Abort(const core::Status& reason) override {
    core::Status status = reason;
    status.AddContext(fmt::format("reported by rank {}", rank_));
    state_.Abort(status);
  }

 private:
  InProcCluster::State& state_;
  const int rank_;
};

int CheckedSize(int size) {
  assert(size >= 1 && "an InProcCluster needs at least one rank");
  return size;
}

}  // namespace

InProcCluster::InProcCluster(int size, InProcClusterOptions options)
    : state_(std::make_unique<State>(CheckedSize(size), options)) {}

InProcCluster::~InProcCluster() = default;

int InProcCluster::size() const { return state_->size(); }

core::Result<std::unique_ptr<Transport>> InProcCluster::Join(int rank) {
  KILN_RETURN_IF_ERROR(state_->Join(rank));
  return std::unique_ptr<Transport>(std::make_unique<InProcTransport>(*state_, rank));
}

void InProcCluster::Abort(const core::Status& reason) { state_->Abort(reason); }

bool InProcCluster::aborted() const { return state_->aborted(); }

}  // namespace kiln::dist
