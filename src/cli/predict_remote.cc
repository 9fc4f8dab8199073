// kiln predict --url URL NAME: read the data file locally, send it in batches to a running
// `kiln serve` (row format), and write the same predictions CSV as a local predict.
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "kiln/cli/format.h"
#include "kiln/cli/predictions_csv.h"
#include "kiln/core/file.h"
#include "kiln/core/strings.h"
#include "kiln/serve/http_client.h"

namespace kiln::cli {
namespace {

using nlohmann::json;

std::string ServerError(const serve::HttpClientResponse& r) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string())
    return j["error"].get<std::string>();
  return r.body.substr(0, 200);
}

core::Result<json> Call(const std::string& method, const std::string& url,
                        const std::string& body) {
  KILN_ASSIGN_OR_RETURN(serve::HttpUrl parsed, serve::ParseHttpUrl(url));
  KILN_ASSIGN_OR_RETURN(serve::HttpClientResponse r, serve::HttpCall(method, parsed, body));
  if (r.status == 404) return core::NotFound("{}: {}", url, ServerError(r));
  if (r.status / 100 != 2)
    return core::InvalidArgument("{} answered {}: {}", url, r.status, ServerError(r));
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return core::ParseError("{}: the answer is not JSON", url);
  return j;
}

// Appends one batch's answer to the predictions (classes fixed by the first batch).
// A class as the server wrote it: a string, or a number (XGBoost answers class indices).
std::string ClassText(const json& v) {
  return v.is_string() ? v.get<std::string>() : core::FormatDouble(v.get<double>());
}

core::Status CollectAnswer(const json& answer, ml::LabelInfo& label, ml::Predictions& p,
                           bool first) {
  if (!answer.contains("predictions") || !answer["predictions"].is_array())
    return core::ParseError("the server's answer has no predictions array");
  const json& predictions = answer["predictions"];
  const bool classification = answer.contains("classes");
  if (answer.contains("distances")) {  // a clustering model: cluster indices and distances
    const json& distances = answer["distances"];
    if (first) label.task = p.task = ml::Task::kClustering;
    p.probabilistic = false;
    for (size_t i = 0; i < predictions.size(); ++i) {
      const auto cluster = predictions[i].get<int32_t>();
      p.classes.push_back(cluster);
      label.clusters = std::max(label.clusters, static_cast<size_t>(std::max(cluster, 0)) + 1);
      p.scores.push_back(distances.at(i).is_null() ? std::nan("") : distances.at(i).get<double>());
    }
    p.rows += predictions.size();
    return core::Status::Ok();
  }
  if (first) {
    if (classification) {
      label.classes = answer["classes"].get<std::vector<std::string>>();
      label.task = label.classes.size() == 2 ? ml::Task::kBinary : ml::Task::kMulticlass;
      p.probabilistic = answer.contains("probabilities");
    } else {
      label.task = ml::Task::kRegression;
    }
    p.task = label.task;
  }
  const size_t k = label.classes.size();
  const json& scores = answer.contains("probabilities") ? answer["probabilities"]
                       : answer.contains("scores")      ? answer["scores"]
                                                        : json::array();
  for (size_t i = 0; i < predictions.size(); ++i) {
    if (!classification) {
      p.scores.push_back(predictions[i].is_null() ? std::nan("") : predictions[i].get<double>());
      continue;
    }
    const std::string cls = ClassText(predictions[i]);
    auto it = std::find(label.classes.begin(), label.classes.end(), cls);
    if (it == label.classes.end())
      return core::ParseError("the server predicted class '{}' it did not list", cls);
    p.classes.push_back(static_cast<int32_t>(it - label.classes.begin()));
    const json& row = scores.at(i);
    if (label.task == ml::Task::kBinary) {
      p.scores.push_back(row.at(label.classes[1]).get<double>());
    } else {
      for (size_t c = 0; c < k; ++c) p.scores.push_back(row.at(label.classes[c]).get<double>());
    }
  }
  p.rows += predictions.size();
  return core::Status::Ok();
}

