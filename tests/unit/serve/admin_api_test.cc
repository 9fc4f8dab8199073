// AdminApi: the load body, model names, tokens, and answers sent from the control thread once a
// load or unload has finished.
#include <future>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../../../src/serve/admin_api.h"
#include "version_servable.h"

namespace kiln::serve {
namespace {

TEST(ParseLoadBody, KeysAtTheTopOrInParameters) {
  auto empty = ParseLoadBody("churn", "");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->request.selector.empty());
  EXPECT_TRUE(empty->wait);
  auto v = ParseLoadBody("churn", R"({"version": 3, "wait": false})");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->request.selector.version, 3);
  EXPECT_FALSE(v->wait);
  auto p = ParseLoadBody("x", R"({"parameters": {"path": "/m.json", "version": "2",
                                                  "platform": "xgboost_json"}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->request.path, "/m.json");
  EXPECT_EQ(p->request.platform, "xgboost_json");
  EXPECT_EQ(p->request.selector.version, 2);
  EXPECT_EQ(ParseLoadBody("churn", R"({"alias": "canary"})")->request.selector.alias, "canary");
}

TEST(ParseLoadBody, ErrorsNameTheKey) {
  for (const auto& [body, needle] : std::vector<std::pair<std::string, std::string>>{
           {"{", "not valid JSON"},
           {"3", "must be a JSON object"},
           {R"({"versoin": 1})", "unknown key \"versoin\""},
           {R"({"version": 0})", "\"version\" must be a positive integer"},
           {R"({"version": 1, "parameters": {"version": 2}})", "\"version\" is given twice"},
           {R"({"version": 1, "alias": "a"})", "not both"},
           {R"({"path": "/m", "alias": "a"})", "\"alias\" picks a version"},
           {R"({"platform": "kiln"})", "goes with \"path\""},
           {R"({"path": ""})", "non-empty string"},
           {R"({"parameters": 1})", "\"parameters\" must be an object"}}) {
    auto parsed = ParseLoadBody("churn", body);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.status().code(), core::StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().ToString().find(needle), std::string::npos)
        << body << ": " << parsed.status().ToString();
  }
}

TEST(ValidateModelName, LettersDigitsAndSomePunctuation) {
  for (const char* ok : {"churn", "churn-v2", "a.b_c", "7up"})
    EXPECT_TRUE(ValidateModelName(ok).ok());
  for (const char* bad : {"", "..", ".hidden", "-x", "a/b", "a b", "ü"})
    EXPECT_FALSE(ValidateModelName(bad).ok()) << bad;
  EXPECT_FALSE(ValidateModelName(std::string(129, 'a')).ok());
}

// One model "m" (versions 1 and 2) in an explicit-mode control behind the API.
class EmptySource final : public ModelSource {
 public:
  core::Result<std::vector<AspiredModel>> Poll() override { return std::vector<AspiredModel>(); }
  core::Result<AspiredModel> ResolveModel(const std::string& name,
                                          const ModelSelector& selector) override {
    if (name != "m") return core::NotFound("model '{}' is not here", name);
    AspiredModel m;
    m.name = name;
    AspiredVersion v;
    v.version = selector.version.value_or(2);
    v.files.path = "m/" + std::to_string(v.version);
    v.files.platform = "test";
    v.files.config = {{"answer", static_cast<double>(v.version)}};
    m.versions.push_back(v);
    return m;
  }
  std::string Describe() const override { return "test repository"; }
};

class AdminApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test_support::RegisterTestProcessor(registry_, &alive_).ok());
    ASSERT_TRUE(control_.Start({}).ok());
    control_.Run();
  }
  void TearDown() override { control_.Stop(); }

  // The answer, now or from the control thread.
  HttpResponse Call(AdminApi& api, const std::string& method, const std::string& path,
                    const std::string& body = "", const std::string& token = "") {
    HttpRequest request;
    request.method = method;
    request.target = path;
    request.body = body;
    if (!token.empty()) request.headers.emplace_back("authorization", "Bearer " + token);
    std::vector<std::string> segments;
    for (size_t i = 1; i <= path.size();) {
      const size_t j = std::min(path.find('/', i), path.size());
      segments.push_back(path.substr(i, j - i));
      i = j + 1;
    }
    std::promise<HttpResponse> later;
    auto now = api.Route(request, segments, [&](HttpResponse r) { later.set_value(std::move(r)); });
    return now ? *now : later.get_future().get();
  }

  std::atomic<int> alive_{0};
  ProcessorRegistry registry_{"processor"};
  ServableManager manager_{registry_};
  EmptySource source_;
  ModelControl control_{{ModelControlMode::kExplicit, 3600, nullptr}, manager_, source_};
};

TEST_F(AdminApiTest, LoadIndexUnload) {
  AdminApi api(control_, {});
  EXPECT_TRUE(AdminApi::Handles({"v2", "repository", "index"}));
  EXPECT_FALSE(AdminApi::Handles({"v2", "models", "m"}));
  EXPECT_EQ(Call(api, "GET", "/v2/repository/index").body, "[]");
  HttpResponse r = Call(api, "POST", "/v2/repository/models/m/load", R"({"version": 1})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body),
            nlohmann::json({{"name", "m"}, {"state", "READY"}, {"versions", {"1"}}}));
  r = Call(api, "POST", "/v2/repository/index", R"({"ready": true})");
  EXPECT_EQ(nlohmann::json::parse(r.body),
            nlohmann::json::parse(R"([{"name": "m", "version": "1", "state": "READY",
                                       "reason": ""}])"));
  r = Call(api, "POST", "/v2/repository/models/nope/load");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_NE(r.body.find("'nope'"), std::string::npos);
  r = Call(api, "POST", "/v2/repository/models/m/unload");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(alive_.load(), 0);
  r = Call(api, "GET", "/v2/repository/index");
  EXPECT_EQ(
      nlohmann::json::parse(r.body),
      nlohmann::json::parse(R"([{"name": "m", "state": "UNAVAILABLE", "reason": "unloaded"}])"));
  EXPECT_EQ(Call(api, "GET", "/v2/repository/models/m/load").status, 405);
  EXPECT_EQ(Call(api, "POST", "/v2/repository/nothing").status, 404);
}

TEST_F(AdminApiTest, TokensGuardReadsAndWritesApart) {
  AdminApi api(control_, {"reader", "boss"});
  EXPECT_EQ(Call(api, "GET", "/v2/repository/index").status, 401);
  EXPECT_EQ(Call(api, "GET", "/v2/repository/index", "", "reader").status, 200);
  EXPECT_EQ(Call(api, "GET", "/v2/repository/index", "", "boss").status, 200);
  EXPECT_EQ(Call(api, "POST", "/v2/repository/models/m/load", "", "").status, 401);
  EXPECT_EQ(Call(api, "POST", "/v2/repository/models/m/load", "", "reader").status, 403);
  EXPECT_EQ(Call(api, "POST", "/v2/repository/models/m/load", "", "boss").status, 200);
  AdminApi shared(control_, {"reader", ""});
  EXPECT_EQ(Call(shared, "POST", "/v2/repository/models/m/unload", "", "boss").status, 401);
  EXPECT_EQ(Call(shared, "POST", "/v2/repository/models/m/unload", "", "reader").status, 200);
}

}  // namespace
}  // namespace kiln::serve
