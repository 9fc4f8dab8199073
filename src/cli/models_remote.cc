// kiln models load|unload|list --url URL: the model repository routes of a running `kiln serve`
// (POST /v2/repository/models/NAME/load|unload, POST /v2/repository/index).
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "kiln/cli/format.h"
#include "kiln/serve/http_client.h"

namespace kiln::cli {
namespace {

using nlohmann::json;

// The server's {"error", "code"} as a Status of the same code (the error table in reverse).
core::Status ServerError(const std::string& where, const serve::HttpClientResponse& r) {
  json j = json::parse(r.body, nullptr, false);
  const std::string message = j.is_object() && j.contains("error") && j["error"].is_string()
                                  ? j["error"].get<std::string>()
                                  : r.body.substr(0, 200);
  const std::string code = j.is_object() ? j.value("code", "") : "";
  for (core::StatusCode c :
       {core::StatusCode::kInvalidArgument, core::StatusCode::kNotFound,
        core::StatusCode::kParseError, core::StatusCode::kDataError, core::StatusCode::kIoError,
        core::StatusCode::kCorrupt, core::StatusCode::kVersionMismatch,
        core::StatusCode::kUnimplemented, core::StatusCode::kCancelled}) {
    if (core::StatusCodeName(c) == code)
      return core::Status(c, fmt::format("{} answered {}: {}", where, r.status, message));
  }
  if (r.status == 404) return core::NotFound("{} answered 404: {}", where, message);
  if (r.status / 100 == 4)
    return core::InvalidArgument("{} answered {}: {}", where, r.status, message);
  return core::Internal("{} answered {}: {}", where, r.status, message);
}

std::string Token(const ModelsOptions& o, bool admin) {
  if (!o.token.empty()) return o.token;
  if (admin) {
    if (const char* t = std::getenv("KILN_SERVE_ADMIN_TOKEN"); t != nullptr && *t) return t;
  }
  if (const char* t = std::getenv("KILN_SERVE_TOKEN"); t != nullptr && *t) return t;
  return "";
}

core::Result<serve::HttpClientResponse> Post(const ModelsOptions& o, const std::string& path,
                                             const std::string& body, bool admin) {
  std::string base = o.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  KILN_ASSIGN_OR_RETURN(serve::HttpUrl url, serve::ParseHttpUrl(base + path));
  std::vector<std::pair<std::string, std::string>> headers;
  if (const std::string token = Token(o, admin); !token.empty())
    headers.emplace_back("Authorization", "Bearer " + token);
  KILN_ASSIGN_OR_RETURN(serve::HttpClientResponse r,
                        serve::HttpCall("POST", url, body, headers, o.timeout_seconds));
  if (r.status / 100 != 2) return ServerError(base + path, r);
  return r;
}

core::Result<json> ParseAnswer(const std::string& where, const serve::HttpClientResponse& r) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return core::ParseError("{}: the answer is not JSON", where);
  return j;
}

core::Status Load(const ModelsOptions& o, Session& session) {
  json body = json::object();
  if (o.version > 0) body["version"] = o.version;
  if (!o.alias.empty()) body["alias"] = o.alias;
  if (!o.path.empty()) body["path"] = o.path;
  if (!o.platform.empty()) body["platform"] = o.platform;
  if (o.no_wait) body["wait"] = false;
  const std::string path = "/v2/repository/models/" + o.name + "/load";
  KILN_ASSIGN_OR_RETURN(serve::HttpClientResponse r, Post(o, path, body.dump(), true));
  KILN_ASSIGN_OR_RETURN(json answer, ParseAnswer(o.url + path, r));
  if (o.json) {
    session.out() << answer.dump(2) << '\n';
  } else if (r.status == 202) {
    session.out() << fmt::format(
        "loading {} on {} (not waiting); 'kiln models list --url {}' shows when it is READY\n",
        o.name, o.url, o.url);
  } else {
    std::vector<std::string> versions;
    for (const json& v : answer.value("versions", json::array()))
      if (v.is_string()) versions.push_back(v.get<std::string>());
    session.out() << fmt::format(
        "loaded {} on {}: {} {}\n", o.name, o.url, versions.size() == 1 ? "version" : "versions",
        versions.empty() ? "-" : fmt::format("{}", fmt::join(versions, ", ")));
  }
  return core::Status::Ok();
}

core::Status Unload(const ModelsOptions& o, Session& session) {
  const std::string path = "/v2/repository/models/" + o.name + "/unload";
  KILN_ASSIGN_OR_RETURN(serve::HttpClientResponse r,
                        Post(o, path, o.no_wait ? R"({"wait": false})" : "{}", true));
  KILN_ASSIGN_OR_RETURN(json answer, ParseAnswer(o.url + path, r));
  if (o.json) {
    session.out() << answer.dump(2) << '\n';
  } else if (r.status == 202) {
    session.out() << fmt::format("unloading {} on {} (not waiting)\n", o.name, o.url);
  } else {
    session.out() << fmt::format("unloaded {} on {}\n", o.name, o.url);
  }
  return core::Status::Ok();
}

core::Status Index(const ModelsOptions& o, Session& session) {
  const std::string path = "/v2/repository/index";
  KILN_ASSIGN_OR_RETURN(serve::HttpClientResponse r, Post(o, path, "{}", false));
  KILN_ASSIGN_OR_RETURN(json index, ParseAnswer(o.url + path, r));
  if (!index.is_array()) return core::ParseError("{}{}: expected a JSON array", o.url, path);
  if (o.json) {
    session.out() << index.dump(2) << '\n';
    return core::Status::Ok();
  }
  if (index.empty()) {
    session.out() << fmt::format("{} serves no model\n", o.url);
    return core::Status::Ok();
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "VERSION", "STATE", "REASON"}};
  for (const json& row : index) {
    if (!row.is_object()) continue;
    rows.push_back({row.value("name", ""), row.value("version", "-"), row.value("state", ""),
                    row.value("reason", "")});
  }
  session.out() << FormatTable(rows);
  return core::Status::Ok();
}

}  // namespace

core::Status RunModelsRemote(const ModelsOptions& options, Session& session) {
  switch (options.action) {
    case ModelsAction::kLoad:
      return Load(options, session);
    case ModelsAction::kUnload:
      return Unload(options, session);
    case ModelsAction::kList:
      return Index(options, session);
    default:
      break;
  }
  return core::Internal("kiln models: --url works with list, load and unload");
}

}  // namespace kiln::cli
