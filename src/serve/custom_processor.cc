#include "custom_processor.h"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kiln/serve/processor_abi.h"

namespace kiln::serve {
namespace {

constexpr size_t kErrorBytes = 1024;

struct LibraryCloser {
  void operator()(void* handle) const {
    if (handle != nullptr) dlclose(handle);
  }
};
using LibraryHandle = std::unique_ptr<void, LibraryCloser>;

// The processor's message from its error buffer (always NUL-terminated by us).
std::string Message(std::array<char, kErrorBytes>& err) {
  err.back() = '\0';
  std::string m(err.data());
  return m.empty() ? std::string("(no message)") : m;
}

std::string DlError() {
  const char* e = dlerror();
  return e == nullptr ? std::string("unknown error") : std::string(e);
}

bool IsNumeric(const char* datatype) {
  return datatype != nullptr &&
         (std::strcmp(datatype, kFp64) == 0 || std::strcmp(datatype, kInt64) == 0);
}

// The product of a shape, or -1 if it is malformed (no dimensions, a negative one).
int64_t Elements(const int64_t* shape, size_t rank) {
  if (shape == nullptr || rank == 0) return -1;
  int64_t n = 1;
  for (size_t i = 0; i < rank; ++i) {
    if (shape[i] < 0) return -1;
    n *= shape[i];
  }
  return n;
}

// A C view of a FeatureBatch; valid while the batch lives.
class BatchView {
 public:
  explicit BatchView(const FeatureBatch& batch) {
    texts_.resize(batch.columns.size());
    for (size_t c = 0; c < batch.columns.size(); ++c) {
      const FeatureColumn& col = batch.columns[c];
      KilnColumnV1 v{col.name.c_str(), col.is_text ? 1 : 0, nullptr, nullptr};
      if (col.is_text) {
        texts_[c].reserve(col.texts.size());
        for (const std::string& t : col.texts) texts_[c].push_back(t.c_str());
        v.texts = texts_[c].data();
      } else {
        v.numbers = col.numbers.data();
      }
      columns_.push_back(v);
    }
    view_ = {batch.rows, columns_.size(), columns_.data()};
  }
  const KilnBatchV1* get() const { return &view_; }

 private:
  std::vector<std::vector<const char*>> texts_;
  std::vector<KilnColumnV1> columns_;
  KilnBatchV1 view_{};
};

// Edits pre_process asks for, applied in order after it returns.
struct BatchEdits {
  size_t rows = 0;
  std::vector<std::pair<bool, FeatureColumn>> ops;  // (remove?, column)
  std::string error;                                // the first misuse

  int Fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return KILN_PROCESSOR_FAILED;
  }

  static int SetNumbers(void* host, const char* name, const double* values, size_t count) noexcept {
    auto* e = static_cast<BatchEdits*>(host);
    try {
      if (name == nullptr) return e->Fail("set_numbers: name is NULL");
      if (count != e->rows || (values == nullptr && count > 0))
        return e->Fail(
            fmt::format("set_numbers(\"{}\"): {} values for {} rows", name, count, e->rows));
      FeatureColumn c;
      c.name = name;
      c.numbers.assign(values, values + count);
      e->ops.emplace_back(false, std::move(c));
      return KILN_PROCESSOR_OK;
    } catch (...) {
      return e->Fail("set_numbers: out of memory");
    }
  }

  static int SetTexts(void* host, const char* name, const char* const* values,
                      size_t count) noexcept {
    auto* e = static_cast<BatchEdits*>(host);
    try {
      if (name == nullptr) return e->Fail("set_texts: name is NULL");
      if (count != e->rows || (values == nullptr && count > 0))
        return e->Fail(
            fmt::format("set_texts(\"{}\"): {} values for {} rows", name, count, e->rows));
      FeatureColumn c;
      c.name = name;
      c.is_text = true;
      c.texts.reserve(count);
      for (size_t i = 0; i < count; ++i) c.texts.emplace_back(values[i] ? values[i] : "");
      e->ops.emplace_back(false, std::move(c));
      return KILN_PROCESSOR_OK;
    } catch (...) {
      return e->Fail("set_texts: out of memory");
    }
  }

