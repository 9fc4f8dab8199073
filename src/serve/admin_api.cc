#include "admin_api.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "http_json.h"

namespace kiln::serve {
namespace {

using nlohmann::json;

constexpr const char* kLoadKeys = "version, alias, path, platform, wait, parameters";

core::Result<int64_t> VersionField(const json& v) {
  if (v.is_number_integer() && v.get<int64_t>() > 0) return v.get<int64_t>();
  if (v.is_string()) {
    const std::string& text = v.get_ref<const std::string&>();
    int64_t out = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec == std::errc() && p == text.data() + text.size() && out > 0) return out;
  }
  return core::InvalidArgument("load request: \"version\" must be a positive integer, found {}",
                               v.dump());
}

core::Result<std::string> StringField(const json& v, const char* key) {
  if (!v.is_string() || v.get_ref<const std::string&>().empty())
    return core::InvalidArgument("load request: \"{}\" must be a non-empty string, found {}", key,
                                 v.dump());
  return v.get<std::string>();
}

core::Result<bool> BoolField(const json& v, const char* what) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string() && (v == "true" || v == "false")) return v == "true";
  return core::InvalidArgument("{}: \"wait\" must be true or false, found {}", what, v.dump());
}

// The body as a JSON object ({} when empty); errors name the byte offset.
core::Result<json> BodyObject(const std::string& body, const char* what) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return core::InvalidArgument("{}: the body is not valid JSON (send {{}} or nothing)", what);
  if (!j.is_object())
    return core::InvalidArgument("{}: the body must be a JSON object, found {}", what,
                                 j.type_name());
  return j;
}

json IndexRow(const ModelStatus& s) {
  json row = {{"name", s.model}, {"state", s.state}, {"reason", s.reason}};
  if (s.version) row["version"] = std::to_string(*s.version);
  return row;
}

}  // namespace

core::Status ValidateModelName(const std::string& model) {
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  };
  const bool valid = !model.empty() && model.size() <= 128 && ok(model[0]) && model[0] != '.' &&
                     model[0] != '_' && model[0] != '-' &&
                     std::all_of(model.begin(), model.end(), ok);
  if (!valid)
    return core::InvalidArgument(
        "'{}' is not a model name: use 1-128 of [A-Za-z0-9_.-], starting with a letter or digit",
        model);
  return core::Status::Ok();
}

core::Result<ParsedLoad> ParseLoadBody(const std::string& model, const std::string& body) {
  KILN_RETURN_IF_ERROR(ValidateModelName(model));
  KILN_ASSIGN_OR_RETURN(json j, BodyObject(body, "load request"));
  // "parameters" (Open Inference Protocol style) holds the same keys as the top level.
  json fields = json::object();
  for (const auto& [key, value] : j.items()) {
    if (key == "parameters") {
      if (!value.is_object())
        return core::InvalidArgument("load request: \"parameters\" must be an object, found {}",
                                     value.dump());
      for (const auto& [inner, v] : value.items()) {
        if (inner == "parameters" || fields.contains(inner))
          return core::InvalidArgument("load request: \"{}\" is given twice", inner);
        fields[inner] = v;
      }
      continue;
    }
    if (fields.contains(key))
      return core::InvalidArgument("load request: \"{}\" is given twice", key);
    fields[key] = value;
  }
  ParsedLoad out;
  out.request.model = model;
  for (const auto& [key, value] : fields.items()) {
    if (key == "version") {
      KILN_ASSIGN_OR_RETURN(int64_t v, VersionField(value));
      out.request.selector.version = v;
    } else if (key == "alias") {
      KILN_ASSIGN_OR_RETURN(out.request.selector.alias, StringField(value, "alias"));
    } else if (key == "path") {
      KILN_ASSIGN_OR_RETURN(out.request.path, StringField(value, "path"));
    } else if (key == "platform") {
      KILN_ASSIGN_OR_RETURN(out.request.platform, StringField(value, "platform"));
    } else if (key == "wait") {
      KILN_ASSIGN_OR_RETURN(out.wait, BoolField(value, "load request"));
    } else {
      return core::InvalidArgument("load request: unknown key \"{}\" (known: {})", key, kLoadKeys);
    }
  }
  if (out.request.selector.version && !out.request.selector.alias.empty())
    return core::InvalidArgument("load request: give \"version\" or \"alias\", not both");
  if (!out.request.path.empty() && !out.request.selector.alias.empty())
    return core::InvalidArgument(
        "load request: \"alias\" picks a version of the repository; a \"path\" names the file "
        "itself (with \"version\" for the number it serves as)");
  if (!out.request.platform.empty() && out.request.path.empty())
    return core::InvalidArgument(
        "load request: \"platform\" goes with \"path\" (the repository knows its models' "
        "platforms)");
  return out;
}

AdminApi::AdminApi(ModelControl& control, AdminApiOptions options)
    : control_(control), options_(std::move(options)) {}

