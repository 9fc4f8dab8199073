// PMML export of gbdt models: a MiningModel summing one TreeModel per tree.
#include "gbdt_model.h"

namespace kiln::algorithms::tree {

core::Result<std::string> GbdtModel::ExportPmml() const {
  return core::Unimplemented("gbdt models cannot be exported to PMML yet");
}

}  // namespace kiln::algorithms::tree