  static int RemoveColumn(void* host, const char* name) noexcept {
    auto* e = static_cast<BatchEdits*>(host);
    try {
      if (name == nullptr) return e->Fail("remove_column: name is NULL");
      FeatureColumn c;
      c.name = name;
      e->ops.emplace_back(true, std::move(c));
      return KILN_PROCESSOR_OK;
    } catch (...) {
      return e->Fail("remove_column: out of memory");
    }
  }

  FeatureBatch Apply(const FeatureBatch& in) {
    FeatureBatch out = in;
    for (auto& op : ops) {
      FeatureColumn& column = op.second;
      auto it = std::find_if(out.columns.begin(), out.columns.end(),
                             [&](const FeatureColumn& c) { return c.name == column.name; });
      if (op.first) {
        if (it != out.columns.end()) out.columns.erase(it);
      } else if (it != out.columns.end()) {
        *it = std::move(column);
      } else {
        out.columns.push_back(std::move(column));
      }
    }
    return out;
  }
};

// A C view of an InferenceOutput; valid while the output lives.
class OutputView {
 public:
  explicit OutputView(const InferenceOutput& output) {
    texts_.resize(output.outputs.size());
    for (size_t i = 0; i < output.outputs.size(); ++i) {
      const OutputTensor& t = output.outputs[i];
      KilnTensorV1 v{t.name.c_str(), t.datatype.c_str(), t.shape.data(), t.shape.size(), 0, nullptr,
                     nullptr};
      if (t.datatype == kBytes) {
        for (const std::string& s : t.texts) texts_[i].push_back(s.c_str());
        v.texts = texts_[i].data();
        v.count = t.texts.size();
      } else {
        v.numbers = t.numbers.data();
        v.count = t.numbers.size();
      }
      tensors_.push_back(v);
    }
    for (const std::string& c : output.class_names) classes_.push_back(c.c_str());
    view_ = {tensors_.size(), tensors_.data(), classes_.size(), classes_.data()};
  }
  const KilnOutputsV1* get() const { return &view_; }

 private:
  std::vector<std::vector<const char*>> texts_;
  std::vector<KilnTensorV1> tensors_;
  std::vector<const char*> classes_;
  KilnOutputsV1 view_{};
};

// Edits post_process asks for, applied in order after it returns.
struct OutputEdits {
  std::vector<std::pair<bool, OutputTensor>> ops;  // (remove?, tensor)
  std::string error;

  int Fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return KILN_PROCESSOR_FAILED;
  }

  // Checks name, shape and count; fills t's name and shape.
  int Start(const char* fn, const char* name, const int64_t* shape, size_t rank, size_t count,
            OutputTensor& t) {
    if (name == nullptr) return Fail(fmt::format("{}: name is NULL", fn));
    const int64_t n = Elements(shape, rank);
    if (n < 0)
      return Fail(fmt::format("{}(\"{}\"): the shape needs at least one dimension, none negative",
                              fn, name));
    if (static_cast<size_t>(n) != count)
      return Fail(
          fmt::format("{}(\"{}\"): {} values for a shape of {} elements", fn, name, count, n));
    t.name = name;
    t.shape.assign(shape, shape + rank);
    return KILN_PROCESSOR_OK;
  }

  static int SetNumbers(void* host, const char* name, const char* datatype, const int64_t* shape,
                        size_t rank, const double* values, size_t count) noexcept {
    auto* e = static_cast<OutputEdits*>(host);
    try {
      OutputTensor t;
      if (int rc = e->Start("set_numbers", name, shape, rank, count, t); rc != 0) return rc;
      if (!IsNumeric(datatype))
        return e->Fail(fmt::format("set_numbers(\"{}\"): datatype must be FP64 or INT64, found {}",
                                   name, datatype ? datatype : "NULL"));
      if (values == nullptr && count > 0)
        return e->Fail(fmt::format("set_numbers(\"{}\"): values is NULL", name));
      t.datatype = datatype;
      t.numbers.assign(values, values + count);
      e->ops.emplace_back(false, std::move(t));
      return KILN_PROCESSOR_OK;
    } catch (...) {
      return e->Fail("set_numbers: out of memory");
    }
  }

