// Model elements (their shared parts: MiningSchema, LocalTransformations, Targets), MiningModel
// segmentation with model-chain outputs, and the document itself.
#include <algorithm>

#include "kiln/core/file.h"
#include "kiln/core/strings.h"
#include "pmml_parse_context.h"
#include "pmml_parser.h"

namespace kiln::serve::pmml {
namespace {

constexpr std::string_view kSupportedModels = "RegressionModel, TreeModel, MiningModel";

bool IsKnownModel(std::string_view name) {
  static constexpr std::string_view kModels[] = {"AnomalyDetectionModel",
                                                 "AssociationModel",
                                                 "BayesianNetworkModel",
                                                 "BaselineModel",
                                                 "ClusteringModel",
                                                 "GaussianProcessModel",
                                                 "GeneralRegressionModel",
                                                 "MiningModel",
                                                 "NaiveBayesModel",
                                                 "NearestNeighborModel",
                                                 "NeuralNetwork",
                                                 "RegressionModel",
                                                 "RuleSetModel",
                                                 "SequenceModel",
                                                 "Scorecard",
                                                 "SupportVectorMachineModel",
                                                 "TextModel",
                                                 "TimeSeriesModel",
                                                 "TreeModel"};
  return std::find(std::begin(kModels), std::end(kModels), name) != std::end(kModels);
}

// Output fields of a model-chain segment: registered in `visible` (the MiningModel's scope) so
// later segments can read them.
core::Status ParseOutputs(ParseContext& ctx, const pugi::xml_node& output, const Scope& model_scope,
                          Model& model, Scope& visible, std::vector<OutputField>& out) {
  Scope own;  // the outputs so far, then the model's fields
  own.globals = &model_scope;
  for (const pugi::xml_node& child : ParseContext::Elements(output)) {
    if (ParseContext::Name(child) != "OutputField") {
      if (ParseContext::Ignorable(ParseContext::Name(child))) continue;
      return ctx.Bad(child, "unexpected element in Output");
    }
    OutputField f;
    KILN_ASSIGN_OR_RETURN(std::string_view name, ctx.Required(child, "name"));
    f.name = std::string(name);
    if (ctx.Attr(child, "dataType")) {
      KILN_ASSIGN_OR_RETURN(f.type, ctx.TypeAttr(child, "dataType"));
    } else {
      f.type = model.function == MiningFunction::kClassification &&
                       ctx.Attr(child, "feature").value_or("predictedValue") == "predictedValue"
                   ? DataType::kString
                   : DataType::kDouble;
    }
    KILN_ASSIGN_OR_RETURN(
        std::string_view feature,
        ctx.Choice(child, "feature", {"predictedValue", "probability", "transformedValue"},
                   "predictedValue",
                   {"predictedDisplayValue",
                    "residual",
                    "standardError",
                    "standardDeviation",
                    "clusterId",
                    "clusterAffinity",
                    "entityId",
                    "entityAffinity",
                    "warning",
                    "ruleValue",
                    "reasonCode",
                    "antecedent",
                    "consequent",
                    "rule",
                    "ruleId",
                    "confidence",
                    "support",
                    "lift",
                    "leverage",
                    "affinity",
                    "decision"}));
    if (feature == "probability") {
      if (model.function != MiningFunction::kClassification) {
        return ctx.Bad(child, "feature=\"probability\" needs a classification model");
      }
      f.feature = OutputField::Feature::kProbability;
      KILN_ASSIGN_OR_RETURN(f.category,
                            ctx.Category(child, "value", model.target, model.categories));
    } else if (feature == "transformedValue") {
      f.feature = OutputField::Feature::kTransformedValue;
      pugi::xml_node expression;
      for (const pugi::xml_node& e : ParseContext::Elements(child)) {
        if (!ParseContext::Ignorable(ParseContext::Name(e)) && ParseContext::Name(e) != "Decisions")
          expression = e;
      }
      if (!expression) return ctx.Bad(child, "a transformedValue OutputField needs an expression");
      KILN_ASSIGN_OR_RETURN(f.expression, ParseExpression(ctx, expression, own, 0));
    }
    if (own.slots.count(f.name) != 0 || visible.slots.count(f.name) != 0) {
      return ctx.Bad(child, "field '{}' is defined twice", f.name);
    }
    f.slot = ctx.NewSlot(f.name);
    ctx.SetSlotType(f.slot, f.type);
    own.slots.emplace(f.name, f.slot);
    out.push_back(std::move(f));
  }
  for (const OutputField& f : out) visible.slots.emplace(f.name, f.slot);
  return core::Status::Ok();
}

struct CombineInfo {
  std::string_view name;
  Combine combine;
  bool regression;
  bool classification;
};

constexpr CombineInfo kCombines[] = {
    {"sum", Combine::kSum, true, false},
    {"weightedSum", Combine::kWeightedSum, true, false},
    {"average", Combine::kAverage, true, true},
    {"weightedAverage", Combine::kWeightedAverage, true, true},
    {"median", Combine::kMedian, true, false},
    {"max", Combine::kMax, true, true},
    {"majorityVote", Combine::kMajorityVote, false, true},
    {"weightedMajorityVote", Combine::kWeightedMajorityVote, false, true},
    {"selectFirst", Combine::kSelectFirst, true, true},
    {"modelChain", Combine::kModelChain, true, true},
};

// Maps each classification segment's categories onto the MiningModel's.
core::Status MapCategories(ParseContext& ctx, const pugi::xml_node& node, Model& model) {
  auto& body = std::get<MiningBody>(model.body);
  const DataType type = model.target >= 0 ? ctx.doc().fields[static_cast<size_t>(model.target)].type
                                          : DataType::kString;
  const bool fixed =
      model.target >= 0 && !ctx.doc().fields[static_cast<size_t>(model.target)].valid.empty();
  for (Segment& s : body.segments) {
    // Only segments that predict the MiningModel's own target can answer for it.
    if (s.model->function != MiningFunction::kClassification || s.model->target != model.target) {
      continue;
    }
    for (const std::string& c : s.model->categories) {
      auto value = ParseConstant(c, type, true);
      int found = -1;
      for (size_t k = 0; k < model.categories.size() && value; ++k) {
        auto known = ParseConstant(model.categories[k], type, true);
        if (known && SameValue(*known, *value)) found = static_cast<int>(k);
      }
      if (found < 0) {
        if (fixed || !value) {
          return ctx.Bad(node,
                         "segment '{}' predicts category '{}', which is not a value of the "
                         "target field",
                         s.id, c);
        }
        model.categories.push_back(c);
        found = static_cast<int>(model.categories.size() - 1);
      }
      s.category_map.push_back(found);
    }
  }
  return core::Status::Ok();
}

core::Status ParseSegmentation(ParseContext& ctx, const pugi::xml_node& node, Scope& scope,
                               Model& model, int depth) {
  MiningBody body;
  KILN_ASSIGN_OR_RETURN(std::string_view method, ctx.Required(node, "multipleModelMethod"));
  const CombineInfo* info = nullptr;
  for (const CombineInfo& c : kCombines) {
    if (c.name == method) info = &c;
  }
  const bool classification = model.function == MiningFunction::kClassification;
  if (info == nullptr) {
    std::vector<std::string> names;
    for (const CombineInfo& c : kCombines) names.emplace_back(c.name);
    return ctx.Unsupported(node, "multipleModelMethod=\"{}\" is not supported; supported: {}",
                           core::Excerpt(method), core::Join(names, ", "));
  }
  if (classification ? !info->classification : !info->regression) {
    return ctx.Bad(node, "multipleModelMethod=\"{}\" does not apply to {} models", method,
                   classification ? "classification" : "regression");
  }
  body.combine = info->combine;
  const bool chain = body.combine == Combine::kModelChain;
  std::vector<pugi::xml_node> segment_nodes;
  for (const pugi::xml_node& child : ParseContext::Elements(node)) {
    const std::string_view kind = ParseContext::Name(child);
    if (kind == "Segment") {
      segment_nodes.push_back(child);
    } else if (kind == "VariableWeight") {
      return ctx.Unsupported(child, "variable segment weights are not supported");
    } else if (!ParseContext::Ignorable(kind)) {
      return ctx.Bad(child, "unexpected element in a Segmentation");
    }
  }
  if (segment_nodes.empty()) return ctx.Bad(node, "the Segmentation has no Segment");
  for (size_t i = 0; i < segment_nodes.size(); ++i) {
    const pugi::xml_node& xml = segment_nodes[i];
    Segment s;
    s.line = ctx.Line(xml);
    s.id = std::string(ctx.Attr(xml, "id").value_or(std::to_string(i + 1)));
    KILN_ASSIGN_OR_RETURN(s.weight, ctx.Number(xml, "weight", 1));
    KILN_ASSIGN_OR_RETURN(s.predicate, ParseChildPredicate(ctx, xml, scope));
    pugi::xml_node model_xml;
    for (const pugi::xml_node& child : ParseContext::Elements(xml)) {
      const std::string_view kind = ParseContext::Name(child);
      if (IsKnownModel(kind)) {
        if (model_xml) return ctx.Bad(child, "a Segment holds one model");
        model_xml = child;
      } else if (!IsPredicate(kind) && !ParseContext::Ignorable(kind)) {
        return ctx.Bad(child, "unexpected element in a Segment");
      }
    }
    if (!model_xml) return ctx.Bad(xml, "segment '{}' has no model", s.id);
    const bool last = i + 1 == segment_nodes.size();
    // A chain's segments pass their Output fields on to the segments after them.
    ChainOutputs outputs{&scope, &s.outputs};
    KILN_ASSIGN_OR_RETURN(Model m, ParseModel(ctx, model_xml, scope, model.target, depth + 1,
                                              chain ? &outputs : nullptr));
    s.model = std::make_unique<Model>(std::move(m));
    if ((!chain || last) && s.model->function != model.function) {
      return ctx.Bad(
          model_xml, "segment '{}' is a {} model inside a {} MiningModel", s.id,
          s.model->function == MiningFunction::kClassification ? "classification" : "regression",
          classification ? "classification" : "regression");
    }
    if ((!chain || last) && classification && s.model->target != model.target) {
      return ctx.Unsupported(model_xml,
                             "segment '{}' predicts another field than its "
                             "MiningModel",
                             s.id);
    }
    body.segments.push_back(std::move(s));
  }
  model.body = std::move(body);
  return classification ? MapCategories(ctx, node, model) : core::Status::Ok();
}

}  // namespace

core::Result<Model> ParseModel(ParseContext& ctx, const pugi::xml_node& node, const Scope& parent,
                               int target, int depth, const ChainOutputs* chain) {
  const std::string_view element = ParseContext::Name(node);
  if (element != "RegressionModel" && element != "TreeModel" && element != "MiningModel") {
    return ctx.Unsupported(node, "{} models are not supported; supported: {}", element,
                           kSupportedModels);
  }
  if (depth > kMaxModelDepth) {
    return ctx.Unsupported(node, "models nested deeper than {} levels", kMaxModelDepth);
  }
  Model m;
  m.element = std::string(element);
  m.line = ctx.Line(node);
  m.name = std::string(ctx.Attr(node, "modelName").value_or(""));
  if (ctx.Attr(node, "isScorable") == "false") {
    return ctx.Bad(node, "the model is marked isScorable=\"false\"");
  }
  KILN_ASSIGN_OR_RETURN(
      std::string_view function,
      ctx.Choice(node, "functionName", {"regression", "classification"}, "",
                 {"clustering", "associationRules", "sequences", "timeSeries", "mixed"}));
  if (function.empty()) return ctx.Bad(node, "the attribute 'functionName' is missing");
  m.function =
      function == "regression" ? MiningFunction::kRegression : MiningFunction::kClassification;

  const pugi::xml_node schema = ParseContext::Child(node, "MiningSchema");
  if (!schema) return ctx.Bad(node, "the model has no MiningSchema");
  Scope scope;
  scope.globals = parent.globals;
  std::vector<int> active;
  KILN_RETURN_IF_ERROR(ParseMiningSchema(ctx, schema, parent, m, scope, active));
  if (m.target < 0) m.target = target;
  if (m.function == MiningFunction::kClassification && m.target >= 0) {
    const DataField& f = ctx.doc().fields[static_cast<size_t>(m.target)];
    if (f.optype == OpType::kContinuous) {
      return ctx.Bad(node,
                     "a classification model's target field '{}' must be categorical or "
                     "ordinal; it is continuous",
                     f.name);
    }
    m.categories = f.valid_texts;
  }
  if (depth == 0) {
    for (int slot : active) {
      if (const int f = ctx.SlotField(slot); f >= 0 && slot == f) ctx.doc().inputs.push_back(f);
    }
  }

  std::string_view body_element = element == "RegressionModel" ? "RegressionTable"
                                  : element == "TreeModel"     ? "Node"
                                                               : "Segmentation";
  pugi::xml_node local, targets, segmentation;
  for (const pugi::xml_node& child : ParseContext::Elements(node)) {
    const std::string_view kind = ParseContext::Name(child);
    if (kind == "LocalTransformations") {
      local = child;
    } else if (kind == "Targets") {
      targets = child;
    } else if (kind == "Segmentation") {
      segmentation = child;
    } else if (kind != "MiningSchema" && kind != "Output" && kind != body_element &&
               !ParseContext::Ignorable(kind)) {
      return ctx.Unsupported(child, "<{}> in a {} is not supported", kind, element);
    }
  }
  if (local) KILN_RETURN_IF_ERROR(ParseDerivedFields(ctx, local, scope, m.locals));
  if (targets) KILN_RETURN_IF_ERROR(ParseTargets(ctx, targets, m));
  if (element == "RegressionModel") {
    KILN_RETURN_IF_ERROR(ParseRegressionBody(ctx, node, scope, m));
  } else if (element == "TreeModel") {
    KILN_RETURN_IF_ERROR(ParseTreeBody(ctx, node, scope, m));
  } else {
    if (!segmentation) return ctx.Bad(node, "the MiningModel has no Segmentation");
    KILN_RETURN_IF_ERROR(ParseSegmentation(ctx, segmentation, scope, m, depth));
  }
  if (chain != nullptr) {
    if (const pugi::xml_node output = ParseContext::Child(node, "Output")) {
      KILN_RETURN_IF_ERROR(ParseOutputs(ctx, output, scope, m, *chain->visible, *chain->fields));
    }
  }
  if (m.function == MiningFunction::kClassification && m.categories.empty()) {
    return ctx.Bad(node, "the classification model names no category");
  }
  return m;
}

namespace {

core::Status CheckVersion(ParseContext& ctx, const pugi::xml_node& root) {
  KILN_ASSIGN_OR_RETURN(std::string_view version, ctx.Required(root, "version"));
  ctx.doc().version = std::string(version);
  if (!core::StartsWith(version, "4.") && !core::StartsWith(version, "3.")) {
    return ctx.Unsupported(root, "PMML version {} is not supported; supported: 3.x and 4.x",
                           core::Excerpt(version));
  }
  return core::Status::Ok();
}

size_t PredicateBytes(const Predicate& p) {
  size_t n = sizeof(Predicate) + p.set.size() * sizeof(Value);
  for (const Predicate& c : p.children) n += PredicateBytes(c);
  return n;
}

size_t ModelBytes(const Model& m) {
  size_t n = sizeof(Model) + m.locals.size() * sizeof(DerivedField) +
             m.treatments.size() * sizeof(FieldTreatment);
  if (const auto* r = std::get_if<RegressionBody>(&m.body)) {
    for (const RegressionTable& t : r->tables) {
      n += sizeof(t) + t.numeric.size() * sizeof(RegressionTable::NumericTerm) +
           t.categorical.size() * sizeof(RegressionTable::CategoricalTerm);
    }
  } else if (const auto* t = std::get_if<TreeBody>(&m.body)) {
    for (const TreeNode& node : t->nodes) {
      n += sizeof(TreeNode) - sizeof(Predicate) + PredicateBytes(node.predicate) +
           node.children.size() * sizeof(uint32_t) + node.probabilities.size() * sizeof(double);
    }
  } else if (const auto* b = std::get_if<MiningBody>(&m.body)) {
    for (const Segment& s : b->segments) {
      n += sizeof(Segment) + PredicateBytes(s.predicate) + ModelBytes(*s.model) +
           s.outputs.size() * sizeof(OutputField);
    }
  }
  return n;
}

}  // namespace

core::Result<std::unique_ptr<Document>> ParseDocument(std::string_view text,
                                                      const std::string& path) {
  auto doc = std::make_unique<Document>();
  doc->path = path;
  pugi::xml_document xml;
  const pugi::xml_parse_result parsed =
      xml.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_auto);
  ParseContext ctx(path, text, *doc);
  if (!parsed) {
    size_t line = 1;
    for (ptrdiff_t i = 0; i < parsed.offset && static_cast<size_t>(i) < text.size(); ++i) {
      line += text[static_cast<size_t>(i)] == '\n';
    }
    return core::ParseError("{}:{}: not a well-formed XML document: {}", path, line,
                            parsed.description());
  }
  const pugi::xml_node root = xml.document_element();
  if (!root || ParseContext::Name(root) != "PMML") {
    return core::ParseError("{}: not a PMML document: the root element is <{}>, expected <PMML>",
                            path, root ? root.name() : "");
  }
  KILN_RETURN_IF_ERROR(CheckVersion(ctx, root));
  Scope dictionary, globals;
  dictionary.globals = &globals;
  pugi::xml_node model;
  bool have_dictionary = false;
  for (const pugi::xml_node& child : ParseContext::Elements(root)) {
    const std::string_view kind = ParseContext::Name(child);
    if (kind == "DataDictionary") {
      if (have_dictionary) return ctx.Bad(child, "a second DataDictionary");
      KILN_RETURN_IF_ERROR(ParseDataDictionary(ctx, child, dictionary));
      have_dictionary = true;
    } else if (kind == "TransformationDictionary") {
      if (!have_dictionary) return ctx.Bad(child, "the TransformationDictionary comes first");
      if (!globals.slots.empty()) return ctx.Bad(child, "a second TransformationDictionary");
      // Global derived fields read DataFields and each other; models see them everywhere.
      Scope reading;
      reading.slots = dictionary.slots;
      KILN_RETURN_IF_ERROR(ParseDerivedFields(ctx, child, reading, doc->globals));
      for (int slot : reading.derived) {
        globals.slots.emplace(doc->slot_names[static_cast<size_t>(slot)], slot);
      }
    } else if (IsKnownModel(kind)) {
      if (model) {
        return ctx.Unsupported(child,
                               "documents with more than one model are not supported; "
                               "wrap them in a MiningModel");
      }
      model = child;
    } else if (!ParseContext::Ignorable(kind)) {
      return ctx.Bad(child, "unexpected element in PMML");
    }
  }
  if (!have_dictionary) return ctx.Bad(root, "the document has no DataDictionary");
  if (!model) {
    return ctx.Bad(root, "the document has no model (supported: {})", kSupportedModels);
  }
  KILN_ASSIGN_OR_RETURN(doc->model, ParseModel(ctx, model, dictionary, -1, 0));
  // DataFields read only through the TransformationDictionary are inputs too.
  for (size_t f = 0; f < doc->fields.size(); ++f) {
    const int field = static_cast<int>(f);
    if (ctx.used_fields()[f] &&
        std::find(doc->inputs.begin(), doc->inputs.end(), field) == doc->inputs.end()) {
      doc->inputs.push_back(field);
    }
  }
  doc->memory_bytes = sizeof(Document) + doc->fields.size() * sizeof(DataField) +
                      doc->globals.size() * sizeof(DerivedField) +
                      doc->slot_names.size() * sizeof(std::string) + ModelBytes(doc->model);
  return doc;
}

core::Result<std::unique_ptr<Document>> ParseDocumentFile(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(const std::string text, core::ReadFileToString(path));
  return ParseDocument(text, path);
}

}  // namespace kiln::serve::pmml
