#include "kiln/ml/pmml_writer.h"

#include <sstream>

#include <fmt/format.h>

namespace kiln::ml::pmml {

std::string Num(double v) { return fmt::format("{}", v); }

void SetAttr(pugi::xml_node node, const char* name, const std::string& value) {
  node.append_attribute(name).set_value(value.c_str());
}

pugi::xml_node Element(pugi::xml_node parent, const char* name) {
  return parent.append_child(name);
}

pugi::xml_node StartDocument(pugi::xml_document& doc, const ModelInfo& info) {
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  SetAttr(decl, "version", "1.0");
  SetAttr(decl, "encoding", "UTF-8");
  pugi::xml_node pmml = Element(doc, "PMML");
  SetAttr(pmml, "xmlns", "http://www.dmg.org/PMML-4_4");
  SetAttr(pmml, "version", "4.4");
  pugi::xml_node header = Element(pmml, "Header");
  SetAttr(header, "description", fmt::format("{} model exported by kiln export", info.algorithm));
  pugi::xml_node app = Element(header, "Application");
  SetAttr(app, "name", "Kiln");
  SetAttr(
      app, "version",
      info.training.kiln_version.empty() ? std::string(KILN_VERSION) : info.training.kiln_version);
  if (!info.training.created_at.empty()) {
    Element(header, "Timestamp").text().set(info.training.created_at.c_str());
  }
  return pmml;
}

void AddTargetField(pugi::xml_node dictionary, const LabelInfo& label) {
  pugi::xml_node target = Element(dictionary, "DataField");
  SetAttr(target, "name", label.name);
  if (label.is_classification()) {
    SetAttr(target, "optype", "categorical");
    SetAttr(target, "dataType", "string");
    for (const std::string& c : label.classes) SetAttr(Element(target, "Value"), "value", c);
  } else {
    SetAttr(target, "optype", "continuous");
    SetAttr(target, "dataType", "double");
  }
}

std::string DocumentText(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

}  // namespace kiln::ml::pmml