  static int SetTexts(void* host, const char* name, const int64_t* shape, size_t rank,
                      const char* const* values, size_t count) noexcept {
    auto* e = static_cast<OutputEdits*>(host);
    try {
      OutputTensor t;
      if (int rc = e->Start("set_texts", name, shape, rank, count, t); rc != 0) return rc;
      if (values == nullptr && count > 0)
        return e->Fail(fmt::format("set_texts(\"{}\"): values is NULL", name));
      t.datatype = kBytes;
      t.texts.reserve(count);
      for (size_t i = 0; i < count; ++i) t.texts.emplace_back(values[i] ? values[i] : "");
      e->ops.emplace_back(false, std::move(t));
      return KILN_PROCESSOR_OK;
    } catch (...) {
      return e->Fail("set_texts: out of memory");
    }
  }

  static int RemoveOutput(void* host, const char* name) noexcept {
    auto* e = static_cast<OutputEdits*>(host);
    try {
      if (name == nullptr) return e->Fail("remove_output: name is NULL");
      OutputTensor t;
      t.name = name;
      e->ops.emplace_back(true, std::move(t));
      return KILN_PROCESSOR_OK;
    } catch (...) {
      return e->Fail("remove_output: out of memory");
    }
  }

  void Apply(InferenceOutput& out) {
    for (auto& op : ops) {
      OutputTensor& tensor = op.second;
      auto it = std::find_if(out.outputs.begin(), out.outputs.end(),
                             [&](const OutputTensor& t) { return t.name == tensor.name; });
      if (op.first) {
        if (it != out.outputs.end()) out.outputs.erase(it);
      } else if (it != out.outputs.end()) {
        *it = std::move(tensor);
      } else {
        out.outputs.push_back(std::move(tensor));
      }
    }
  }
};

// Tensors describe declares.
struct Declared {
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  std::string error;

  static int Add(std::vector<TensorSpec>& to, std::string& error, const char* fn, const char* name,
                 const char* datatype, const int64_t* shape, size_t rank) noexcept {
    try {
      if (name == nullptr || datatype == nullptr || (shape == nullptr && rank > 0)) {
        if (error.empty()) error = fmt::format("{}: name, datatype or shape is NULL", fn);
        return KILN_PROCESSOR_FAILED;
      }
      if (!IsNumeric(datatype) && std::strcmp(datatype, kBytes) != 0 &&
          std::strcmp(datatype, kFp32) != 0) {
        if (error.empty())
          error = fmt::format("{}(\"{}\"): unknown datatype {} (FP32, FP64, INT64 or BYTES)", fn,
                              name, datatype);
        return KILN_PROCESSOR_FAILED;
      }
      to.push_back({name, datatype, std::vector<int64_t>(shape, shape + rank)});
      return KILN_PROCESSOR_OK;
    } catch (...) {
      return KILN_PROCESSOR_FAILED;
    }
  }
  static int AddInput(void* host, const char* name, const char* datatype, const int64_t* shape,
                      size_t rank) noexcept {
    auto* d = static_cast<Declared*>(host);
    return Add(d->inputs, d->error, "add_input", name, datatype, shape, rank);
  }
  static int AddOutput(void* host, const char* name, const char* datatype, const int64_t* shape,
                       size_t rank) noexcept {
    auto* d = static_cast<Declared*>(host);
    return Add(d->outputs, d->error, "add_output", name, datatype, shape, rank);
  }
};

class CustomServable final : public Servable {
 public:
  CustomServable(LibraryHandle library, const KilnProcessorV1* table, void* state, std::string name,
                 std::unique_ptr<Servable> inner)
      : library_(std::move(library)),
        table_(table),
        state_(state),
        name_(std::move(name)),
        inner_(std::move(inner)) {}

