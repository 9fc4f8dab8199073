// ModelControl: what is loaded, decided by a model source (polled for hot reload) and by explicit
// load and unload requests (the admin API, admin_api.h), applied to a ServableManager on one
// control thread.
//
// Two modes, as Triton's --model-control-mode:
//   kPoll      everything the source names is loaded at start and the source is polled every
//              poll_seconds. An unload pins the model out (polls skip it) until it is loaded
//              again; a load without a selector hands the model back to the source (and polls it
//              now); a load naming a version, alias or file overrides the source for that model
//              until the next load or unload.
//   kExplicit  the source is only the repository models are loaded from by name; it is never
//              polled. Nothing is loaded but the start requests and what loads ask for; a model
//              changes only when it is loaded again.
// A load that fails changes nothing: the previous versions keep serving. A version that leaves is
// freed on the control thread once its in-flight requests finish (ServableManager), so an unload
// answered means its memory has been returned.
//
// Thread-safety: Load, Unload, Index and mode are thread-safe; Load and Unload only queue and
// never block the caller (request threads). Start, Run and Stop belong to the owning thread;
// LoadNow, UnloadNow and PollOnce run a command on the caller's thread and must not be called
// while Run's thread is going (tests and Start use them).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/serve/model_source.h"
#include "kiln/serve/servable_manager.h"

namespace kiln::serve {

enum class ModelControlMode { kPoll, kExplicit };

// "poll" or "explicit"; kInvalidArgument names the value and the choices.
core::Result<ModelControlMode> ParseModelControlMode(std::string_view text);
std::string_view ModelControlModeName(ModelControlMode mode);

// One explicit load. With `path`, the model file on the server's disk is served as version
// selector.version (default 1) of `model`, bypassing the repository; otherwise the repository
// resolves `model` and `selector`.
struct LoadRequest {
  std::string model;
  ModelSelector selector;
  std::string path;
  std::string platform;  // with path: the processor ("kiln", "xgboost_json"); "" = detect
};

// One row of the repository index.
struct ModelStatus {
  std::string model;
  std::optional<int64_t> version;
  std::string state;  // "READY", "LOADING", "UNLOADING", "UNAVAILABLE"
  std::string reason;
};

struct ModelControlOptions {
  ModelControlMode mode = ModelControlMode::kPoll;
  double poll_seconds = 2;
  // Progress lines ("serving churn v3 (kiln)", warnings); default: none.
  std::function<void(const std::string&)> log;
};

class ModelControl {
 public:
  using Done = std::function<void(core::Status)>;

  // `manager` and `source` are borrowed and must outlive this object.
  ModelControl(ModelControlOptions options, ServableManager& manager, ModelSource& source);
  ~ModelControl();
  ModelControl(const ModelControl&) = delete;
  ModelControl& operator=(const ModelControl&) = delete;

  // The first load, on the caller's thread. Poll mode: what the source names (an error if it
  // names nothing or a version fails to load), then `initial`; explicit mode: `initial` only.
  core::Status Start(const std::vector<LoadRequest>& initial);
  // Starts the control thread: tells the source what is live, then runs queued commands as they
  // come and, in poll mode, polls the source every poll_seconds.
  void Run();
  // Finishes the command in progress, answers queued ones kCancelled and joins the thread; later
  // commands are answered kCancelled at once.
  void Stop();

  // Queue a command; `done` is called on the control thread with its outcome.
  void Load(LoadRequest request, Done done);
  void Unload(std::string model, Done done);

  // Live versions (READY) and the models a command is working on or left without a live version
  // (LOADING, UNLOADING, UNAVAILABLE with the reason), by name then version.
  std::vector<ModelStatus> Index() const;
  ModelControlMode mode() const { return options_.mode; }

  core::Status LoadNow(const LoadRequest& request);
  core::Status UnloadNow(const std::string& model);
  // One poll of the source (poll mode); false when the poll itself failed.
  bool PollOnce();

 private:
  // What the admin said about a model, over what the source says.
  struct Override {
    bool unloaded = false;  // poll mode: pinned out until loaded again
    AspiredModel model;     // else: serve exactly this
  };
  struct Command {
    bool load = true;
    LoadRequest request;  // the model name is request.model for both kinds
    Done done;
  };

  // The source's models with the overrides on top; Apply of that, logging what changed.
  std::vector<core::Status> ApplyAll();
  // Queues `command`, or answers it kCancelled once Stop has begun.
  void Enqueue(Command command);
  core::Result<AspiredModel> Resolve(const LoadRequest& request);
  void SetStatus(const std::string& model, std::optional<int64_t> version, std::string state,
                 std::string reason);
  void ClearStatus(const std::string& model);
  void Loop();
  void Log(const std::string& line) const;

  ModelControlOptions options_;
  ServableManager& manager_;
  ModelSource& source_;
  bool running_ = false;  // the source has been told the server listens (OnLive may be called)

  // Owned by the control thread (or the caller of Start / *Now before Run).
  std::vector<AspiredModel> polled_;  // the source's last successful poll (poll mode)
  std::map<std::string, Override> overrides_;

  mutable std::mutex status_mutex_;
  std::map<std::string, ModelStatus> status_;  // model -> a state that is not simply READY

  std::mutex queue_mutex_;
  std::condition_variable wake_;
  std::deque<Command> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kiln::serve
