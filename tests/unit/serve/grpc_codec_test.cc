// Decoding gRPC ModelInferRequests (typed and raw contents) against a model's inputs, encoding the
// answers, and the errors a client gets.
#include "kiln/serve/grpc_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

namespace kiln::serve {
namespace {

using inference::ModelInferRequest;
using inference::ModelInferResponse;

ServableMetadata Meta() {
  ServableMetadata m;
  m.platform = "kiln";
  m.inputs = {{"age", kFp32, {-1}}, {"city", kBytes, {-1}}};
  m.outputs = {{"predictions", kBytes, {-1}}, {"probabilities", kFp64, {-1, 2}}};
  return m;
}

ServableMetadata NumericMeta() {
  ServableMetadata m;
  m.inputs = {{"a", kFp32, {-1}}, {"b", kFp32, {-1}}};
  return m;
}

template <typename T>
std::string Raw(const std::vector<T>& values) {
  std::string out(values.size() * sizeof(T), '\0');
  std::memcpy(out.data(), values.data(), out.size());  // the test machine is little-endian
  return out;
}

std::string RawBytes(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& v : values) {
    const auto n = static_cast<uint32_t>(v.size());
    out.append(reinterpret_cast<const char*>(&n), 4);
    out += v;
  }
  return out;
}

TEST(DecodeGrpcInfer, TypedPerFeatureTensors) {
  ModelInferRequest req;
  req.set_id("r1");
  auto* age = req.add_inputs();
  age->set_name("age");
  age->set_datatype("INT64");
  age->add_shape(2);
  age->add_shape(1);
  age->mutable_contents()->add_int64_contents(30);
  age->mutable_contents()->add_int64_contents(41);
  auto* city = req.add_inputs();
  city->set_name("city");
  city->set_datatype("BYTES");
  city->add_shape(2);
  city->mutable_contents()->add_bytes_contents("Oslo");
  city->mutable_contents()->add_bytes_contents("");
  req.add_outputs()->set_name("probabilities");
  auto r = DecodeGrpcInfer(req, Meta());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "r1");
  EXPECT_EQ(r->batch.rows, 2u);
  EXPECT_EQ(r->batch.Find("age")->numbers, (std::vector<double>{30, 41}));
  EXPECT_EQ(r->batch.Find("city")->texts, (std::vector<std::string>{"Oslo", ""}));
  EXPECT_EQ(r->outputs, std::vector<std::string>{"probabilities"});
}

TEST(DecodeGrpcInfer, RawMatrixAndBytes) {
  ModelInferRequest req;
  auto* x = req.add_inputs();
  x->set_name("input");
  x->set_datatype("FP32");
  x->add_shape(2);
  x->add_shape(2);
  req.add_raw_input_contents(Raw<float>({1.5f, 2.0f, std::nanf(""), -4.0f}));
  auto r = DecodeGrpcInfer(req, NumericMeta());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->batch.Find("a")->numbers[0], 1.5);
  EXPECT_TRUE(std::isnan(r->batch.Find("a")->numbers[1]));  // NaN = missing
  EXPECT_EQ(r->batch.Find("b")->numbers, (std::vector<double>{2.0, -4.0}));

  ModelInferRequest bytes;
  auto* age = bytes.add_inputs();
  age->set_name("age");
  age->set_datatype("INT8");
  age->add_shape(2);
  bytes.add_raw_input_contents(std::string("\xfe\x07", 2));  // -2, 7
  auto* city = bytes.add_inputs();
  city->set_name("city");
  city->set_datatype("BYTES");
  city->add_shape(2);
  bytes.add_raw_input_contents(RawBytes({"Oslo", "Rome"}));
  auto b = DecodeGrpcInfer(bytes, Meta());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->batch.Find("age")->numbers, (std::vector<double>{-2, 7}));
  EXPECT_EQ(b->batch.Find("city")->texts, (std::vector<std::string>{"Oslo", "Rome"}));
}

TEST(DecodeGrpcInfer, RawFp16) {
  ModelInferRequest req;
  auto* x = req.add_inputs();
  x->set_name("input");
  x->set_datatype("FP16");
  x->add_shape(1);
  x->add_shape(2);
  req.add_raw_input_contents(Raw<uint16_t>({0x3e00, 0xc000}));  // 1.5, -2
  auto r = DecodeGrpcInfer(req, NumericMeta());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->batch.Find("a")->numbers, std::vector<double>{1.5});
  EXPECT_EQ(r->batch.Find("b")->numbers, std::vector<double>{-2});
}

