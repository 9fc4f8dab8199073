// Diagnostics: the problems found while parsing or validating a pipeline, collected so that one
// `kiln validate` reports all of them, each prefixed with file:line:column. Private to
// src/pipeline.
#pragma once

#include <string>
#include <vector>

#include <fmt/format.h>

#include "kiln/core/status.h"
#include "kiln/pipeline/spec.h"

namespace kiln::pipeline {

class Diagnostics {
 public:
  template <typename... Args>
  void Add(const SourceLocation& where, fmt::format_string<Args...> f, Args&&... args) {
    lines_.push_back(where.Prefix() + fmt::format(f, std::forward<Args>(args)...));
  }
  void AddLine(std::string line) { lines_.push_back(std::move(line)); }
  bool empty() const { return lines_.empty(); }
  size_t size() const { return lines_.size(); }
  // OK when empty; otherwise `code` with one problem per line (a count first when several).
  core::Status ToStatus(core::StatusCode code) const;

 private:
  std::vector<std::string> lines_;
};

}  // namespace kiln::pipeline