// The answer's shape is the server's; anything unexpected in it is a parse error, not a crash.
core::Status Collect(const json& answer, ml::LabelInfo& label, ml::Predictions& p, bool first) {
  try {
    return CollectAnswer(answer, label, p, first);
  } catch (const json::exception& e) {
    return core::ParseError("unexpected answer from the server: {}", e.what());
  }
}

}  // namespace

core::Status RunPredictRemote(const PredictOptions& o, Session& session) {
  if (o.name.empty())
    return core::InvalidArgument(
        "--url needs the served model's name: kiln predict --url {} NAME "
        "--data FILE",
        o.url);
  KILN_RETURN_IF_ERROR(CheckInputFile("--data", o.data));
  std::string base = o.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string model = o.name.substr(0, o.name.find('@'));
  KILN_ASSIGN_OR_RETURN(json metadata, Call("GET", base + "/v2/models/" + model, ""));
  std::vector<std::pair<std::string, bool>> inputs;  // name, is text
  data::ReadOptions read;
  read.label_policy = data::LabelPolicy::kNone;
  for (const json& t : metadata.value("inputs", json::array())) {
    const std::string name = t.value("name", "");
    const bool text = t.value("datatype", "") == "BYTES";
    inputs.emplace_back(name, text);
    read.column_types[name] = text ? data::ColumnType::kCategorical : data::ColumnType::kNumeric;
  }
  if (inputs.empty()) return core::ParseError("{}: the model metadata lists no inputs", base);
  auto ctx = session.MakeContext(o.run);
  KILN_ASSIGN_OR_RETURN(data::Dataset dataset, session.ReadData(o.data, read, *ctx));
  if (dataset.is_sparse())
    return core::InvalidArgument("--data {}: the row format needs named columns (CSV or JSONL)",
                                 o.data);
  std::vector<const data::Column*> columns;
  for (const auto& [name, text] : inputs) {
    const int index = dataset.FindColumn(name);
    if (index < 0)
      return core::InvalidArgument(
          "--data {}: the served model needs column '{}', which the "
          "file does not have",
          o.data, name);
    columns.push_back(&dataset.columns()[static_cast<size_t>(index)]);
  }
  ml::LabelInfo label;
  ml::Predictions predictions;
  const std::string endpoint = base + "/v1/models/" + o.name + ":predict";
  for (size_t begin = 0; begin < dataset.num_rows(); begin += o.batch_rows) {
    KILN_RETURN_IF_ERROR(ctx->CheckCancelled("kiln predict --url"));
    const size_t end = std::min(dataset.num_rows(), begin + o.batch_rows);
    json instances = json::array();
    for (size_t r = begin; r < end; ++r) {
      json row = json::object();
      for (size_t c = 0; c < inputs.size(); ++c) {
        const data::Column& column = *columns[c];
        if (column.IsMissing(r)) {
          row[inputs[c].first] = nullptr;
        } else if (column.type == data::ColumnType::kNumeric) {
          row[inputs[c].first] = column.values[r];
        } else {
          row[inputs[c].first] = column.categories[static_cast<size_t>(column.codes[r])];
        }
      }
      instances.push_back(std::move(row));
    }
    auto answer = Call("POST", endpoint, json{{"instances", std::move(instances)}}.dump());
    if (!answer.ok())
      return core::Status(answer.status())
          .AddContext(fmt::format("rows {}-{} of {}", begin + 1, end, o.data));
    KILN_RETURN_IF_ERROR(Collect(*answer, label, predictions, begin == 0));
  }
  KILN_RETURN_IF_ERROR(CheckPredictions(label, predictions));
  std::string text = PredictionHeader(label, predictions);
  AppendPredictionRows(label, predictions, 0, predictions.rows, text);
  if (o.output.empty() || o.output == "-") {
    session.out() << text << std::flush;
    return core::Status::Ok();
  }
  KILN_RETURN_IF_ERROR(core::WriteFileAtomic(o.output, text));
  session.out() << fmt::format("predictions for {} from {} written to {}\n",
                               Plural(predictions.rows, "row"), endpoint, o.output);
  return core::Status::Ok();
}

}  // namespace kiln::cli
