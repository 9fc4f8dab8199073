#include "kiln/dist/transport.h"

namespace kiln::dist {

core::Status CheckPeerAndTag(const char* what, int peer, int tag, int size) {
  if (peer < 0 || peer >= size) {
    return core::InvalidArgument("{}: rank {} is out of range; the job has ranks 0..{}", what, peer,
                                 size - 1);
  }
  if (tag < 0 || tag > kMaxTag) {
    return core::InvalidArgument("{}: tag {} is out of range; tags are 0..{}", what, tag, kMaxTag);
  }
  return core::Status::Ok();
}

}  // namespace kiln::dist
