// Building blocks of Kiln's PMML exporters (pmml_export.h for linear models, the tree
// algorithms' ExportPmml): a PMML 4.4 document with Kiln's Header, the label's DataField,
// attribute helpers and the document as text. Pure functions over pugixml nodes.
#pragma once

#include <pugixml.hpp>

#include <string>

#include "kiln/ml/model.h"

namespace kiln::ml::pmml {

// The shortest text that reads back as the same double.
std::string Num(double v);

void SetAttr(pugi::xml_node node, const char* name, const std::string& value);
pugi::xml_node Element(pugi::xml_node parent, const char* name);

// The XML declaration and the <PMML> element (version 4.4) with a Header naming the model's
// algorithm, Kiln's version and the training time; returns the <PMML> element.
pugi::xml_node StartDocument(pugi::xml_document& doc, const ModelInfo& info);

// The label's DataField in `dictionary`: categorical strings listing the classes, or a
// continuous double for regression.
void AddTargetField(pugi::xml_node dictionary, const LabelInfo& label);

// The document as indented UTF-8 text.
std::string DocumentText(const pugi::xml_document& doc);

}  // namespace kiln::ml::pmml
