#include "pmml_parse_context.h"

#include <algorithm>
#include <cmath>

#include "kiln/core/strings.h"

namespace kiln::serve::pmml {

std::optional<int> Scope::Find(const std::string& name) const {
  if (const auto it = slots.find(name); it != slots.end()) return it->second;
  if (globals != nullptr) return globals->Find(name);
  return std::nullopt;
}

ParseContext::ParseContext(std::string path, std::string_view text, Document& doc)
    : path_(std::move(path)), doc_(doc) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts_.push_back(i + 1);
  }
}

int ParseContext::Line(const pugi::xml_node& node) const {
  const ptrdiff_t offset = node.offset_debug();
  if (offset < 0) return 0;
  const auto it =
      std::upper_bound(line_starts_.begin(), line_starts_.end(), static_cast<size_t>(offset));
  return static_cast<int>(it - line_starts_.begin());
}

std::string ParseContext::Where(const pugi::xml_node& node) const {
  return fmt::format("{}:{}: {}", path_, Line(node), Name(node));
}

std::string_view ParseContext::Name(const pugi::xml_node& node) {
  std::string_view name = node.name();
  const size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

std::vector<pugi::xml_node> ParseContext::Elements(const pugi::xml_node& node) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
    if (child.type() == pugi::node_element) out.push_back(child);
  }
  return out;
}

pugi::xml_node ParseContext::Child(const pugi::xml_node& node, std::string_view name) {
  for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
    if (child.type() == pugi::node_element && Name(child) == name) return child;
  }
  return {};
}

bool ParseContext::Ignorable(std::string_view name) {
  // Documentation, statistics and verification records: none changes a score.
  static constexpr std::string_view kIgnorable[] = {
      "Extension",         "Header",     "MiningBuildTask", "ModelStats",  "ModelExplanation",
      "ModelVerification", "Annotation", "Timestamp",       "Application", "Partition",
      "Comments",
  };
  return std::find(std::begin(kIgnorable), std::end(kIgnorable), name) != std::end(kIgnorable);
}

std::optional<std::string_view> ParseContext::Attr(const pugi::xml_node& node,
                                                   const char* name) const {
  const pugi::xml_attribute a = node.attribute(name);
  if (!a) return std::nullopt;
  return std::string_view(a.value());
}

core::Result<std::string_view> ParseContext::Required(const pugi::xml_node& node,
                                                      const char* name) const {
  auto v = Attr(node, name);
  if (!v) return Bad(node, "the attribute '{}' is missing", name);
  return *v;
}

core::Result<double> ParseContext::Number(const pugi::xml_node& node, const char* name) const {
  KILN_ASSIGN_OR_RETURN(std::string_view text, Required(node, name));
  auto v = ParseConstant(text, DataType::kDouble, false);
  if (!v) return Bad(node, "{}=\"{}\" is not a number", name, core::Excerpt(text));
  return v->number;
}

core::Result<double> ParseContext::Number(const pugi::xml_node& node, const char* name,
                                          double fallback) const {
  if (!Attr(node, name)) return fallback;
  return Number(node, name);
}

core::Result<std::string_view> ParseContext::Choice(
    const pugi::xml_node& node, const char* name, std::initializer_list<std::string_view> choices,
    std::string_view fallback, std::initializer_list<std::string_view> unsupported) const {
  const auto v = Attr(node, name);
  if (!v) return fallback;
  for (std::string_view c : choices) {
    if (c == *v) return c;
  }
  std::vector<std::string> names(choices.begin(), choices.end());
  for (std::string_view c : unsupported) {
    if (c == *v) {
      return Unsupported(node, "{}=\"{}\" is not supported; supported: {}", name, *v,
                         core::Join(names, ", "));
    }
  }
  return Bad(node, "{}=\"{}\" is not a valid value; expected one of: {}", name, core::Excerpt(*v),
             core::Join(names, ", "));
}

