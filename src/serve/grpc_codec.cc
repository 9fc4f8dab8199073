#include "kiln/serve/grpc_codec.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "kiln/core/strings.h"
#include "tensor_rules.h"

namespace kiln::serve {
namespace {

using inference::InferTensorContents;

// An input tensor's values, converted to what a FeatureColumn holds.
struct Values {
  bool is_text = false;
  std::vector<double> numbers;
  std::vector<std::string> texts;
  size_t size() const { return is_text ? texts.size() : numbers.size(); }
};

// The typed contents field a datatype's values travel in ("" for FP16: raw form only).
std::string ContentsField(const std::string& datatype) {
  if (datatype == "BOOL") return "bool_contents";
  if (datatype == "INT8" || datatype == "INT16" || datatype == "INT32") return "int_contents";
  if (datatype == "INT64") return "int64_contents";
  if (datatype == "UINT8" || datatype == "UINT16" || datatype == "UINT32") return "uint_contents";
  if (datatype == "UINT64") return "uint64_contents";
  if (datatype == "FP32") return "fp32_contents";
  if (datatype == "FP64") return "fp64_contents";
  if (datatype == "BYTES") return "bytes_contents";
  return "";
}

// The fields of `c` that hold values, with their counts ("fp32_contents (3 values)").
std::vector<std::string> FilledFields(const InferTensorContents& c) {
  std::vector<std::string> out;
  auto add = [&](const char* name, int n) {
    if (n > 0) out.push_back(fmt::format("{} ({} values)", name, n));
  };
  add("bool_contents", c.bool_contents_size());
  add("int_contents", c.int_contents_size());
  add("int64_contents", c.int64_contents_size());
  add("uint_contents", c.uint_contents_size());
  add("uint64_contents", c.uint64_contents_size());
  add("fp32_contents", c.fp32_contents_size());
  add("fp64_contents", c.fp64_contents_size());
  add("bytes_contents", c.bytes_contents_size());
  return out;
}

template <typename Field>
void AppendNumbers(const Field& field, std::vector<double>& out) {
  out.reserve(static_cast<size_t>(field.size()));
  for (const auto& v : field) out.push_back(static_cast<double>(v));
}

core::Result<Values> TypedValues(const InferTensorContents& c, const std::string& datatype,
                                 const std::string& where) {
  Values values;
  values.is_text = datatype == kBytes;
  const std::string field = ContentsField(datatype);
  if (field.empty())
    return core::InvalidArgument(
        "{}: datatype {} has no typed contents field; send it in "
        "raw_input_contents",
        where, datatype);
  if (field == "bool_contents") AppendNumbers(c.bool_contents(), values.numbers);
  if (field == "int_contents") AppendNumbers(c.int_contents(), values.numbers);
  if (field == "int64_contents") AppendNumbers(c.int64_contents(), values.numbers);
  if (field == "uint_contents") AppendNumbers(c.uint_contents(), values.numbers);
  if (field == "uint64_contents") AppendNumbers(c.uint64_contents(), values.numbers);
  if (field == "fp32_contents") AppendNumbers(c.fp32_contents(), values.numbers);
  if (field == "fp64_contents") AppendNumbers(c.fp64_contents(), values.numbers);
  if (field == "bytes_contents")
    values.texts.assign(c.bytes_contents().begin(), c.bytes_contents().end());
  const std::vector<std::string> filled = FilledFields(c);
  if (filled.size() > 1 || (filled.size() == 1 && values.size() == 0))
    return core::InvalidArgument("{}: datatype {} takes its values in {}, found {}", where,
                                 datatype, field, core::Join(filled, ", "));
  return values;
}

uint64_t LoadLittleEndian(const char* p, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 31) {
    magnitude = mantissa == 0 ? std::numeric_limits<float>::infinity()
                              : std::numeric_limits<float>::quiet_NaN();
  } else {
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400), static_cast<int>(exponent) - 25);
  }
  return sign ? -magnitude : magnitude;
}

size_t ElementBytes(const std::string& datatype) {
  if (datatype == "BOOL" || datatype == "INT8" || datatype == "UINT8") return 1;
  if (datatype == "INT16" || datatype == "UINT16" || datatype == "FP16") return 2;
  if (datatype == "INT32" || datatype == "UINT32" || datatype == "FP32") return 4;
  return 8;  // INT64, UINT64, FP64
}

