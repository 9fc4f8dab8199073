// Registry<Factory>: name -> factory, ParamSpec, description and capabilities.
//
// Registration is an explicit call (e.g. RegisterBuiltinAlgorithms(registry)), never a static
// initialiser, and a registry is an object the caller owns — two registries can coexist in one
// process. Register() is not thread-safe; lookups are (the registry is read-only after setup).
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "kiln/core/param_spec.h"
#include "kiln/core/result.h"
#include "kiln/core/strings.h"

namespace kiln::core {

template <typename Factory>
class Registry {
 public:
  struct Entry {
    std::string name;
    std::string description;
    ParamSpec params;
    std::vector<std::string> capabilities;  // "sparse", "weights", "online", "multiclass", ...
    Factory factory;

    bool Has(std::string_view capability) const {
      return std::find(capabilities.begin(), capabilities.end(), capability) != capabilities.end();
    }
  };

  // `kind` names what is registered ("algorithm", "component") in error messages.
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  // Fails if the name is taken or the ParamSpec is malformed.
  Status Register(Entry entry) {
    if (entry.name.empty()) return Internal("a {} was registered without a name", kind_);
    if (entries_.count(entry.name))
      return AlreadyExists("{} '{}' is registered twice", kind_, entry.name);
    KILN_RETURN_IF_ERROR(entry.params.Validate());
    std::string name = entry.name;
    entries_.emplace(std::move(name), std::move(entry));
    return Status::Ok();
  }

  // nullptr if unknown.
  const Entry* Find(std::string_view name) const {
    auto it = entries_.find(std::string(name));
    return it == entries_.end() ? nullptr : &it->second;
  }

  // An error listing the known names (and a likely typo) if unknown.
  Result<const Entry*> Get(std::string_view name) const {
    if (const Entry* e = Find(name)) return e;
    std::vector<std::string> names = Names();
    std::string best = ClosestMatch(name, names);
    return NotFound("unknown {} '{}'{}; known: {}", kind_, name,
                    best.empty() ? "" : " (did you mean '" + best + "'?)", Join(names, ", "));
  }

  // Sorted by name.
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& [name, _] : entries_) out.push_back(name);
    return out;
  }
  std::vector<const Entry*> List() const {
    std::vector<const Entry*> out;
    for (const auto& [_, e] : entries_) out.push_back(&e);
    return out;
  }
  size_t size() const { return entries_.size(); }
  const std::string& kind() const { return kind_; }

 private:
  std::string kind_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace kiln::core
