// Shared helpers of the PMML tests: documents from text, rows of values, fixture CSVs.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../../../src/serve/pmml_evaluator.h"
#include "../../../src/serve/pmml_parser.h"
#include "kiln/core/strings.h"
#include "kiln/serve/feature_batch.h"

namespace kiln::serve::pmml::testing {

// A PMML 4.4 document around `body` (DataDictionary, transformations and the model).
inline std::string Pmml(const std::string& body) {
  return "<?xml version=\"1.0\"?>\n<PMML xmlns=\"http://www.dmg.org/PMML-4_4\" version=\"4.4\">\n"
         "<Header/>\n" +
         body + "\n</PMML>\n";
}

inline std::unique_ptr<Document> Parse(const std::string& text) {
  auto doc = ParseDocument(text, "test.pmml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  return doc.ok() ? std::move(doc).value() : nullptr;
}

// Values by field name for one row; a field not given is missing.
using Row = std::map<std::string, Value>;

inline Value N(double v) { return Value::Number(v); }
inline Value T(const std::string& v) { return Value::Text(v); }

inline core::Result<Prediction> Score(const Document& doc, const Row& row) {
  std::vector<Value> slots(doc.slot_names.size());
  for (const auto& [name, value] : row) {
    bool found = false;
    for (size_t f = 0; f < doc.fields.size(); ++f) {
      if (doc.fields[f].name != name) continue;
      found = true;
      KILN_ASSIGN_OR_RETURN(slots[f], InputValue(doc.fields[f], value));
    }
    EXPECT_TRUE(found) << name;
  }
  return EvaluateRow(doc, slots);
}

inline double Value0(const Document& doc, const Row& row) {
  auto p = Score(doc, row);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? p->value : std::nan("");
}

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

inline Csv ReadCsv(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  Csv csv;
  std::string line;
  std::getline(in, line);
  csv.header = core::Split(line, ',');
  while (std::getline(in, line)) {
    auto cells = core::Split(line, ',');
    cells.resize(csv.header.size());
    csv.rows.push_back(std::move(cells));
  }
  return csv;
}

// A batch from CSV cells: numeric columns (by `numeric`) as numbers, empty = NaN; the others as
// texts.
inline FeatureBatch BatchFromCsv(const Csv& csv, const std::vector<bool>& numeric) {
  FeatureBatch batch;
  batch.rows = csv.rows.size();
  for (size_t f = 0; f < csv.header.size(); ++f) {
    FeatureColumn c;
    c.name = csv.header[f];
    c.is_text = !numeric[f];
    for (const auto& row : csv.rows) {
      if (c.is_text) {
        c.texts.push_back(row[f]);
      } else {
        c.numbers.push_back(row[f].empty() ? std::nan("") : std::stod(row[f]));
      }
    }
    batch.columns.push_back(std::move(c));
  }
  return batch;
}

inline std::string SourcePath(const std::string& relative) {
  return std::string(KILN_SOURCE_DIR) + "/" + relative;
}

}  // namespace kiln::serve::pmml::testing