double RawNumber(const char* p, const std::string& datatype) {
  const size_t bytes = ElementBytes(datatype);
  const uint64_t bits = LoadLittleEndian(p, bytes);
  if (datatype == "BOOL") return bits != 0 ? 1.0 : 0.0;
  if (datatype == "FP16") return HalfToFloat(static_cast<uint16_t>(bits));
  if (datatype == "FP32") return std::bit_cast<float>(static_cast<uint32_t>(bits));
  if (datatype == "FP64") return std::bit_cast<double>(bits);
  if (datatype.starts_with("UINT")) return static_cast<double>(bits);
  // Signed: sign-extend from `bytes`.
  const int shift = static_cast<int>(64 - 8 * bytes);
  return static_cast<double>(static_cast<int64_t>(bits << shift) >> shift);
}

core::Result<Values> RawValues(const std::string& raw, const std::string& datatype, size_t elements,
                               const std::string& where) {
  Values values;
  values.is_text = datatype == kBytes;
  if (values.is_text) {
    size_t at = 0;
    while (at < raw.size()) {
      if (raw.size() - at < 4)
        return core::InvalidArgument(
            "{}: BYTES element {} at byte {}: expected a 4-byte length, found {} bytes", where,
            values.texts.size(), at, raw.size() - at);
      const uint64_t n = LoadLittleEndian(raw.data() + at, 4);
      at += 4;
      if (raw.size() - at < n)
        return core::InvalidArgument(
            "{}: BYTES element {} at byte {}: length {} runs past the end ({} bytes left)", where,
            values.texts.size(), at - 4, n, raw.size() - at);
      values.texts.emplace_back(raw.data() + at, n);
      at += n;
    }
    return values;
  }
  const size_t width = ElementBytes(datatype);
  if (raw.size() != elements * width)
    return core::InvalidArgument("{}: {} values of {} ({} bytes each) need {} bytes, found {}",
                                 where, elements, datatype, width, elements * width, raw.size());
  values.numbers.reserve(elements);
  for (size_t i = 0; i < elements; ++i)
    values.numbers.push_back(RawNumber(raw.data() + i * width, datatype));
  return values;
}

