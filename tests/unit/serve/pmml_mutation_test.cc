// Robustness: the fixture documents with random damage — an element removed or duplicated, an
// attribute given a hostile value (another node's id, a huge or non-finite number, an empty or
// unknown text) — either fail to load with an error or load and score the fixture rows (an
// answer or a request error). Never a crash, a hang or an error without a message.
#include <gtest/gtest.h>

#include <pugixml.hpp>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kiln/core/file.h"
#include "pmml_test_util.h"

namespace kiln::serve::pmml {
namespace {

std::vector<pugi::xml_node> AllElements(const pugi::xml_node& root) {
  std::vector<pugi::xml_node> out;
  std::vector<pugi::xml_node> stack = {root};
  while (!stack.empty()) {
    pugi::xml_node n = stack.back();
    stack.pop_back();
    out.push_back(n);
    for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
      if (c.type() == pugi::node_element) stack.push_back(c);
    }
  }
  return out;
}

std::string Damage(const std::string& text, std::mt19937_64& rng) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(text.c_str()));
  std::vector<pugi::xml_node> elements = AllElements(doc.document_element());
  static const char* kValues[] = {"",       "x",    "-1",       "0",    "1",   "1e400",  "NaN",
                                  "INF",    "-INF", "2",        "3",    "0.5", "Gentoo", "f0",
                                  "margin", "true", "lessThan", "isIn", "sum"};
  const int edits = 1 + static_cast<int>(rng() % 3);
  for (int e = 0; e < edits; ++e) {
    elements = AllElements(doc.document_element());
    pugi::xml_node n = elements[rng() % elements.size()];
    switch (rng() % 4) {
      case 0:
        if (n != doc.document_element()) n.parent().remove_child(n);
        break;
      case 1:
        if (n != doc.document_element()) n.parent().insert_copy_after(n, n);
        break;
      default: {
        std::vector<pugi::xml_attribute> attributes;
        for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
          attributes.push_back(a);
        }
        if (attributes.empty()) break;
        attributes[rng() % attributes.size()].set_value(
            kValues[rng() % (sizeof(kValues) / sizeof(kValues[0]))]);
        break;
      }
    }
  }
  std::ostringstream out;
  doc.save(out);
  return out.str();
}

void Mutate(const std::string& fixture, const std::string& input, const std::vector<bool>& numeric,
            int rounds) {
  const std::string path = testing::SourcePath(fixture);
  auto text = core::ReadFileToString(path);
  ASSERT_TRUE(text.ok());
  const testing::Csv csv = testing::ReadCsv(testing::SourcePath(input));
  std::mt19937_64 rng(42);
  int loaded = 0;
  for (int round = 0; round < rounds; ++round) {
    const std::string damaged = Damage(*text, rng);
    auto doc = ParseDocument(damaged, "damaged.pmml");
    if (!doc.ok()) {
      EXPECT_FALSE(doc.status().message().empty());
      continue;
    }
    ++loaded;
    const Document& d = **doc;
    for (size_t r = 0; r < csv.rows.size(); ++r) {
      std::vector<Value> slots(d.slot_names.size());
      for (size_t f = 0; f < d.fields.size(); ++f) {
        for (size_t c = 0; c < csv.header.size(); ++c) {
          if (csv.header[c] != d.fields[f].name || csv.rows[r][c].empty()) continue;
          Value v =
              numeric[c] ? Value::Number(std::stod(csv.rows[r][c])) : Value::Text(csv.rows[r][c]);
          auto in = InputValue(d.fields[f], std::move(v));
          if (in.ok()) slots[f] = std::move(in).value();
        }
      }
      auto p = EvaluateRow(d, slots);
      if (!p.ok()) {
        EXPECT_FALSE(p.status().message().empty());
      }
    }
  }
  std::cout << fixture << ": " << loaded << " of " << rounds << " damaged documents loaded\n";
}

TEST(PmmlMutationTest, DamagedTreeClassifierNeverCrashes) {
  Mutate("tests/data/pmml/tree_classifier.pmml", "tests/data/pmml/tree_classifier.input.csv",
         {true, true, true, true, true, false, false}, 400);
}

TEST(PmmlMutationTest, DamagedBoostedTreesNeverCrash) {
  Mutate("tests/data/pmml/xgb_multiclass.pmml", "tests/data/xgboost/multiclass.input.csv",
         {true, true, true, true}, 150);
}

}  // namespace
}  // namespace kiln::serve::pmml
