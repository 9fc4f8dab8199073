// The parameter listing `kiln algorithms NAME` and `kiln components NAME` print: one aligned
// line per parameter (name, type, default, allowed values) with its help wrapped below.
// Private to src/cli.
#pragma once

#include <string>
#include <string_view>

#include "kiln/core/param_spec.h"

namespace kiln::cli {

// "\n<heading>:\n<lines>" or "\nparameters: none\n".
std::string ParamsText(const core::ParamSpec& spec, std::string_view heading, size_t width);

}  // namespace kiln::cli
