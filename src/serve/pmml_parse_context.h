// What the PMML parser's pieces share (pmml_parse_*.cc): where an element is in the file, the
// error messages that name it, attribute readers, and the scopes that resolve field names to
// slots. Private to src/serve.
//
// Errors are "<file>:<line>: <Element>: <problem>": kParseError for a malformed or inconsistent
// document (a missing attribute, an unknown field, a bad number), kUnimplemented for PMML that is
// valid but not supported here (naming the element or attribute value).
#pragma once

#include <pugixml.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "kiln/core/result.h"
#include "pmml_model.h"

namespace kiln::serve::pmml {

// Field names visible to one model: its MiningSchema fields and local derived fields; names
// not found here are looked up in `globals` (the TransformationDictionary, visible everywhere).
// A model's MiningSchema names resolve in its parent's scope.
struct Scope {
  std::unordered_map<std::string, int> slots;
  const Scope* globals = nullptr;
  // The derived fields among `slots` (for ordering LocalTransformations).
  std::unordered_set<int> derived;
  std::optional<int> Find(const std::string& name) const;
};

// Deepest nesting the parser accepts (it recurses): tree nodes, nested predicates and
// expressions, nested MiningModels. Beyond is a clear error, never a stack overflow.
inline constexpr int kMaxNodeDepth = 1000;
inline constexpr int kMaxExpressionDepth = 200;
inline constexpr int kMaxModelDepth = 50;

class ParseContext {
 public:
  ParseContext(std::string path, std::string_view text, Document& doc);

