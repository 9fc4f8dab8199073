// Decoding the two REST request formats against a model's inputs, and the errors a client gets.
#include "kiln/serve/inference_codec.h"

#include <gtest/gtest.h>

namespace kiln::serve {
namespace {

using nlohmann::json;

ServableMetadata Meta() {
  ServableMetadata m;
  m.platform = "kiln";
  m.inputs = {{"age", kFp32, {-1}}, {"city", kBytes, {-1}}};
  m.outputs = {{"predictions", kBytes, {-1}}, {"probabilities", kFp64, {-1, 2}}};
  return m;
}

std::string ErrorOf(const core::Status& s) { return s.ToString(); }

TEST(DecodeV2, PerFeatureTensorsBecomeColumns) {
  auto r = DecodeV2(json::parse(R"({"id": "a", "inputs": [
      {"name": "age", "shape": [2, 1], "datatype": "INT64", "data": [[30], [41]]},
      {"name": "city", "shape": [2], "datatype": "BYTES", "data": ["Oslo", "Rome"]}],
      "outputs": [{"name": "probabilities"}]})"),
                    Meta());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "a");
  EXPECT_EQ(r->batch.rows, 2u);
  EXPECT_EQ(r->batch.Find("age")->numbers, (std::vector<double>{30, 41}));
  EXPECT_EQ(r->batch.Find("city")->texts, (std::vector<std::string>{"Oslo", "Rome"}));
  EXPECT_EQ(r->outputs, std::vector<std::string>{"probabilities"});
}

TEST(DecodeV2, Errors) {
  const ServableMetadata m = Meta();
  auto err = [&](const char* body) {
    auto r = DecodeV2(json::parse(body), m);
    EXPECT_FALSE(r.ok()) << body;
    return r.ok() ? std::string() : ErrorOf(r.status());
  };
  EXPECT_NE(err(R"({"inputs": {}})").find("non-empty array"), std::string::npos);
  EXPECT_NE(err(R"({"inputs": [{"name": "age", "shape": [3], "datatype": "FP32",
                               "data": [1, 2]}]})")
                .find("shape [3] needs 3 values, data has 2"),
            std::string::npos);
  EXPECT_NE(err(R"({"inputs": [{"name": "age", "shape": [1], "datatype": "FP32",
                               "data": [1]},
                              {"name": "city", "shape": [2], "datatype": "BYTES",
                               "data": ["a", "b"]}]})")
                .find("inputs[1]: 2 rows, but an earlier input has 1"),
            std::string::npos);
  EXPECT_NE(err(R"({"inputs": [{"name": "agee", "shape": [1], "datatype": "FP32",
                               "data": [1]}]})")
                .find("did you mean 'age'"),
            std::string::npos);
  EXPECT_NE(err(R"({"inputs": [{"name": "age", "shape": [1], "datatype": "FP32",
                               "data": [1]},
                              {"name": "age", "shape": [1], "datatype": "FP32",
                               "data": [2]}]})")
                .find("given twice"),
            std::string::npos);
  EXPECT_NE(err(R"({"inputs": [{"name": "city", "shape": [1], "datatype": "FP32",
                               "data": [1]}]})")
                .find("takes datatype BYTES"),
            std::string::npos);
  EXPECT_NE(err(R"({"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32",
                               "data": [1, 2, 3]}]})")
                .find("must have 2 columns"),
            std::string::npos);
  EXPECT_NE(err(R"({"id": 5, "inputs": []})").find("id: expected a string"), std::string::npos);
}

TEST(DecodeV2, HostileShapesAndNestingAreErrorsNotCrashes) {
  std::string deep = R"({"inputs": [{"name": "age", "shape": [1], "datatype": "FP32", "data": )";
  for (int i = 0; i < 100000; ++i) deep += '[';
  deep += '1';
  for (int i = 0; i < 100000; ++i) deep += ']';
  deep += "}]}";
  auto body = ParseJsonBody(deep);
  if (body.ok()) {
    auto r = DecodeV2(*body, Meta());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(ErrorOf(r.status()).find("nested deeper than its shape"), std::string::npos);
  }
  auto big = DecodeV2(json::parse(R"({"inputs": [{"name": "age", "datatype": "FP32",
      "shape": [4294967296, 4294967296], "data": [1]}]})"),
                      Meta());
  ASSERT_FALSE(big.ok());
  EXPECT_NE(ErrorOf(big.status()).find("too many elements"), std::string::npos);
}