core::Result<DataType> ParseContext::TypeAttr(const pugi::xml_node& node, const char* name) const {
  KILN_ASSIGN_OR_RETURN(std::string_view t, Required(node, name));
  if (t == "string") return DataType::kString;
  if (t == "integer") return DataType::kInteger;
  if (t == "float") return DataType::kFloat;
  if (t == "double") return DataType::kDouble;
  if (t == "boolean") return DataType::kBoolean;
  static constexpr std::string_view kOther[] = {"date",
                                                "time",
                                                "dateTime",
                                                "dateDaysSince[0]",
                                                "dateDaysSince[1960]",
                                                "dateDaysSince[1970]",
                                                "dateDaysSince[1980]",
                                                "timeSeconds",
                                                "dateTimeSecondsSince[0]",
                                                "dateTimeSecondsSince[1960]",
                                                "dateTimeSecondsSince[1970]",
                                                "dateTimeSecondsSince[1980]"};
  if (std::find(std::begin(kOther), std::end(kOther), t) != std::end(kOther)) {
    return Unsupported(node,
                       "{}=\"{}\" is not supported; supported: string, integer, float, "
                       "double, boolean",
                       name, t);
  }
  return Bad(node, "{}=\"{}\" is not a PMML data type", name, core::Excerpt(t));
}

core::Result<Value> ParseContext::ValueAttr(const pugi::xml_node& node, const char* name,
                                            DataType type, bool for_equality) const {
  KILN_ASSIGN_OR_RETURN(std::string_view text, Required(node, name));
  auto v = ParseConstant(text, type, for_equality);
  if (!v) {
    return Bad(node, "{}=\"{}\" is not a value of type {}", name, core::Excerpt(text),
               DataTypeName(type));
  }
  return *v;
}

int ParseContext::NewSlot(const std::string& name) {
  doc_.slot_names.push_back(name);
  slot_types_.push_back(DataType::kDouble);
  slot_fields_.push_back(-1);
  return static_cast<int>(doc_.slot_names.size() - 1);
}

core::Result<int> ParseContext::Resolve(const Scope& scope, const pugi::xml_node& node,
                                        std::string_view name) const {
  const std::string key(name);
  if (auto slot = scope.Find(key)) return *slot;
  std::vector<std::string> known;
  for (const Scope* s = &scope; s != nullptr; s = s->globals) {
    for (const auto& [n, slot] : s->slots) known.push_back(n);
  }
  std::sort(known.begin(), known.end());
  const std::string best = core::ClosestMatch(key, known);
  bool in_dictionary = false;
  for (const DataField& f : doc_.fields) in_dictionary = in_dictionary || f.name == key;
  if (in_dictionary) {
    return Bad(node,
               "field '{}' is used here but is not in the model's MiningSchema (fields visible "
               "here: {})",
               key, core::Excerpt(core::Join(known, ", "), 300));
  }
  return Bad(node, "field '{}' is not defined{}; fields visible here: {}", key,
             best.empty() ? "" : " (did you mean '" + best + "'?)",
             core::Excerpt(core::Join(known, ", "), 300));
}

core::Status ParseContext::CheckCategory(const pugi::xml_node& node, int slot,
                                         const Value& value) const {
  const int field = SlotField(slot);
  if (field < 0) return core::Status::Ok();
  const DataField& f = doc_.fields[static_cast<size_t>(field)];
  if (f.valid.empty() || !f.intervals.empty() || f.IsValid(value)) return core::Status::Ok();
  const std::string shown =
      value.kind == Value::Kind::kText ? value.text : core::FormatDouble(value.number);
  return Bad(node, "\"{}\" is not a value of field '{}' ({})", core::Excerpt(shown), f.name,
             core::Excerpt(core::Join(f.valid_texts, ", "), 300));
}

core::Result<int> ParseContext::Category(const pugi::xml_node& node, const char* attribute,
                                         int target, std::vector<std::string>& categories) const {
  KILN_ASSIGN_OR_RETURN(std::string_view text, Required(node, attribute));
  const DataType type =
      target >= 0 ? doc_.fields[static_cast<size_t>(target)].type : DataType::kString;
  auto value = ParseConstant(text, type, true);
  if (!value) {
    return Bad(node, "{}=\"{}\" is not a value of the target field's type {}", attribute,
               core::Excerpt(text), DataTypeName(type));
  }
  for (size_t k = 0; k < categories.size(); ++k) {
    auto known = ParseConstant(categories[k], type, true);
    if (known && SameValue(*known, *value)) return static_cast<int>(k);
  }
  if (target >= 0 && !doc_.fields[static_cast<size_t>(target)].valid.empty()) {
    const DataField& f = doc_.fields[static_cast<size_t>(target)];
    return Bad(node, "{}=\"{}\" is not one of the values of target field '{}' ({})", attribute,
               core::Excerpt(text), f.name, core::Excerpt(core::Join(categories, ", "), 300));
  }
  categories.emplace_back(text);
  return static_cast<int>(categories.size() - 1);
}

}  // namespace kiln::serve::pmml
