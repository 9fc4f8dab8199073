#include "kiln/dist/ring_collective.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

namespace kiln::dist {

std::string_view ReduceOpName(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
      return "sum";
    case ReduceOp::kMin:
      return "min";
    case ReduceOp::kMax:
      return "max";
  }
  return "unknown";
}

namespace {

// Call::kind and Call::dtype values; part of the wire format between ranks.
enum class CallKind : int64_t { kAllReduce = 1, kBroadcast = 2, kAllGather = 3, kBarrier = 4 };
constexpr int64_t kFloat64 = 1;
constexpr int64_t kFloat32 = 2;
constexpr int64_t kInt64 = 3;

std::string_view KindName(int64_t kind) {
  switch (static_cast<CallKind>(kind)) {
    case CallKind::kAllReduce:
      return "AllReduce";
    case CallKind::kBroadcast:
      return "Broadcast";
    case CallKind::kAllGather:
      return "AllGather";
    case CallKind::kBarrier:
      return "Barrier";
  }
  return "an unknown operation";
}

std::string_view DtypeName(int64_t dtype) {
  switch (dtype) {
    case kFloat64:
      return "float64";
    case kFloat32:
      return "float32";
    case kInt64:
      return "int64";
    default:
      return "unknown";
  }
}

// Chunk c of n elements cut into `parts` nearly equal chunks: [ChunkBegin(c), ChunkBegin(c + 1)).
size_t ChunkBegin(size_t n, size_t parts, size_t c) {
  return c * (n / parts) + std::min(c, n % parts);
}

template <typename T>
T Reduce(T partial, T own, ReduceOp op) {
  if constexpr (std::is_floating_point_v<T>) {
    if (op != ReduceOp::kSum && (std::isnan(partial) || std::isnan(own))) {
      return std::numeric_limits<T>::quiet_NaN();  // min and max propagate NaN
    }
  }
  switch (op) {
    case ReduceOp::kSum:
      if constexpr (std::is_integral_v<T>) {
        using U = std::make_unsigned_t<T>;  // wraps instead of overflowing
        return static_cast<T>(static_cast<U>(partial) + static_cast<U>(own));
      } else {
        return partial + own;
      }
    case ReduceOp::kMin:
      return std::min(partial, own);
    case ReduceOp::kMax:
      return std::max(partial, own);
  }
  return own;
}

}  // namespace

RingCollective::RingCollective(Transport& transport, RingCollectiveOptions options)
    : transport_(transport), options_(options) {}

core::Status RingCollective::Fail(core::Status status) {
  transport_.Abort(status);
  return status;
}

core::Status RingCollective::SendTo(int dest, std::span<const std::byte> bytes) {
  core::Status status = transport_.Send(dest, options_.tag, bytes);
  if (!status.ok()) return Fail(std::move(status));
  return status;
}

core::Result<std::vector<std::byte>> RingCollective::RecvFrom(int src) {
  auto message = transport_.Recv(src, options_.tag);
  if (!message.ok()) return Fail(message.status());
  return message;
}

core::Status RingCollective::RingAllGather(std::vector<std::vector<std::byte>>& blocks) {
  const int n = size();
  const int r = rank();
  const int right = (r + 1) % n;
  const int left = (r + n - 1) % n;
  // Step s: pass on the block that arrived in step s-1 (own block first), receive the next one.
  for (int s = 0; s + 1 < n; ++s) {
    const int send_index = (r - s + n) % n;
    const int recv_index = (r - s - 1 + 2 * n) % n;
    KILN_RETURN_IF_ERROR(SendTo(right, blocks[send_index]));
    KILN_ASSIGN_OR_RETURN(blocks[recv_index], RecvFrom(left));
  }
  return core::Status::Ok();
}

namespace {

std::string Describe(int64_t kind, int64_t dtype, int64_t op, int64_t count, int64_t root) {
  switch (static_cast<CallKind>(kind)) {
    case CallKind::kAllReduce:
      return fmt::format("AllReduce({} {} values, {})", count, DtypeName(dtype),
                         ReduceOpName(static_cast<ReduceOp>(op)));
    case CallKind::kBroadcast:
      return fmt::format("Broadcast(root {})", root);
    case CallKind::kAllGather:
    case CallKind::kBarrier:
      return fmt::format("{}()", KindName(kind));
  }
  return std::string(KindName(kind));
}

}  // namespace

core::Status RingCollective::Agree(const Call& call) {
  const int n = size();
  if (n == 1) return core::Status::Ok();
  std::vector<std::vector<std::byte>> blocks(n);
  blocks[rank()].resize(sizeof(Call));
  std::memcpy(blocks[rank()].data(), &call, sizeof(Call));
  KILN_RETURN_IF_ERROR(RingAllGather(blocks));
  std::vector<Call> calls(n);
  for (int i = 0; i < n; ++i) {
    if (blocks[i].size() != sizeof(Call)) {
      return Fail(
          core::Internal("collective: rank {} sent a {}-byte call header, expected {}; "
                         "is another sender using tag {}?",
                         i, blocks[i].size(), sizeof(Call), options_.tag));
    }
    std::memcpy(&calls[i], blocks[i].data(), sizeof(Call));
  }
  auto same = [](const Call& a, const Call& b) {
    return a.kind == b.kind && a.dtype == b.dtype && a.op == b.op && a.count == b.count &&
           a.root == b.root;
  };
  for (int i = 1; i < n; ++i) {
    if (same(calls[0], calls[i])) continue;
    const Call& a = calls[0];
    const Call& b = calls[i];
    // Every rank sees the same calls, so every rank returns this same message.
    return core::InvalidArgument(
        "collective: the ranks disagree: rank 0 called {} and rank {} called {}; every rank "
        "must make the same collective calls in the same order",
        Describe(a.kind, a.dtype, a.op, a.count, a.root), i,
        Describe(b.kind, b.dtype, b.op, b.count, b.root));
  }
  return core::Status::Ok();
}