TEST(DecodeV1, NamedFeaturesNullsAndErrors) {
  auto r = DecodeV1(R"({"instances": [{"age": 30, "city": "Oslo"},
                                                  {"age": null, "city": 7}]})",
                    Meta());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 2u);
  EXPECT_TRUE(std::isnan(r->Find("age")->numbers[1]));
  EXPECT_EQ(r->Find("city")->texts[1], "7");

  auto missing = DecodeV1(R"({"instances": [{"age": 30}]})", Meta());
  EXPECT_NE(ErrorOf(missing.status()).find("instances[0]: missing feature city"),
            std::string::npos);
  auto text = DecodeV1(R"({"instances": [{"age": "30", "city": "x"}]})", Meta());
  EXPECT_NE(ErrorOf(text.status()).find("instances[0].age"), std::string::npos);
  auto extra = DecodeV1(R"({"instances": [{"age": 1, "city": "x", "zip": 1}]})", Meta());
  EXPECT_NE(ErrorOf(extra.status()).find("unknown feature 'zip'"), std::string::npos);
  // Other top-level keys are skipped, however nested; features in any order.
  auto skipped = DecodeV1(R"({"meta": {"a": [1, {"b": null}]}, "instances": [
                                {"city": "x", "age": 2}], "x": 1})",
                          Meta());
  ASSERT_TRUE(skipped.ok()) << skipped.status().ToString();
  EXPECT_EQ(skipped->Find("age")->numbers[0], 2);
  for (const char* bad :
       {R"({"instances": [{"age": 1, "age": 2, "city": "x"}]})",
        R"({"instances": [{"age": [1], "city": "x"}]})",
        R"({"instances": [{"age": 1, "city": {"a": 1}}]})", R"({"instances": {}})",
        R"({"instances": [3]})", R"([1])", "7", R"({"instances": [{"age": 1, "city": "x"})", "",
        R"({"instances": []})", R"({"other": 1})"}) {
    auto r = DecodeV1(bad, Meta());
    EXPECT_FALSE(r.ok()) << bad;
  }
}

TEST(EncodeV1, WritesValidJsonEvenForOddClassNames) {
  InferenceOutput out;
  out.class_names = {"no \"quote\"",
                     "y\xff"
                     "es\n"};
  out.outputs.push_back({"predictions", kBytes, {1}, {}, {"no \"quote\""}});
  out.outputs.push_back({"probabilities", kFp64, {1, 2}, {0.25, 0.75}, {}});
  const json j = json::parse(EncodeV1("m\\x", 4, out));
  EXPECT_EQ(j["model"], "m\\x");
  EXPECT_EQ(j["version"], 4);
  EXPECT_EQ(j["classes"][1],
            "y\xef\xbf\xbd"
            "es\n");
  EXPECT_EQ(j["probabilities"][0]["no \"quote\""], 0.25);
  InferenceOutput reg;
  reg.outputs.push_back({"predictions", kFp64, {2}, {1.5, std::nan("")}, {}});
  const json r = json::parse(EncodeV1("r", 1, reg));
  EXPECT_EQ(r["predictions"][0], 1.5);
  EXPECT_TRUE(r["predictions"][1].is_null());
  EXPECT_FALSE(r.contains("classes"));
}

TEST(ParseJsonBody, ReportsWhereTheSyntaxBreaks) {
  auto r = ParseJsonBody(R"({"a": [1, 2,)");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().ToString().find("malformed JSON (byte"), std::string::npos);
  EXPECT_FALSE(ParseJsonBody("3").ok());
  EXPECT_TRUE(ParseJsonBody("{}").ok());
  // A number beyond a double is the client's error, not an exception (it killed the server;
  // found by tests/fuzz/request_parser_fuzz.cc).
  auto overflow = ParseJsonBody(R"({"inputs": [{"data": [1e400]}]})");
  ASSERT_FALSE(overflow.ok());
  EXPECT_NE(overflow.status().ToString().find("number overflow parsing '1e400'"),
            std::string::npos);
}

TEST(EncodeV2, RestrictsOutputsAndRejectsUnknownOnes) {
  InferenceOutput out;
  out.outputs.push_back({"predictions", kBytes, {1}, {}, {"yes"}});
  out.outputs.push_back({"probabilities", kFp64, {1, 2}, {0.25, 0.75}, {}});
  auto all = EncodeV2("m", 3, "id", out, {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)["model_version"], "3");
  EXPECT_EQ((*all)["outputs"].size(), 2u);
  auto one = EncodeV2("m", 3, "", out, {"probabilities"});
  EXPECT_EQ((*one)["outputs"][0]["data"][1], 0.75);
  EXPECT_FALSE(one->contains("id"));
  EXPECT_FALSE(EncodeV2("m", 3, "", out, {"nope"}).ok());
}

}  // namespace
}  // namespace kiln::serve