  ~CustomServable() override {
    table_->free_state(state_);
    inner_.reset();
    // library_ closes last (members are destroyed in reverse order).
  }

  // Builds the metadata: the inner model's plus what describe declares.
  core::Status Describe() {
    metadata_ = inner_->metadata();
    metadata_.platform = "custom:" + name_;
    if (table_->describe == nullptr) return core::Status::Ok();
    Declared declared;
    KilnDescribeSinkV1 sink{&declared, &Declared::AddInput, &Declared::AddOutput};
    std::array<char, kErrorBytes> err{};
    const int rc = table_->describe(state_, &sink, err.data(), err.size());
    if (!declared.error.empty())
      return core::Internal("processor {}: describe: {}", name_, declared.error);
    if (rc != 0) return core::Internal("processor {}: describe failed: {}", name_, Message(err));
    for (const TensorSpec& in : declared.inputs) {
      own_inputs_.push_back(in.name);
      metadata_.inputs.push_back(in);
    }
    for (const TensorSpec& out : declared.outputs) {
      auto it = std::find_if(metadata_.outputs.begin(), metadata_.outputs.end(),
                             [&](const TensorSpec& t) { return t.name == out.name; });
      if (it != metadata_.outputs.end()) {
        *it = out;
      } else {
        metadata_.outputs.push_back(out);
      }
    }
    return core::Status::Ok();
  }

  const ServableMetadata& metadata() const override { return metadata_; }
  size_t memory_bytes() const override { return inner_->memory_bytes(); }

  core::Result<InferenceOutput> Infer(const FeatureBatch& batch) const override {
    const FeatureBatch* current = &batch;
    FeatureBatch edited;
    if (table_->pre_process != nullptr) {
      BatchView view(batch);
      BatchEdits edits;
      edits.rows = batch.rows;
      KilnBatchEditorV1 editor{&edits, &BatchEdits::SetNumbers, &BatchEdits::SetTexts,
                               &BatchEdits::RemoveColumn};
      std::array<char, kErrorBytes> err{};
      const int rc = table_->pre_process(state_, view.get(), &editor, err.data(), err.size());
      if (!edits.error.empty())
        return core::Internal("processor {}: pre_process: {}", name_, edits.error);
      if (rc == KILN_PROCESSOR_FAILED)
        return core::Internal("processor {}: pre_process failed: {}", name_, Message(err));
      if (rc != 0) return core::InvalidArgument("processor {}: {}", name_, Message(err));
      if (!edits.ops.empty()) {
        edited = edits.Apply(batch);
        current = &edited;
      }
    }
    // The processor's own inputs never reach the model.
    const FeatureBatch* model_batch = current;
    FeatureBatch stripped;
    if (!own_inputs_.empty()) {
      stripped.rows = current->rows;
      for (const FeatureColumn& c : current->columns)
        if (std::find(own_inputs_.begin(), own_inputs_.end(), c.name) == own_inputs_.end())
          stripped.columns.push_back(c);
      model_batch = &stripped;
    }
    KILN_ASSIGN_OR_RETURN(InferenceOutput out, inner_->Infer(*model_batch));
    if (table_->post_process == nullptr) return out;
    OutputEdits edits;
    {
      BatchView view(*current);
      OutputView outputs(out);
      KilnOutputEditorV1 editor{&edits, &OutputEdits::SetNumbers, &OutputEdits::SetTexts,
                                &OutputEdits::RemoveOutput};
      std::array<char, kErrorBytes> err{};
      const int rc =
          table_->post_process(state_, view.get(), outputs.get(), &editor, err.data(), err.size());
      if (!edits.error.empty())
        return core::Internal("processor {}: post_process: {}", name_, edits.error);
      if (rc == KILN_PROCESSOR_BAD_REQUEST)
        return core::InvalidArgument("processor {}: {}", name_, Message(err));
      if (rc != 0)
        return core::Internal("processor {}: post_process failed: {}", name_, Message(err));
    }
    edits.Apply(out);
    return out;
  }

