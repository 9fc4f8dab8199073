// Custom processors: a servable that wraps another one (the model file, loaded by its own
// platform) with business logic from a shared library behind the C ABI of
// include/kiln/serve/processor_abi.h — pre_process changes or rejects the request, post_process
// changes or adds outputs.
//
// Thread-safety: the servable is immutable after loading; Infer calls the library's pre_process
// and post_process concurrently with one state (the ABI requires processors to allow that).
#pragma once

#include <memory>

#include "kiln/core/result.h"
#include "kiln/serve/processor_registry.h"
#include "kiln/serve/servable.h"

namespace kiln::serve {

// files.config is the model's "processor" object:
//   {"library": "/path/libx.so", "platform": "kiln", "config": {...}}
// "library" is required (an absolute path, or one dlopen finds); "platform" is the inner
// model's processor ("" or absent = detect from the file); "config" goes to the library's init.
// Loads the library (RTLD_NOW | RTLD_LOCAL), checks its ABI version, loads files.path through
// `registry` and calls init. The library is closed when the servable is destroyed. Errors name
// the library and the processor: a missing file, a missing symbol, an ABI version mismatch (both
// versions), init's own message.
core::Result<std::unique_ptr<Servable>> LoadCustomProcessor(const ModelFiles& files,
                                                            const ProcessorRegistry& registry);

}  // namespace kiln::serve
