#include "kiln/serve/inference_codec.h"

#include <cmath>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "feature_value.h"
#include "kiln/core/strings.h"
#include "tensor_rules.h"

namespace kiln::serve {
namespace {

using nlohmann::json;

std::string TypeName(const json& v) {
  if (v.is_string()) return fmt::format("the string {}", v.dump());
  if (v.is_null()) return "null";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return fmt::format("the number {}", v.dump());
  if (v.is_array()) return "an array";
  return "an object";
}

// Flattens nested arrays row-major into `out`.
// Flattens nested arrays row-major into `out`, at most `max_depth` levels deep (a tensor has at
// most two dimensions): deeper nesting is an error, not a recursion as deep as the client likes.
bool Flatten(const json& data, std::vector<const json*>& out, int max_depth) {
  if (!data.is_array()) {
    out.push_back(&data);
    return true;
  }
  if (max_depth == 0) return false;
  for (const json& d : data)
    if (!Flatten(d, out, max_depth - 1)) return false;
  return true;
}

core::Result<std::vector<int64_t>> ParseShape(const json& t, const std::string& where) {
  if (!t.contains("shape") || !t["shape"].is_array())
    return core::InvalidArgument("{}.shape: expected an array of dimensions", where);
  std::vector<int64_t> shape;
  for (const json& d : t["shape"]) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0)
      return core::InvalidArgument("{}.shape: dimensions must be non-negative integers, found {}",
                                   where, d.dump());
    shape.push_back(d.get<int64_t>());
  }
  if (shape.empty() || shape.size() > 2)
    return core::InvalidArgument(
        "{}.shape: expected [rows] or [rows, features], found {} dimensions", where, shape.size());
  return shape;
}

}  // namespace

core::Result<json> ParseJsonBody(const std::string& body) {
  json j;
  try {
    j = json::parse(body);
  } catch (const json::exception& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 9: ...", or
    // out_of_range.406 for a number beyond a double ("1e400"), which has no byte offset.
    std::string_view what = e.what();
    if (const size_t cut = what.find("] "); cut != std::string_view::npos)
      what.remove_prefix(cut + 2);
    const auto* syntax = dynamic_cast<const json::parse_error*>(&e);
    if (syntax == nullptr) return core::InvalidArgument("malformed JSON: {}", what);
    return core::InvalidArgument("malformed JSON (byte {}): {}", syntax->byte, what);
  }
  if (!j.is_object())
    return core::InvalidArgument("expected a JSON object as the request body, found {}",
                                 TypeName(j));
  return j;
}

core::Result<V2Request> DecodeV2(const json& body, const ServableMetadata& metadata) {
  V2Request req;
  if (body.contains("id")) {
    if (!body["id"].is_string()) return core::InvalidArgument("id: expected a string");
    req.id = body["id"].get<std::string>();
  }
  if (!body.contains("inputs") || !body["inputs"].is_array() || body["inputs"].empty())
    return core::InvalidArgument("inputs: expected a non-empty array of input tensors");
  if (body.contains("outputs")) {
    if (!body["outputs"].is_array())
      return core::InvalidArgument("outputs: expected an array of {{\"name\": ...}}");
    for (size_t i = 0; i < body["outputs"].size(); ++i) {
      const json& o = body["outputs"][i];
      if (!o.is_object() || !o.contains("name") || !o["name"].is_string())
        return core::InvalidArgument("outputs[{}]: expected {{\"name\": \"...\"}}", i);
      req.outputs.push_back(o["name"].get<std::string>());
    }
  }
  bool rows_known = false;
  std::vector<const json*> values;
  const json& inputs = body["inputs"];
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string where = fmt::format("inputs[{}]", i);
    const json& t = inputs[i];
    if (!t.is_object()) return core::InvalidArgument("{}: expected an object", where);
    if (!t.contains("name") || !t["name"].is_string())
      return core::InvalidArgument("{}.name: expected a string", where);
    if (!t.contains("datatype") || !t["datatype"].is_string())
      return core::InvalidArgument("{}.datatype: expected a string such as \"FP32\"", where);
    const std::string name = t["name"].get<std::string>();
    const std::string datatype = t["datatype"].get<std::string>();
    if (datatype != kBytes && !IsNumericType(datatype))
      return core::InvalidArgument("{}.datatype: unknown datatype '{}'", where, datatype);
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> shape, ParseShape(t, where));
    if (!t.contains("data")) return core::InvalidArgument("{}.data: missing", where);
    values.clear();
    if (!Flatten(t["data"], values, static_cast<int>(shape.size())))
      return core::InvalidArgument("{}.data: nested deeper than its shape {}", where,
                                   ShapeText(shape));
    int64_t elements = 1;
    for (int64_t d : shape) {
      if (__builtin_mul_overflow(elements, d, &elements))
        return core::InvalidArgument("{}: shape {} has too many elements", where, ShapeText(shape));
    }
    if (static_cast<int64_t>(values.size()) != elements)
      return core::InvalidArgument("{}: shape {} needs {} values, data has {}", where,
                                   ShapeText(shape), elements, values.size());
    KILN_RETURN_IF_ERROR(TakeRows(where, shape, req.batch, rows_known));
    const size_t rows = req.batch.rows;

    // The tensors this input fills: one named feature, or every feature in model order.
    KILN_ASSIGN_OR_RETURN(std::vector<const TensorSpec*> targets,
                          InputTargets(where, name, shape, metadata));
    const size_t width = targets.size();
    for (size_t k = 0; k < width; ++k) {
      const TensorSpec& spec = *targets[k];
      KILN_ASSIGN_OR_RETURN(FeatureColumn column,
                            NewTargetColumn(where, spec, datatype, req.batch));
      for (size_t r = 0; r < rows; ++r) {
        const json& v = *values[r * width + k];
        auto at = [&] { return fmt::format("{}.data[{}]", where, r * width + k); };
        if (datatype == kBytes ? !v.is_string() : !(v.is_number() || v.is_boolean()))
          return core::InvalidArgument("{}: datatype {} needs {}, found {}", at(), datatype,
                                       datatype == kBytes ? "strings" : "numbers", TypeName(v));
        KILN_RETURN_IF_ERROR(AppendFeatureValue(FeatureValue::FromJson(v), spec, column, at));
      }
      req.batch.columns.push_back(std::move(column));
    }
  }
  return req;
}

