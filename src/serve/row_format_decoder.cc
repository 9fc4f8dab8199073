// DecodeV1: the row format's request body, {"instances": [{"feature": value, ...}, ...]}, read
// token by token from a JsonScanner straight into the model's feature columns — no JSON tree,
// and no allocation per key or per number.
#include <fmt/format.h>

#include "feature_value.h"
#include "json_scanner.h"
#include "kiln/core/strings.h"
#include "kiln/serve/inference_codec.h"
#include "tensor_rules.h"

namespace kiln::serve {
namespace {

using Token = JsonScanner::Token;

const char* TokenName(Token t) {
  switch (t) {
    case Token::kBeginObject:
      return "an object";
    case Token::kBeginArray:
      return "an array";
    case Token::kString:
      return "a string";
    case Token::kNumber:
      return "a number";
    case Token::kTrue:
      return "true";
    case Token::kFalse:
      return "false";
    case Token::kNull:
      return "null";
    default:
      return "nothing";
  }
}

class RowFormatDecoder {
 public:
  RowFormatDecoder(std::string_view body, const ServableMetadata& metadata)
      : scanner_(body), metadata_(metadata) {
    batch_.columns.resize(metadata.inputs.size());
    for (size_t k = 0; k < metadata.inputs.size(); ++k) {
      batch_.columns[k].name = metadata.inputs[k].name;
      batch_.columns[k].is_text = metadata.inputs[k].datatype == kBytes;
    }
  }

  core::Result<FeatureBatch> Decode() {
    const Token first = scanner_.Next();
    if (first != Token::kBeginObject) {
      if (first == Token::kError) return Malformed();
      return core::InvalidArgument("expected a JSON object as the request body, found {}",
                                   Found(first));
    }
    bool seen_instances = false;
    while (true) {
      const Token t = scanner_.Next();
      if (t == Token::kEndObject) break;
      if (t != Token::kKey) return Malformed();
      if (scanner_.text() == "instances") {
        KILN_RETURN_IF_ERROR(Instances());
        seen_instances = true;
      } else if (!scanner_.SkipValue(scanner_.Next())) {
        return Malformed();
      }
    }
    if (scanner_.Next() != Token::kEnd) return Malformed();
    if (!seen_instances)
      return core::InvalidArgument(
          "instances: expected an array of objects, e.g. {{\"instances\": [{{\"feature\": "
          "1.5}}]}}");
    if (batch_.rows == 0) return core::InvalidArgument("instances: the array is empty");
    return std::move(batch_);
  }

 private:
  core::Status Malformed() const {
    return core::InvalidArgument("malformed JSON (byte {}): {}", scanner_.offset(),
                                 scanner_.error());
  }

  // "an object", "the number 1.5", "the string \"x\"", ...
  std::string Found(Token t) const {
    switch (t) {
      case Token::kString:
      case Token::kNumber:
        return fmt::format("the {} {}", t == Token::kString ? "string" : "number",
                           core::Excerpt(std::string(scanner_.raw())));
      default:
        return TokenName(t);
    }
  }

  core::Status Instances() {
    const Token open = scanner_.Next();
    if (open == Token::kError) return Malformed();
    if (open != Token::kBeginArray)
      return core::InvalidArgument("instances: expected an array of objects, found {}",
                                   Found(open));
    while (true) {
      const Token t = scanner_.Next();
      if (t == Token::kEndArray) return core::Status::Ok();
      if (t == Token::kError) return Malformed();
      if (t != Token::kBeginObject)
        return core::InvalidArgument(
            "instances[{}]: expected an object of feature values, found {}", batch_.rows, Found(t));
      if (batch_.rows >= kMaxRows)
        return core::InvalidArgument("instances: more than the limit of {} rows", kMaxRows);
      KILN_RETURN_IF_ERROR(Row());
    }
  }

  core::Status Row() {
    const std::vector<TensorSpec>& inputs = metadata_.inputs;
    size_t cursor = 0;  // clients usually send the features in the model's order
    while (true) {
      const Token t = scanner_.Next();
      if (t == Token::kEndObject) break;
      if (t != Token::kKey) return Malformed();
      const std::string_view key = scanner_.text();
      size_t found = inputs.size();
      if (cursor < inputs.size() && inputs[cursor].name == key) {
        found = cursor;
      } else {
        for (size_t i = 0; i < inputs.size(); ++i)
          if (inputs[i].name == key) found = i;
      }
      if (found == inputs.size())
        return UnknownFeature(fmt::format("instances[{}]", batch_.rows), std::string(key),
                              metadata_);
      FeatureColumn& column = batch_.columns[found];
      if ((column.is_text ? column.texts.size() : column.numbers.size()) > batch_.rows)
        return core::InvalidArgument("instances[{}]: feature '{}' is given twice", batch_.rows,
                                     key);
      cursor = found + 1;
      KILN_RETURN_IF_ERROR(Value(inputs[found], column));
    }
    std::vector<std::string> missing;
    for (const FeatureColumn& c : batch_.columns)
      if ((c.is_text ? c.texts.size() : c.numbers.size()) == batch_.rows) missing.push_back(c.name);
    if (!missing.empty())
      return core::InvalidArgument(
          "instances[{}]: missing feature{} {} (send null for a missing value)", batch_.rows,
          missing.size() == 1 ? "" : "s", core::Join(missing, ", "));
    ++batch_.rows;
    return core::Status::Ok();
  }

  core::Status Value(const TensorSpec& spec, FeatureColumn& column) {
    const Token t = scanner_.Next();
    FeatureValue v;
    switch (t) {
      case Token::kNull:
        break;
      case Token::kTrue:
      case Token::kFalse:
        v.kind = FeatureValue::Kind::kBool;
        v.boolean = t == Token::kTrue;
        break;
      case Token::kNumber:
        v.kind = FeatureValue::Kind::kNumber;
        v.number = scanner_.number();
        v.raw = scanner_.raw();
        break;
      case Token::kString:
        v.kind = FeatureValue::Kind::kString;
        v.text = scanner_.text();
        v.raw = scanner_.raw();
        break;
      case Token::kBeginObject:
      case Token::kBeginArray:
        return core::InvalidArgument("instances[{}].{}: feature '{}' takes a {}, found {}",
                                     batch_.rows, spec.name, spec.name,
                                     spec.datatype == kBytes ? "string" : "number", TokenName(t));
      default:
        return Malformed();
    }
    const size_t row = batch_.rows;
    return AppendFeatureValue(v, spec, column,
                              [&] { return fmt::format("instances[{}].{}", row, spec.name); });
  }

  JsonScanner scanner_;
  const ServableMetadata& metadata_;
  FeatureBatch batch_;
};

}  // namespace

core::Result<FeatureBatch> DecodeV1(std::string_view body, const ServableMetadata& metadata) {
  return RowFormatDecoder(body, metadata).Decode();
}

}  // namespace kiln::serve