template <typename T>
core::Status RingCollective::AllReduceImpl(std::span<T> data, ReduceOp op, int64_t dtype) {
  Call call;
  call.kind = static_cast<int64_t>(CallKind::kAllReduce);
  call.dtype = dtype;
  call.op = static_cast<int64_t>(op);
  call.count = static_cast<int64_t>(data.size());
  KILN_RETURN_IF_ERROR(Agree(call));
  const size_t count = data.size();
  const int n = size();
  if (n == 1 || count == 0) return core::Status::Ok();
  const int r = rank();
  const int right = (r + 1) % n;
  const int left = (r + n - 1) % n;
  auto chunk = [&](int c) {
    const size_t begin = ChunkBegin(count, n, c);
    return data.subspan(begin, ChunkBegin(count, n, c + 1) - begin);
  };
  auto check_size = [&](const std::vector<std::byte>& message, std::span<T> into,
                        int from) -> core::Status {
    if (message.size() == into.size_bytes()) return core::Status::Ok();
    return Fail(core::Internal("AllReduce: rank {} sent {} bytes, expected {}", from,
                               message.size(), into.size_bytes()));
  };
  std::vector<T> partial;
  // Reduce-scatter: in step s rank r passes chunk (r - s) on to the right and folds its own values
  // into chunk (r - s - 1) from the left. Chunk c starts at rank c and is complete, reduced in the
  // order c, c+1, ..., c-1, at rank c-1 after size-1 steps.
  for (int s = 0; s + 1 < n; ++s) {
    const int send_chunk = (r - s + n) % n;
    const int recv_chunk = (r - s - 1 + 2 * n) % n;
    KILN_RETURN_IF_ERROR(SendTo(right, std::as_bytes(chunk(send_chunk))));
    KILN_ASSIGN_OR_RETURN(std::vector<std::byte> message, RecvFrom(left));
    std::span<T> into = chunk(recv_chunk);
    KILN_RETURN_IF_ERROR(check_size(message, into, left));
    partial.resize(into.size());
    if (!message.empty()) std::memcpy(partial.data(), message.data(), message.size());
    for (size_t i = 0; i < into.size(); ++i) into[i] = Reduce(partial[i], into[i], op);
  }
  // All-gather: rank r holds the finished chunk r+1; pass finished chunks around the ring.
  for (int s = 0; s + 1 < n; ++s) {
    const int send_chunk = (r + 1 - s + n) % n;
    const int recv_chunk = (r - s + n) % n;
    KILN_RETURN_IF_ERROR(SendTo(right, std::as_bytes(chunk(send_chunk))));
    KILN_ASSIGN_OR_RETURN(std::vector<std::byte> message, RecvFrom(left));
    std::span<T> into = chunk(recv_chunk);
    KILN_RETURN_IF_ERROR(check_size(message, into, left));
    if (!message.empty()) std::memcpy(into.data(), message.data(), message.size());
  }
  return core::Status::Ok();
}

core::Status RingCollective::AllReduce(std::span<double> data, ReduceOp op) {
  return AllReduceImpl(data, op, kFloat64);
}

core::Status RingCollective::AllReduce(std::span<float> data, ReduceOp op) {
  return AllReduceImpl(data, op, kFloat32);
}

core::Status RingCollective::AllReduce(std::span<int64_t> data, ReduceOp op) {
  return AllReduceImpl(data, op, kInt64);
}

core::Status RingCollective::Broadcast(std::vector<std::byte>& data, int root) {
  Call call;
  call.kind = static_cast<int64_t>(CallKind::kBroadcast);
  call.root = root;
  KILN_RETURN_IF_ERROR(Agree(call));
  const int n = size();
  if (root < 0 || root >= n) {  // every rank passed this root, so every rank fails here
    return core::InvalidArgument("Broadcast: root {} is out of range; the job has ranks 0..{}",
                                 root, n - 1);
  }
  if (n == 1) return core::Status::Ok();
  const int r = rank();
  const int position = (r - root + n) % n;  // distance from the root along the ring
  if (position != 0) {
    KILN_ASSIGN_OR_RETURN(data, RecvFrom((r + n - 1) % n));
  }
  if (position != n - 1) {
    KILN_RETURN_IF_ERROR(SendTo((r + 1) % n, data));
  }
  return core::Status::Ok();
}

core::Result<std::vector<std::vector<std::byte>>> RingCollective::AllGather(
    std::span<const std::byte> local) {
  Call call;
  call.kind = static_cast<int64_t>(CallKind::kAllGather);
  KILN_RETURN_IF_ERROR(Agree(call));
  std::vector<std::vector<std::byte>> blocks(size());
  blocks[rank()].assign(local.begin(), local.end());
  if (size() > 1) KILN_RETURN_IF_ERROR(RingAllGather(blocks));
  return blocks;
}

core::Status RingCollective::Barrier() {
  Call call;
  call.kind = static_cast<int64_t>(CallKind::kBarrier);
  return Agree(call);
}

}  // namespace kiln::dist
