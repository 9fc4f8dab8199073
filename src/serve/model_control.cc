#include "kiln/serve/model_control.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <filesystem>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "kiln/core/strings.h"

namespace kiln::serve {
namespace {

constexpr const char* kUnloadedReason = "unloaded";

std::set<std::string> LiveSet(const std::vector<ModelState>& models) {
  std::set<std::string> out;
  for (const ModelState& m : models)
    for (const ServableHandle& h : m.versions)
      out.insert(fmt::format("{} v{} ({})", m.name, h->version, h->servable->metadata().platform));
  return out;
}

std::string ExpectedSource(const AspiredVersion& v) {
  return v.source.empty() ? v.files.path : v.source;
}

bool Polled(const std::vector<AspiredModel>& polled, const std::string& name) {
  return std::any_of(polled.begin(), polled.end(),
                     [&](const AspiredModel& m) { return m.name == name; });
}

}  // namespace

core::Result<ModelControlMode> ParseModelControlMode(std::string_view text) {
  if (text == "poll") return ModelControlMode::kPoll;
  if (text == "explicit") return ModelControlMode::kExplicit;
  return core::InvalidArgument("--model-control '{}': expected poll or explicit", text);
}

std::string_view ModelControlModeName(ModelControlMode mode) {
  return mode == ModelControlMode::kPoll ? "poll" : "explicit";
}

ModelControl::ModelControl(ModelControlOptions options, ServableManager& manager,
                           ModelSource& source)
    : options_(std::move(options)), manager_(manager), source_(source) {}

ModelControl::~ModelControl() { Stop(); }

void ModelControl::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

core::Status ModelControl::Start(const std::vector<LoadRequest>& initial) {
  if (options_.mode == ModelControlMode::kPoll) {
    auto aspired = source_.Poll();
    if (!aspired.ok()) {
      core::Status s = aspired.status();
      return std::move(s).AddContext(source_.Describe());
    }
    if (aspired->empty() && initial.empty())
      return core::NotFound("{}: no models to serve", source_.Describe());
    polled_ = std::move(*aspired);
  }
  for (const LoadRequest& request : initial) {
    auto model = Resolve(request);
    if (!model.ok()) {
      core::Status s = model.status();
      return std::move(s).AddContext(fmt::format("loading model '{}'", request.model));
    }
    overrides_[request.model] = Override{false, std::move(*model)};
  }
  std::vector<core::Status> errors = ApplyAll();
  if (!errors.empty()) return errors.front();
  return core::Status::Ok();
}

void ModelControl::Run() {
  if (thread_.joinable()) return;
  running_ = true;
  source_.OnLive(manager_.List());
  thread_ = std::thread([this] { Loop(); });
}

void ModelControl::Stop() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::deque<Command> left;
  {
    std::lock_guard lock(queue_mutex_);
    left.swap(queue_);
  }
  for (Command& c : left) {
    if (c.done) c.done(core::Cancelled("the server is stopping"));
  }
}

void ModelControl::Load(LoadRequest request, Done done) {
  Command c;
  c.load = true;
  c.request = std::move(request);
  c.done = std::move(done);
  Enqueue(std::move(c));
}

void ModelControl::Unload(std::string model, Done done) {
  Command c;
  c.load = false;
  c.request.model = std::move(model);
  c.done = std::move(done);
  Enqueue(std::move(c));
}

void ModelControl::Enqueue(Command command) {
  {
    std::lock_guard lock(queue_mutex_);
    if (!stopping_) {
      if (command.load)
        SetStatus(command.request.model, command.request.selector.version, "LOADING", "");
      queue_.push_back(std::move(command));
      wake_.notify_all();
      return;
    }
  }
  if (command.done) command.done(core::Cancelled("the server is stopping"));
}

