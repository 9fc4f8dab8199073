#include "transaction.h"

namespace kiln::track {

core::Status WriteTransaction(SqlConnection& db, const std::function<core::Status()>& body) {
  KILN_RETURN_IF_ERROR(db.BeginWrite());
  core::Status s = body();
  if (s.ok()) s = db.Commit();
  if (!s.ok()) (void)db.Rollback();
  return s;
}

}  // namespace kiln::track