void AppendLittleEndian(uint64_t bits, size_t bytes, std::string& out) {
  for (size_t i = 0; i < bytes; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

}  // namespace

core::Result<V2Request> DecodeGrpcInfer(const inference::ModelInferRequest& request,
                                        const ServableMetadata& metadata) {
  V2Request req;
  req.id = request.id();
  for (const auto& o : request.outputs()) req.outputs.push_back(o.name());
  if (request.inputs().empty())
    return core::InvalidArgument("inputs: expected a non-empty list of input tensors");
  const bool raw = !request.raw_input_contents().empty();
  if (raw && request.raw_input_contents_size() != request.inputs_size())
    return core::InvalidArgument("raw_input_contents: expected one entry per input ({}), found {}",
                                 request.inputs_size(), request.raw_input_contents_size());
  bool rows_known = false;
  for (int i = 0; i < request.inputs_size(); ++i) {
    const auto& t = request.inputs(i);
    const std::string where = fmt::format("inputs[{}]", i);
    const std::string& name = t.name();
    const std::string& datatype = t.datatype();
    if (name.empty()) return core::InvalidArgument("{}.name: expected a tensor name", where);
    if (datatype != kBytes && !IsNumericType(datatype))
      return core::InvalidArgument("{}.datatype: unknown datatype '{}'", where, datatype);
    const std::vector<int64_t> shape(t.shape().begin(), t.shape().end());
    KILN_RETURN_IF_ERROR(CheckShape(shape, where + ".shape"));
    KILN_RETURN_IF_ERROR(TakeRows(where, shape, req.batch, rows_known));
    const size_t rows = req.batch.rows;
    KILN_ASSIGN_OR_RETURN(std::vector<const TensorSpec*> targets,
                          InputTargets(where, name, shape, metadata));
    const size_t width = targets.size();
    const size_t elements = rows * width;

    Values values;
    if (raw) {
      if (!FilledFields(t.contents()).empty())
        return core::InvalidArgument(
            "{}.contents: the request has raw_input_contents, so the values must be there, not "
            "in contents",
            where);
      KILN_ASSIGN_OR_RETURN(values, RawValues(request.raw_input_contents(i), datatype, elements,
                                              fmt::format("raw_input_contents[{}]", i)));
    } else {
      KILN_ASSIGN_OR_RETURN(values, TypedValues(t.contents(), datatype, where + ".contents"));
    }
    if (values.size() != elements)
      return core::InvalidArgument(
          "{}: shape {} needs {} values, {} has {}", where, ShapeText(shape), elements,
          raw ? fmt::format("raw_input_contents[{}]", i) : ContentsField(datatype), values.size());
    for (size_t k = 0; k < width; ++k) {
      const TensorSpec& spec = *targets[k];
      KILN_ASSIGN_OR_RETURN(FeatureColumn column,
                            NewTargetColumn(where, spec, datatype, req.batch));
      if (column.is_text) {
        column.texts.reserve(rows);
        for (size_t r = 0; r < rows; ++r) column.texts.push_back(values.texts[r * width + k]);
      } else {
        column.numbers.reserve(rows);
        for (size_t r = 0; r < rows; ++r) {
          const double v = values.numbers[r * width + k];
          if (std::isinf(v))
            return core::InvalidArgument(
                "{}: value {} (row {}) of feature '{}' must be finite (NaN = missing)", where,
                r * width + k, r, spec.name);
          column.numbers.push_back(v);
        }
      }
      req.batch.columns.push_back(std::move(column));
    }
  }
  return req;
}

core::Status EncodeGrpcInfer(const std::string& model, int64_t version, const std::string& id,
                             const InferenceOutput& output, const std::vector<std::string>& outputs,
                             bool raw, inference::ModelInferResponse& response) {
  for (const std::string& name : outputs) {
    const bool found = std::any_of(output.outputs.begin(), output.outputs.end(),
                                   [&](const OutputTensor& t) { return t.name == name; });
    if (!found) {
      std::vector<std::string> names;
      for (const OutputTensor& t : output.outputs) names.push_back(t.name);
      return core::InvalidArgument("outputs: unknown output '{}'; the model has: {}", name,
                                   core::Join(names, ", "));
    }
  }
  response.set_model_name(model);
  response.set_model_version(std::to_string(version));
  response.set_id(id);
  for (const OutputTensor& t : output.outputs) {
    if (!outputs.empty() && std::find(outputs.begin(), outputs.end(), t.name) == outputs.end())
      continue;
    auto* tensor = response.add_outputs();
    tensor->set_name(t.name);
    tensor->set_datatype(t.datatype);
    for (int64_t d : t.shape) tensor->add_shape(d);
    if (raw) {
      std::string* bytes = response.add_raw_output_contents();
      if (t.datatype == kBytes) {
        for (const std::string& s : t.texts) {
          AppendLittleEndian(s.size(), 4, *bytes);
          bytes->append(s);
        }
      } else if (t.datatype == kInt64) {
        for (double v : t.numbers)
          AppendLittleEndian(static_cast<uint64_t>(static_cast<int64_t>(v)), 8, *bytes);
      } else if (t.datatype == kFp32) {
        for (double v : t.numbers)
          AppendLittleEndian(std::bit_cast<uint32_t>(static_cast<float>(v)), 4, *bytes);
      } else {
        for (double v : t.numbers) AppendLittleEndian(std::bit_cast<uint64_t>(v), 8, *bytes);
      }
      continue;
    }
    auto* contents = tensor->mutable_contents();
    if (t.datatype == kBytes) {
      for (const std::string& s : t.texts) contents->add_bytes_contents(s);
    } else if (t.datatype == kInt64) {
      for (double v : t.numbers) contents->add_int64_contents(static_cast<int64_t>(v));
    } else if (t.datatype == kFp32) {
      for (double v : t.numbers) contents->add_fp32_contents(static_cast<float>(v));
    } else {
      for (double v : t.numbers) contents->add_fp64_contents(v);
    }
  }
  return core::Status::Ok();
}

}  // namespace kiln::serve