void ModelControl::Loop() {
  const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(options_.poll_seconds));
  auto next_poll = std::chrono::steady_clock::now() + interval;
  std::unique_lock lock(queue_mutex_);
  while (!stopping_) {
    if (!queue_.empty()) {
      Command c = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      core::Status status;
      try {
        status = c.load ? LoadNow(c.request) : UnloadNow(c.request.model);
      } catch (const std::exception& e) {
        status = core::Internal("{} model '{}': unexpected exception: {}",
                                c.load ? "loading" : "unloading", c.request.model, e.what());
        SetStatus(c.request.model, std::nullopt, "UNAVAILABLE", status.ToString());
      }
      if (c.done) c.done(std::move(status));
      lock.lock();
      continue;
    }
    if (options_.mode == ModelControlMode::kPoll) {
      if (std::chrono::steady_clock::now() >= next_poll) {
        lock.unlock();
        try {
          PollOnce();
        } catch (const std::exception& e) {
          Log(fmt::format("warning: polling {}: unexpected exception: {}", source_.Describe(),
                          e.what()));
        }
        lock.lock();
        next_poll = std::chrono::steady_clock::now() + interval;
        continue;
      }
      wake_.wait_until(lock, next_poll);
    } else {
      wake_.wait(lock);
    }
  }
}

std::vector<core::Status> ModelControl::ApplyAll() {
  std::vector<AspiredModel> aspired;
  const bool poll = options_.mode == ModelControlMode::kPoll;
  if (poll) {
    for (const AspiredModel& m : polled_) {
      auto o = overrides_.find(m.name);
      if (o == overrides_.end()) {
        aspired.push_back(m);
      } else if (!o->second.unloaded) {
        aspired.push_back(o->second.model);
      }
    }
  }
  for (const auto& [name, o] : overrides_)
    if (!o.unloaded && !(poll && Polled(polled_, name))) aspired.push_back(o.model);

  const std::set<std::string> before = LiveSet(manager_.List());
  std::vector<core::Status> errors = manager_.Apply(aspired);
  for (const core::Status& error : errors) Log(fmt::format("warning: {}", error.ToString()));
  const std::vector<ModelState> live = manager_.List();
  const std::set<std::string> after = LiveSet(live);
  for (const std::string& s : after)
    if (!before.count(s)) Log("serving " + s);
  for (const std::string& s : before)
    if (!after.count(s)) Log("unloaded " + s);
  if (running_) source_.OnLive(live);
  return errors;
}

bool ModelControl::PollOnce() {
  auto aspired = source_.Poll();
  if (!aspired.ok()) {
    Log(fmt::format("warning: {}: {}", source_.Describe(), aspired.status().ToString()));
    return false;
  }
  polled_ = std::move(*aspired);
  ApplyAll();
  return true;
}

core::Result<AspiredModel> ModelControl::Resolve(const LoadRequest& request) {
  if (request.path.empty()) return source_.ResolveModel(request.model, request.selector);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(request.path, ec))
    return core::NotFound("model file {} does not exist (a path on the server's disk)",
                          request.path);
  AspiredModel model;
  model.name = request.model;
  AspiredVersion version;
  version.version = request.selector.version.value_or(1);
  version.files.path = request.path;
  version.files.platform = request.platform;
  version.source = FileFingerprint(request.path);
  model.versions.push_back(std::move(version));
  return model;
}