  // --- locations and errors ---
  int Line(const pugi::xml_node& node) const;
  // "<file>:<line>: <Element>: <problem>"
  template <typename... Args>
  core::Status Bad(const pugi::xml_node& node, fmt::format_string<Args...> f,
                   Args&&... args) const {
    return core::ParseError("{}: {}", Where(node), fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  core::Status Unsupported(const pugi::xml_node& node, fmt::format_string<Args...> f,
                           Args&&... args) const {
    return core::Unimplemented("{}: {}", Where(node), fmt::format(f, std::forward<Args>(args)...));
  }
  std::string Where(const pugi::xml_node& node) const;

  // --- elements and attributes ---
  // The element's name without a namespace prefix.
  static std::string_view Name(const pugi::xml_node& node);
  // Child elements (no text, comments or processing instructions).
  static std::vector<pugi::xml_node> Elements(const pugi::xml_node& node);
  // The first child element with this name, or an empty node.
  static pugi::xml_node Child(const pugi::xml_node& node, std::string_view name);
  // Elements that carry no meaning for scoring and are skipped wherever they appear.
  static bool Ignorable(std::string_view name);

  std::optional<std::string_view> Attr(const pugi::xml_node& node, const char* name) const;
  core::Result<std::string_view> Required(const pugi::xml_node& node, const char* name) const;
  core::Result<double> Number(const pugi::xml_node& node, const char* name) const;
  core::Result<double> Number(const pugi::xml_node& node, const char* name, double fallback) const;
  // One of `choices` (or `fallback` when absent); an unknown value is kParseError listing them,
  // a value in `unsupported` is kUnimplemented.
  core::Result<std::string_view> Choice(
      const pugi::xml_node& node, const char* name, std::initializer_list<std::string_view> choices,
      std::string_view fallback, std::initializer_list<std::string_view> unsupported = {}) const;
  core::Result<DataType> TypeAttr(const pugi::xml_node& node, const char* name) const;
  // A constant for a field of `type` from attribute `name`.
  core::Result<Value> ValueAttr(const pugi::xml_node& node, const char* name, DataType type,
                                bool for_equality) const;

  // --- fields and slots ---
  Document& doc() { return doc_; }
  const Document& doc() const { return doc_; }
  // A new slot named `name` (for messages).
  int NewSlot(const std::string& name);
  // The slot of field `name` visible in `scope`, or an error naming the element that refers to
  // it and the fields it could have meant.
  core::Result<int> Resolve(const Scope& scope, const pugi::xml_node& node,
                            std::string_view name) const;
  // The type of the field in `slot` (DataField, derived field, treatment or output).
  DataType SlotType(int slot) const { return slot_types_.at(static_cast<size_t>(slot)); }
  void SetSlotType(int slot, DataType type) { slot_types_.at(static_cast<size_t>(slot)) = type; }
  // The DataField index behind a slot (through treatments), or -1.
  int SlotField(int slot) const { return slot_fields_.at(static_cast<size_t>(slot)); }
  void SetSlotField(int slot, int field) { slot_fields_.at(static_cast<size_t>(slot)) = field; }
  // For a value a predicate or predictor compares field `slot` with: when the field is a
  // DataField listing its categories, the value must be one of them (it could never match).
  core::Status CheckCategory(const pugi::xml_node& node, int slot, const Value& value) const;
  // DataField indices the document's fields read (to make them inputs of the servable).
  std::vector<bool>& used_fields() { return used_fields_; }

  // The category index of `text` for a model of target field `target` (-1 = none): when the
  // DataField lists values, only those; otherwise `categories` grows in order of first mention.
  core::Result<int> Category(const pugi::xml_node& node, const char* attribute, int target,
                             std::vector<std::string>& categories) const;

 private:
  std::string path_;
  std::vector<size_t> line_starts_;
  Document& doc_;
  std::vector<DataType> slot_types_;
  std::vector<int> slot_fields_;
  std::vector<bool> used_fields_;
};

// pmml_parse_fields.cc
core::Status ParseDataDictionary(ParseContext& ctx, const pugi::xml_node& node, Scope& scope);
// TransformationDictionary or LocalTransformations: registers every DerivedField in `scope`,
// then parses the expressions (which may refer to each other in any order, not in a cycle) and
// appends the fields to `out` so that each comes after the fields it reads.
core::Status ParseDerivedFields(ParseContext& ctx, const pugi::xml_node& node, Scope& scope,
                                std::vector<DerivedField>& out);
core::Result<Expression> ParseExpression(ParseContext& ctx, const pugi::xml_node& node,
                                         const Scope& scope, int depth,
                                         std::vector<int>* reads = nullptr);
// A model's MiningSchema: fills model.treatments and `scope` (the model's view of each field,
// resolved in `parent`), sets model.target; `active` gets the slots of active fields.
core::Status ParseMiningSchema(ParseContext& ctx, const pugi::xml_node& node, const Scope& parent,
                               Model& model, Scope& scope, std::vector<int>& active);
core::Status ParseTargets(ParseContext& ctx, const pugi::xml_node& node, Model& model);

// pmml_parse_predicates.cc
core::Result<Predicate> ParsePredicate(ParseContext& ctx, const pugi::xml_node& node,
                                       const Scope& scope, int depth);
// The predicate element among a Node's or Segment's children, or an error if there is none.
core::Result<Predicate> ParseChildPredicate(ParseContext& ctx, const pugi::xml_node& parent,
                                            const Scope& scope);
bool IsPredicate(std::string_view name);

// pmml_parse_models.cc
// Where a model-chain segment's Output fields go: `fields` gets them, `visible` (the
// MiningModel's scope) makes them readable by later segments.
struct ChainOutputs {
  Scope* visible;
  std::vector<OutputField>* fields;
};
// A model element; `parent` resolves its MiningSchema names, `target` is the parent's target
// field (-1 at the top). `chain`: parse the model's Output for a model chain.
core::Result<Model> ParseModel(ParseContext& ctx, const pugi::xml_node& node, const Scope& parent,
                               int target, int depth, const ChainOutputs* chain = nullptr);

// pmml_parse_tree.cc
core::Status ParseTreeBody(ParseContext& ctx, const pugi::xml_node& node, const Scope& scope,
                           Model& model);
// pmml_parse_regression.cc
core::Status ParseRegressionBody(ParseContext& ctx, const pugi::xml_node& node, const Scope& scope,
                                 Model& model);

}  // namespace kiln::serve::pmml