 private:
  LibraryHandle library_;
  const KilnProcessorV1* table_;
  void* state_;
  std::string name_;
  std::unique_ptr<Servable> inner_;
  ServableMetadata metadata_;
  std::vector<std::string> own_inputs_;
};

}  // namespace

core::Result<std::unique_ptr<Servable>> LoadCustomProcessor(const ModelFiles& files,
                                                            const ProcessorRegistry& registry) {
  const nlohmann::json& config = files.config;
  if (!config.is_object() || !config.contains("library") || !config["library"].is_string() ||
      config["library"].get<std::string>().empty())
    return core::InvalidArgument(
        "processor.library: expected the path of a processor's shared library, found {}",
        config.is_object() && config.contains("library") ? config["library"].dump() : "nothing");
  const std::string library = config["library"].get<std::string>();
  std::string platform;
  if (config.contains("platform")) {
    if (!config["platform"].is_string())
      return core::InvalidArgument("processor.platform: expected a platform name, found {}",
                                   config["platform"].dump());
    platform = config["platform"].get<std::string>();
  }
  if (platform == "custom")
    return core::InvalidArgument(
        "processor.platform: \"custom\" cannot wrap itself; name the model file's platform "
        "(e.g. \"kiln\") or leave it out to detect it");
  std::string init_config = "{}";
  if (config.contains("config")) {
    if (!config["config"].is_object())
      return core::InvalidArgument("processor.config: expected an object, found {}",
                                   config["config"].dump());
    init_config = config["config"].dump();
  }

  std::error_code ec;
  if (library.find('/') != std::string::npos && !std::filesystem::exists(library, ec))
    return core::NotFound("processor library {}: no such file", library);
  dlerror();
  LibraryHandle handle(dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!handle)
    return core::InvalidArgument("processor library {}: cannot load: {}", library, DlError());

  using VersionFn = uint32_t (*)();
  using TableFn = const KilnProcessorV1* (*)();
  auto* version_fn = reinterpret_cast<VersionFn>(dlsym(handle.get(), "kiln_processor_abi_version"));
  if (version_fn == nullptr)
    return core::InvalidArgument(
        "processor library {}: not a Kiln processor: it does not export "
        "kiln_processor_abi_version (see include/kiln/serve/processor_abi.h)",
        library);
  const uint32_t version = version_fn();
  if (version != KILN_PROCESSOR_ABI_VERSION)
    return core::VersionMismatch(
        "processor library {}: built for processor ABI version {}, but this kiln supports version "
        "{}; rebuild it against this kiln's include/kiln/serve/processor_abi.h",
        library, version, KILN_PROCESSOR_ABI_VERSION);
  auto* table_fn = reinterpret_cast<TableFn>(dlsym(handle.get(), "kiln_processor_v1"));
  if (table_fn == nullptr)
    return core::InvalidArgument(
        "processor library {}: exports kiln_processor_abi_version but not kiln_processor_v1",
        library);
  const KilnProcessorV1* table = table_fn();
  if (table == nullptr || table->init == nullptr || table->free_state == nullptr)
    return core::InvalidArgument(
        "processor library {}: kiln_processor_v1() must return a table with init and free_state",
        library);
  std::string name = table->name != nullptr && table->name[0] != '\0'
                         ? std::string(table->name)
                         : std::filesystem::path(library).stem().string();

  ModelFiles inner_files;
  inner_files.path = files.path;
  inner_files.platform = platform;
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<Servable> inner, LoadServable(registry, inner_files));

  std::array<char, kErrorBytes> err{};
  void* state = nullptr;
  if (table->init(init_config.data(), init_config.size(), &state, err.data(), err.size()) != 0)
    return core::InvalidArgument("processor {} ({}): init failed: {}", name, library, Message(err));
  auto servable =
      std::make_unique<CustomServable>(std::move(handle), table, state, name, std::move(inner));
  KILN_RETURN_IF_ERROR(servable->Describe());
  return std::unique_ptr<Servable>(std::move(servable));
}

}  // namespace kiln::serve