core::Status ModelControl::LoadNow(const LoadRequest& request) {
  const std::string& name = request.model;
  auto fail = [&](core::Status status) {
    SetStatus(name, request.selector.version, "UNAVAILABLE", status.ToString());
    return status;
  };
  // Asked for what the repository does not have: nothing to list in the index.
  auto not_there = [&](core::Status status) {
    ClearStatus(name);
    return status;
  };
  if (name.empty()) return not_there(core::InvalidArgument("a load needs a model name"));
  SetStatus(name, request.selector.version, "LOADING", "");
  std::optional<Override> previous;
  if (auto it = overrides_.find(name); it != overrides_.end()) previous = it->second;

  AspiredModel wanted;
  if (options_.mode == ModelControlMode::kPoll && request.selector.empty() &&
      request.path.empty()) {
    // Back to the source: poll it now and serve what it names of the model.
    auto polled = source_.Poll();
    if (!polled.ok()) {
      core::Status s = polled.status();
      return fail(std::move(s).AddContext(source_.Describe()));
    }
    auto it = std::find_if(polled->begin(), polled->end(),
                           [&](const AspiredModel& m) { return m.name == name; });
    if (it == polled->end()) {
      std::vector<std::string> names;
      for (const AspiredModel& m : *polled) names.push_back(m.name);
      return not_there(core::NotFound("model '{}' is not in {} (models: {})", name,
                                      source_.Describe(),
                                      names.empty() ? "none" : core::Join(names, ", ")));
    }
    wanted = *it;
    polled_ = std::move(*polled);
    overrides_.erase(name);
  } else {
    auto resolved = Resolve(request);
    if (!resolved.ok()) {
      return resolved.status().code() == core::StatusCode::kNotFound ||
                     resolved.status().code() == core::StatusCode::kInvalidArgument
                 ? not_there(resolved.status())
                 : fail(resolved.status());
    }
    wanted = std::move(*resolved);
    overrides_[name] = Override{false, wanted};
  }

  const std::vector<core::Status> errors = ApplyAll();
  // Did every version asked for go live, from the files asked for?
  bool live = false;
  if (auto state = manager_.Find(name)) {
    live = true;
    for (const AspiredVersion& v : wanted.versions) {
      auto h = std::find_if(state->versions.begin(), state->versions.end(),
                            [&](const ServableHandle& s) { return s->version == v.version; });
      live = live && h != state->versions.end() && (*h)->source == ExpectedSource(v);
    }
  }
  if (live) {
    ClearStatus(name);
    return core::Status::Ok();
  }
  core::Status error = core::Internal("model '{}' did not go live", name);
  const std::string mention = fmt::format("model '{}'", name);
  for (const core::Status& e : errors) {
    if (e.ToString().find(mention) != std::string::npos) {
      error = e;
      break;
    }
  }
  // Nothing changes: the previous override (and with it the versions that were serving) again.
  if (previous) {
    overrides_[name] = *previous;
  } else {
    overrides_.erase(name);
  }
  ApplyAll();
  return fail(std::move(error));
}

core::Status ModelControl::UnloadNow(const std::string& model) {
  const bool live = manager_.Find(model).has_value();
  auto o = overrides_.find(model);
  const bool overridden = o != overrides_.end() && !o->second.unloaded;
  const bool polled = options_.mode == ModelControlMode::kPoll && Polled(polled_, model);
  const bool pinned_out = o != overrides_.end() && o->second.unloaded;
  if (!live && !overridden && !(polled && !pinned_out)) {
    {
      // Unloaded already, or only a failed load to forget: the model is not loaded, as asked.
      std::lock_guard lock(status_mutex_);
      auto s = status_.find(model);
      if (s != status_.end() && s->second.state != "LOADING") {
        s->second = ModelStatus{model, std::nullopt, "UNAVAILABLE", kUnloadedReason};
        return core::Status::Ok();
      }
    }
    std::vector<std::string> names;
    for (const ModelState& m : manager_.List()) names.push_back(m.name);
    return core::NotFound("model '{}' is not loaded (loaded: {})", model,
                          names.empty() ? "none" : core::Join(names, ", "));
  }
  SetStatus(model, std::nullopt, "UNLOADING", "");
  if (options_.mode == ModelControlMode::kPoll) {
    overrides_[model] = Override{true, {}};
  } else {
    overrides_.erase(model);
  }
  ApplyAll();  // returns once the versions are freed (or their wait ran out)
  SetStatus(model, std::nullopt, "UNAVAILABLE", kUnloadedReason);
  return core::Status::Ok();
}

void ModelControl::SetStatus(const std::string& model, std::optional<int64_t> version,
                             std::string state, std::string reason) {
  std::lock_guard lock(status_mutex_);
  status_[model] = ModelStatus{model, version, std::move(state), std::move(reason)};
}

void ModelControl::ClearStatus(const std::string& model) {
  std::lock_guard lock(status_mutex_);
  status_.erase(model);
}

std::vector<ModelStatus> ModelControl::Index() const {
  std::vector<ModelStatus> out;
  for (const ModelState& m : manager_.List())
    for (const ServableHandle& h : m.versions) out.push_back({m.name, h->version, "READY", ""});
  {
    std::lock_guard lock(status_mutex_);
    for (const auto& [_, status] : status_) out.push_back(status);
  }
  std::stable_sort(out.begin(), out.end(), [](const ModelStatus& a, const ModelStatus& b) {
    return std::tie(a.model, a.version) < std::tie(b.model, b.version);
  });
  return out;
}

}  // namespace kiln::serve