bool AdminApi::Handles(const std::vector<std::string>& segments) {
  return segments.size() >= 2 && segments[0] == "v2" && segments[1] == "repository";
}

std::optional<HttpResponse> AdminApi::Authorize(const HttpRequest& request, bool admin) const {
  const std::string_view header = request.Header("authorization");
  const std::string& needed =
      admin && !options_.admin_token.empty() ? options_.admin_token : options_.auth_token;
  if (needed.empty() || BearerTokenMatches(header, needed)) return std::nullopt;
  if (!admin && !options_.admin_token.empty() && BearerTokenMatches(header, options_.admin_token))
    return std::nullopt;
  if (admin && !options_.auth_token.empty() && BearerTokenMatches(header, options_.auth_token))
    return ErrorAnswer(403, "permission_denied",
                       "loading and unloading models needs the admin token (--admin-token), not "
                       "the inference token");
  HttpResponse r = ErrorAnswer(
      401, "unauthenticated",
      admin && !options_.admin_token.empty()
          ? "loading and unloading models needs an 'Authorization: Bearer <admin token>' header"
          : "this server needs an 'Authorization: Bearer <token>' header");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

HttpResponse AdminApi::Index(const HttpRequest& request) const {
  bool ready_only = false;
  if (request.method == "POST") {
    auto body = BodyObject(request.body, "repository index");
    if (!body.ok()) return StatusAnswer(body.status());
    for (const auto& [key, value] : body->items()) {
      if (key != "ready" || !value.is_boolean())
        return ErrorAnswer(400, "invalid_argument",
                           fmt::format("repository index: expected {{\"ready\": true|false}}, "
                                       "found the key \"{}\"",
                                       key));
      ready_only = value.get<bool>();
    }
  }
  json index = json::array();
  for (const ModelStatus& s : control_.Index())
    if (!ready_only || s.state == "READY") index.push_back(IndexRow(s));
  return JsonAnswer(200, index);
}

std::optional<HttpResponse> AdminApi::Route(const HttpRequest& request,
                                            const std::vector<std::string>& seg,
                                            const Respond& respond) {
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  if (seg.size() == 3 && seg[2] == "index") {
    if (auto denied = Authorize(request, /*admin=*/false)) return denied;
    if (!get && !post) return MethodNotAllowed(request, "GET, POST");
    return Index(request);
  }
  const bool model_action =
      seg.size() == 5 && seg[2] == "models" && (seg[4] == "load" || seg[4] == "unload");
  if (!model_action) {
    if (auto denied = Authorize(request, /*admin=*/false)) return denied;
    return ErrorAnswer(404, "not_found",
                       fmt::format("no route {} {}; the repository routes are GET|POST "
                                   "/v2/repository/index and POST "
                                   "/v2/repository/models/NAME/load|unload",
                                   request.method, request.Path()));
  }
  if (auto denied = Authorize(request, /*admin=*/true)) return denied;
  if (!post) return MethodNotAllowed(request, "POST");
  const std::string& model = seg[3];
  if (seg[4] == "load") {
    auto parsed = ParseLoadBody(model, request.body);
    if (!parsed.ok()) return StatusAnswer(parsed.status());
    if (!parsed->wait) {
      control_.Load(std::move(parsed->request), nullptr);
      return JsonAnswer(202, {{"name", model}, {"state", "LOADING"}});
    }
    control_.Load(std::move(parsed->request), [this, model, respond](core::Status status) {
      if (!status.ok()) return respond(StatusAnswer(status));
      json versions = json::array();
      for (const ModelStatus& s : control_.Index())
        if (s.model == model && s.state == "READY" && s.version)
          versions.push_back(std::to_string(*s.version));
      respond(JsonAnswer(200, {{"name", model}, {"state", "READY"}, {"versions", versions}}));
    });
    return std::nullopt;
  }
  auto body = BodyObject(request.body, "unload request");
  if (!body.ok()) return StatusAnswer(body.status());
  bool wait = true;
  for (const auto& [key, value] : body->items()) {
    if (key == "wait") {
      auto w = BoolField(value, "unload request");
      if (!w.ok()) return StatusAnswer(w.status());
      wait = *w;
    } else if (key != "parameters" || !value.is_object()) {
      // "parameters" is accepted for Open Inference Protocol clients; none of its keys
      // (Triton's unload_dependents) means anything here.
      return ErrorAnswer(400, "invalid_argument",
                         fmt::format("unload request: unknown key \"{}\" (known: wait)", key));
    }
  }
  if (!wait) {
    control_.Unload(model, nullptr);
    return JsonAnswer(202, {{"name", model}, {"state", "UNLOADING"}});
  }
  control_.Unload(model, [model, respond](core::Status status) {
    if (!status.ok()) return respond(StatusAnswer(status));
    respond(JsonAnswer(200, {{"name", model}, {"state", "UNAVAILABLE"}, {"reason", "unloaded"}}));
  });
  return std::nullopt;
}

}  // namespace kiln::serve