TEST(DecodeGrpcInfer, Errors) {
  const ServableMetadata m = Meta();
  auto err = [&](const ModelInferRequest& req) {
    auto r = DecodeGrpcInfer(req, m);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.status().ToString();
  };
  auto one = [](const char* name, const char* datatype, std::vector<int64_t> shape) {
    ModelInferRequest req;
    auto* t = req.add_inputs();
    t->set_name(name);
    t->set_datatype(datatype);
    for (int64_t d : shape) t->add_shape(d);
    return req;
  };
  EXPECT_NE(err(ModelInferRequest()).find("inputs: expected a non-empty"), std::string::npos);
  ModelInferRequest count = one("age", "FP32", {2});
  count.mutable_inputs(0)->mutable_contents()->add_fp32_contents(1);
  EXPECT_NE(err(count).find("inputs[0]: shape [2] needs 2 values, fp32_contents has 1"),
            std::string::npos)
      << err(count);
  ModelInferRequest field = one("age", "FP32", {1});
  field.mutable_inputs(0)->mutable_contents()->add_fp64_contents(1);
  EXPECT_NE(err(field).find("datatype FP32 takes its values in fp32_contents, found "
                            "fp64_contents (1 values)"),
            std::string::npos)
      << err(field);
  ModelInferRequest text = one("age", "BYTES", {1});
  text.mutable_inputs(0)->mutable_contents()->add_bytes_contents("x");
  EXPECT_NE(err(text).find("feature 'age' takes datatype a number type, found BYTES"),
            std::string::npos);
  ModelInferRequest unknown = one("agee", "FP32", {1});
  unknown.mutable_inputs(0)->mutable_contents()->add_fp32_contents(1);
  EXPECT_NE(err(unknown).find("did you mean 'age'"), std::string::npos);
  ModelInferRequest short_raw = one("age", "FP32", {1});
  short_raw.add_raw_input_contents("abc");
  EXPECT_NE(err(short_raw).find("raw_input_contents[0]: 1 values of FP32 (4 bytes each) need 4 "
                                "bytes, found 3"),
            std::string::npos)
      << err(short_raw);
  ModelInferRequest bad_len = one("city", "BYTES", {1});
  bad_len.add_raw_input_contents(
      std::string("\x09\x00\x00\x00"
                  "ab",
                  6));
  EXPECT_NE(err(bad_len).find("length 9 runs past the end"), std::string::npos) << err(bad_len);
  ModelInferRequest both = one("age", "FP32", {1});
  both.mutable_inputs(0)->mutable_contents()->add_fp32_contents(1);
  both.add_raw_input_contents(Raw<float>({1}));
  EXPECT_NE(err(both).find("not in contents"), std::string::npos);
  ModelInferRequest inf = one("age", "FP64", {1});
  inf.mutable_inputs(0)->mutable_contents()->add_fp64_contents(INFINITY);
  EXPECT_NE(err(inf).find("must be finite"), std::string::npos);
  EXPECT_NE(err(one("age", "FP32", {1, 2, 3})).find("inputs[0].shape: expected [rows] or"),
            std::string::npos);
}

TEST(EncodeGrpcInfer, TypedAndRaw) {
  InferenceOutput out;
  out.outputs = {{"predictions", kBytes, {2}, {}, {"yes", "no"}},
                 {"probabilities", kFp64, {2, 2}, {0.25, 0.75, 0.5, 0.5}, {}}};
  ModelInferResponse typed;
  ASSERT_TRUE(EncodeGrpcInfer("m", 3, "id", out, {}, false, typed).ok());
  EXPECT_EQ(typed.model_version(), "3");
  ASSERT_EQ(typed.outputs_size(), 2);
  EXPECT_EQ(typed.outputs(0).contents().bytes_contents(1), "no");
  EXPECT_EQ(typed.outputs(1).contents().fp64_contents(1), 0.75);
  EXPECT_EQ(typed.raw_output_contents_size(), 0);

  ModelInferResponse raw;
  ASSERT_TRUE(EncodeGrpcInfer("m", 3, "", out, {"predictions"}, true, raw).ok());
  ASSERT_EQ(raw.outputs_size(), 1);
  EXPECT_EQ(raw.raw_output_contents(0), RawBytes({"yes", "no"}));
  EXPECT_EQ(raw.outputs(0).contents().bytes_contents_size(), 0);

  ModelInferResponse unknown;
  core::Status s = EncodeGrpcInfer("m", 3, "", out, {"logits"}, false, unknown);
  EXPECT_NE(s.ToString().find("unknown output 'logits'; the model has: predictions, "
                              "probabilities"),
            std::string::npos);
}

}  // namespace
}  // namespace kiln::serve