core::Result<json> EncodeV2(const std::string& model, int64_t version, const std::string& id,
                            const InferenceOutput& output,
                            const std::vector<std::string>& outputs) {
  json out = {{"model_name", model}, {"model_version", std::to_string(version)}};
  if (!id.empty()) out["id"] = id;
  json tensors = json::array();
  for (const std::string& name : outputs) {
    bool found = false;
    for (const OutputTensor& t : output.outputs) found = found || t.name == name;
    if (!found) {
      std::vector<std::string> names;
      for (const OutputTensor& t : output.outputs) names.push_back(t.name);
      return core::InvalidArgument("outputs: unknown output '{}'; the model has: {}", name,
                                   core::Join(names, ", "));
    }
  }
  for (const OutputTensor& t : output.outputs) {
    if (!outputs.empty() && std::find(outputs.begin(), outputs.end(), t.name) == outputs.end())
      continue;
    json tensor = {{"name", t.name}, {"datatype", t.datatype}, {"shape", t.shape}};
    if (t.datatype == kBytes) {
      tensor["data"] = t.texts;
    } else if (t.datatype == kInt64) {
      std::vector<int64_t> ints(t.numbers.begin(), t.numbers.end());
      tensor["data"] = ints;
    } else {
      tensor["data"] = t.numbers;
    }
    tensors.push_back(std::move(tensor));
  }
  out["outputs"] = std::move(tensors);
  return out;
}

namespace {

// Appends `text` as a JSON string: quotes, escapes, and invalid UTF-8 replaced by U+FFFD (a
// class name comes from user data).
void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        out += fmt::format("\\u{:04x}", c);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    const size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    bool valid = len > 0 && c < 0xF5 && i + len <= text.size();
    for (size_t j = 1; valid && j < len; ++j)
      valid = (static_cast<unsigned char>(text[i + j]) & 0xC0) == 0x80;
    if (valid) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  out += '"';
}

void AppendJsonNumber(std::string& out, double v) {
  if (std::isfinite(v)) {
    fmt::format_to(std::back_inserter(out), "{}", v);
  } else {
    out += "null";
  }
}

}  // namespace

std::string EncodeV1(const std::string& model, int64_t version, const InferenceOutput& output) {
  // Written as text directly (no JSON tree): this is every row-format answer. Keys in the order
  // a JSON library would sort them: classes, model, predictions, probabilities|scores, version.
  std::string out = "{";
  if (!output.class_names.empty()) {
    out += "\"classes\":[";
    for (size_t j = 0; j < output.class_names.size(); ++j) {
      if (j > 0) out += ',';
      AppendJsonString(out, output.class_names[j]);
    }
    out += "],";
  }
  out += "\"model\":";
  AppendJsonString(out, model);
  for (const OutputTensor& t : output.outputs) {
    if ((t.name == "probabilities" || t.name == "scores") && t.shape.size() == 2) {
      const auto k = static_cast<size_t>(t.shape[1]);
      out += ",\"";
      out += t.name;
      out += "\":[";
      for (size_t r = 0; k > 0 && r * k < t.numbers.size(); ++r) {
        out += r > 0 ? ",{" : "{";
        for (size_t j = 0; j < k; ++j) {
          if (j > 0) out += ',';
          AppendJsonString(
              out, j < output.class_names.size() ? output.class_names[j] : std::to_string(j));
          out += ':';
          AppendJsonNumber(out, t.numbers[r * k + j]);
        }
        out += '}';
      }
      out += ']';
    } else if (t.shape.size() == 1 && t.name != "classes" && t.name != "model" &&
               t.name != "version" && t.name != "probabilities" && t.name != "scores") {
      // "predictions", and any other 1-D output (a custom processor's, e.g. "action"), as a
      // list under its name.
      out += ',';
      AppendJsonString(out, t.name);
      out += ":[";
      const size_t n = t.datatype == kBytes ? t.texts.size() : t.numbers.size();
      for (size_t i = 0; i < n; ++i) {
        if (i > 0) out += ',';
        if (t.datatype == kBytes) {
          AppendJsonString(out, t.texts[i]);
        } else {
          AppendJsonNumber(out, t.numbers[i]);
        }
      }
      out += ']';
    }
  }
  fmt::format_to(std::back_inserter(out), ",\"version\":{}}}", version);
  return out;
}

json MetadataJson(const std::string& model, const std::vector<int64_t>& versions,
                  const ServableMetadata& metadata) {
  auto tensors = [](const std::vector<TensorSpec>& specs) {
    json a = json::array();
    for (const TensorSpec& t : specs)
      a.push_back({{"name", t.name}, {"datatype", t.datatype}, {"shape", t.shape}});
    return a;
  };
  std::vector<std::string> v;
  for (int64_t x : versions) v.push_back(std::to_string(x));
  return {{"name", model},
          {"versions", v},
          {"platform", metadata.platform},
          {"inputs", tensors(metadata.inputs)},
          {"outputs", tensors(metadata.outputs)}};
}

}  // namespace kiln::serve
