#include "kiln/ml/feature_encoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "kiln/core/strings.h"
#include "kiln/data/feature_hashing.h"
#include "kiln/dist/agreement.h"

namespace kiln::ml {
namespace {

using data::Column;
using data::ColumnType;

std::string_view KindName(FeatureEncoder::Kind kind) {
  switch (kind) {
    case FeatureEncoder::Kind::kNumeric:
      return "numeric";
    case FeatureEncoder::Kind::kOneHot:
      return "onehot";
    case FeatureEncoder::Kind::kHashed:
      return "hashed";
  }
  return "numeric";
}

std::string Where(const data::DatasetView& view) {
  const auto& path = view.dataset().source().path;
  return path.empty() ? "dataset" : path;
}

// A dense input column resolved against a plan column: how to read values or local indices.
struct Resolved {
  const Column* col = nullptr;
  std::vector<float> code_values;  // numeric plan, text data: parsed value per dataset code
  std::vector<int32_t> remap;      // categorical plan, text data: dataset code -> local index
  std::vector<int32_t> row_local;  // categorical plan, numeric data: local index per view row
};

}  // namespace

size_t FeatureEncoder::ColumnPlan::width() const {
  switch (kind) {
    case Kind::kNumeric:
      return indicator ? 2 : 1;
    case Kind::kOneHot:
      return categories.size();
    case Kind::kHashed:
      return buckets;
  }
  return 0;
}

namespace {

std::string_view TypeName(ColumnType type) {
  return type == ColumnType::kNumeric ? "numeric" : "categorical";
}

// What every rank's data must agree on before the encoders can be merged: dense or sparse, and
// the feature columns with their types, in order.
std::vector<std::string> Signature(const data::Dataset& ds) {
  std::vector<std::string> sig;
  if (ds.is_sparse()) {
    sig.push_back(fmt::format("sparse (LibSVM, index base {})", ds.schema().index_base));
    return sig;
  }
  sig.push_back("dense");
  for (const Column& col : ds.columns())
    sig.push_back(fmt::format("{} ({})", col.name, TypeName(col.type)));
  return sig;
}

core::Status CheckSameSignature(dist::Collective& collective, const data::DatasetView& view) {
  KILN_ASSIGN_OR_RETURN(auto all, dist::AllGatherStrings(collective, Signature(view.dataset())));
  for (size_t r = 1; r < all.size(); ++r) {
    if (all[r] == all[0]) continue;
    const auto& a = all[0];
    const auto& b = all[r];
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    auto at = [](const std::vector<std::string>& v, size_t j) {
      return j < v.size() ? v[j] : std::string("missing");
    };
    if (i == 0) {
      return core::InvalidArgument(
          "the ranks' data disagree: rank 0 has {} data where rank {} has {} data; every rank's "
          "shard must be in the same form",
          at(a, 0), r, at(b, 0));
    }
    return core::InvalidArgument(
        "the ranks' data disagree: feature column {} is {} on rank 0 but {} on rank {}; every "
        "rank's shard must have the same columns with the same types, in the same order (rank "
        "0 has {} feature columns, rank {} has {})",
        i, at(a, i), at(b, i), r, a.size() - 1, r, b.size() - 1);
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<FeatureEncoder> FeatureEncoder::Fit(const data::DatasetView& view,
                                                 const FeatureEncoderOptions& options,
                                                 dist::Collective* collective) {
  FeatureEncoder enc;
  enc.options_ = options;
  const data::Dataset& ds = view.dataset();
  if (collective != nullptr) KILN_RETURN_IF_ERROR(CheckSameSignature(*collective, view));
  if (ds.is_sparse()) {
    enc.sparse_ = true;
    enc.index_base_ = ds.schema().index_base;
    enc.num_features_ = ds.csr().num_cols;
    if (collective != nullptr) {
      int64_t cols = static_cast<int64_t>(enc.num_features_);
      KILN_RETURN_IF_ERROR(
          collective->AllReduce(std::span<int64_t>(&cols, 1), dist::ReduceOp::kMax));
      enc.num_features_ = static_cast<size_t>(cols);
    }
    if (enc.num_features_ == 0) {
      return core::DataError("{}: the sparse data has no features (every row is empty)",
                             Where(view));
    }
    return enc;
  }
  if (ds.columns().empty()) {
    return core::DataError("{}: the data has no feature columns (only a label?)", Where(view));
  }
  const size_t n = view.size();
  const size_t m = ds.columns().size();
  // Numeric columns: sums and counts of the present values, then (around the mean of every
  // rank's rows) sums of squared deviations — the same two passes as one process, summed over
  // ranks. Categorical columns: the categories used, merged over ranks.
  std::vector<double> sum(m, 0.0), ss(m, 0.0);
  std::vector<int64_t> count(m + 1, 0);  // [m] = rows
  count[m] = static_cast<int64_t>(n);
  std::vector<std::vector<std::string>> used_cats(m);
  for (size_t j = 0; j < m; ++j) {
    const Column& col = ds.columns()[j];
    if (col.type == ColumnType::kNumeric) {
      for (size_t i = 0; i < n; ++i) {
        const float v = col.values[view.row(i)];
        if (std::isnan(v)) continue;
        sum[j] += v;
        ++count[j];
      }
    } else {
      std::vector<char> used(col.categories.size(), 0);
      for (size_t i = 0; i < n; ++i) {
        const int32_t c = col.codes[view.row(i)];
        if (c >= 0) used[static_cast<size_t>(c)] = 1;
      }
      for (size_t c = 0; c < used.size(); ++c) {
        if (used[c]) used_cats[j].push_back(col.categories[c]);
      }
    }
  }
  if (collective != nullptr) {
    KILN_RETURN_IF_ERROR(collective->AllReduce(std::span<double>(sum), dist::ReduceOp::kSum));
    KILN_RETURN_IF_ERROR(collective->AllReduce(std::span<int64_t>(count), dist::ReduceOp::kSum));
    // One exchange for every categorical column: per column its count, then its categories.
    std::vector<std::string> flat;
    for (size_t j = 0; j < m; ++j) {
      if (ds.columns()[j].type == ColumnType::kNumeric) continue;
      flat.push_back(std::to_string(used_cats[j].size()));
      flat.insert(flat.end(), used_cats[j].begin(), used_cats[j].end());
    }
    KILN_ASSIGN_OR_RETURN(auto all, dist::AllGatherStrings(*collective, flat));
    std::vector<std::set<std::string>> merged(m);
    for (const auto& rank_flat : all) {
      size_t at = 0;
      for (size_t j = 0; j < m; ++j) {
        if (ds.columns()[j].type == ColumnType::kNumeric) continue;
        const size_t k = at < rank_flat.size() ? std::stoul(rank_flat[at]) : 0;
        if (at + 1 + k > rank_flat.size()) {
          return core::Internal("FeatureEncoder::Fit: a rank sent malformed categories");
        }
        merged[j].insert(rank_flat.begin() + static_cast<long>(at + 1),
                         rank_flat.begin() + static_cast<long>(at + 1 + k));
        at += 1 + k;
      }
    }
    for (size_t j = 0; j < m; ++j) used_cats[j].assign(merged[j].begin(), merged[j].end());
  }
  const size_t total_rows = static_cast<size_t>(count[m]);
  std::vector<double> mean(m, 0.0);
  for (size_t j = 0; j < m; ++j) {
    const Column& col = ds.columns()[j];
    if (col.type != ColumnType::kNumeric) continue;
    mean[j] = count[j] > 0 ? sum[j] / static_cast<double>(count[j]) : 0.0;
    for (size_t i = 0; i < n; ++i) {
      const float v = col.values[view.row(i)];
      if (!std::isnan(v)) ss[j] += (v - mean[j]) * (v - mean[j]);
    }
  }
  if (collective != nullptr) {
    KILN_RETURN_IF_ERROR(collective->AllReduce(std::span<double>(ss), dist::ReduceOp::kSum));
  }
  size_t offset = 0;
  for (size_t j = 0; j < m; ++j) {
    const Column& col = ds.columns()[j];
    ColumnPlan plan;
    plan.name = col.name;
    plan.offset = offset;
    if (col.type == ColumnType::kNumeric) {
      plan.kind = Kind::kNumeric;
      const size_t present = static_cast<size_t>(count[j]);
      plan.indicator = present < total_rows;
      plan.mean = mean[j];
      const double sd = present > 0 ? std::sqrt(ss[j] / static_cast<double>(present)) : 0.0;
      // As sklearn's StandardScaler: a (near) constant column keeps scale 1.
      plan.scale = options.standardize && sd > 10 * std::numeric_limits<double>::epsilon() *
                                                   std::max(1.0, std::abs(plan.mean))
                       ? sd
                       : 1.0;
    } else {
      std::vector<std::string> cats = std::move(used_cats[j]);
      std::sort(cats.begin(), cats.end());
      if (static_cast<int64_t>(cats.size()) <= options.max_onehot) {
        plan.kind = Kind::kOneHot;
        plan.categories = std::move(cats);
      } else {
        plan.kind = Kind::kHashed;
        plan.buckets = static_cast<uint32_t>(std::max<int64_t>(1, options.hash_buckets));
      }
    }
    offset += plan.width();
    enc.columns_.push_back(std::move(plan));
  }
  enc.num_features_ = offset;
  return enc;
}

std::vector<std::string> FeatureEncoder::FeatureNames() const {
  std::vector<std::string> names;
  names.reserve(num_features_);
  if (sparse_) {
    for (size_t j = 0; j < num_features_; ++j)
      names.push_back(fmt::format("f{}", j + static_cast<size_t>(index_base_)));
    return names;
  }
  for (const ColumnPlan& p : columns_) {
    switch (p.kind) {
      case Kind::kNumeric:
        names.push_back(p.name);
        if (p.indicator) names.push_back(p.name + ":missing");
        break;
      case Kind::kOneHot:
        for (const auto& c : p.categories) names.push_back(p.name + "=" + c);
        break;
      case Kind::kHashed:
        for (uint32_t b = 0; b < p.buckets; ++b) names.push_back(fmt::format("{}#{}", p.name, b));
        break;
    }
  }
  return names;
}

void FeatureEncoder::ToRawUnits(std::span<const double> weights, double intercept,
                                std::vector<double>* raw, double* raw_intercept) const {
  raw->assign(weights.begin(), weights.end());
  double b = intercept;
  for (const ColumnPlan& p : columns_) {
    if (p.kind != Kind::kNumeric) continue;
    const double w = weights[p.offset] / p.scale;
    (*raw)[p.offset] = w;
    if (options_.standardize) b -= w * p.mean;
  }
  *raw_intercept = b;
}

core::Result<DesignMatrix> FeatureEncoder::Transform(const data::DatasetView& view,
                                                     core::ThreadPool& pool) const {
  const bool data_sparse = view.dataset().is_sparse();
  if (data_sparse != sparse_) {
    return core::InvalidArgument(
        "{}: the model was trained on {} data, but this data is {}; give it data in the same "
        "form (a CSV table or a LibSVM file) as the training data",
        Where(view), sparse_ ? "sparse (LibSVM)" : "tabular (CSV)",
        data_sparse ? "sparse (LibSVM)" : "tabular (CSV)");
  }
  return sparse_ ? TransformSparse(view) : TransformDense(view, pool);
}

core::Result<DesignMatrix> FeatureEncoder::TransformSparse(const data::DatasetView& view) const {
  const data::CsrMatrix& csr = view.dataset().csr();
  if (view.all_rows() && csr.num_cols <= num_features_) {
    return DesignMatrix::Sparse(num_features_, csr.indptr, csr.indices, csr.values);
  }
  std::vector<uint64_t> indptr(view.size() + 1, 0);
  std::vector<uint32_t> indices;
  std::vector<float> values;
  for (size_t i = 0; i < view.size(); ++i) {
    const size_t r = view.row(i);
    for (uint64_t p = csr.RowBegin(r); p < csr.RowEnd(r); ++p) {
      if (csr.indices[p] >= num_features_) break;  // sorted: the rest are beyond too
      indices.push_back(csr.indices[p]);
      values.push_back(csr.values[p]);
    }
    indptr[i + 1] = indices.size();
  }
  return DesignMatrix::Sparse(num_features_, core::Array<uint64_t>(std::move(indptr)),
                              core::Array<uint32_t>(std::move(indices)),
                              core::Array<float>(std::move(values)));
}

core::Result<DesignMatrix> FeatureEncoder::TransformDense(const data::DatasetView& view,
                                                          core::ThreadPool& pool) const {
  const data::Dataset& ds = view.dataset();
  const size_t n = view.size();
  std::vector<Resolved> resolved(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    const ColumnPlan& p = columns_[c];
    const int idx = ds.FindColumn(p.name);
    if (idx < 0) {
      std::vector<std::string> have;
      for (const auto& col : ds.columns()) have.push_back(col.name);
      const std::string guess = core::ClosestMatch(p.name, have);
      return core::InvalidArgument(
          "{}: column '{}' is missing; the model was trained with it{}. Columns found: {}",
          Where(view), p.name, guess.empty() ? "" : " (renamed to '" + guess + "'?)",
          core::Excerpt(core::Join(have, ", "), 400));
    }
    Resolved& r = resolved[c];
    r.col = &ds.columns()[static_cast<size_t>(idx)];
    const Column& col = *r.col;
    if (p.kind == Kind::kNumeric) {
      if (col.type == ColumnType::kCategorical) {
        // Text that still reads as numbers (e.g. a file whose numbers are quoted) is accepted.
        r.code_values.resize(col.categories.size());
        for (size_t k = 0; k < col.categories.size(); ++k) {
          auto v = core::ParseDouble(col.categories[k]);
          if (!v || !std::isfinite(*v)) {
            size_t row = 0;
            for (size_t i = 0; i < n; ++i) {
              if (col.codes[view.row(i)] == static_cast<int32_t>(k)) {
                row = view.row(i);
                break;
              }
            }
            return core::DataError(
                "{}: column '{}' has the text value '{}', but the model was trained with '{}' as "
                "a numeric column",
                ds.Where(row), p.name, core::Excerpt(col.categories[k]), p.name);
          }
          r.code_values[k] = static_cast<float>(*v);
        }
      }
      continue;
    }
    std::unordered_map<std::string_view, int32_t> local;
    if (p.kind == Kind::kOneHot) {
      for (size_t k = 0; k < p.categories.size(); ++k)
        local.emplace(p.categories[k], static_cast<int32_t>(k));
    }
    auto lookup = [&](std::string_view text) -> int32_t {
      if (p.kind == Kind::kHashed)
        return static_cast<int32_t>(data::HashFeature(p.name, text, p.buckets));
      auto it = local.find(text);
      return it == local.end() ? -1 : it->second;
    };
    if (col.type == ColumnType::kCategorical) {
      r.remap.resize(col.categories.size());
      for (size_t k = 0; k < col.categories.size(); ++k) r.remap[k] = lookup(col.categories[k]);
    } else {
      r.row_local.resize(n);
      std::unordered_map<uint32_t, int32_t> cache;
      for (size_t i = 0; i < n; ++i) {
        const float v = col.values[view.row(i)];
        if (std::isnan(v)) {
          r.row_local[i] = -1;
          continue;
        }
        uint32_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        auto it = cache.find(bits);
        if (it == cache.end()) it = cache.emplace(bits, lookup(core::FormatDouble(v))).first;
        r.row_local[i] = it->second;
      }
    }
  }

  // Value of numeric plan column c at view row i, and local index of a categorical one.
  auto numeric_value = [&](size_t c, size_t i) -> float {
    const Column& col = *resolved[c].col;
    if (col.type == ColumnType::kNumeric) return col.values[view.row(i)];
    const int32_t code = col.codes[view.row(i)];
    return code < 0 ? std::numeric_limits<float>::quiet_NaN()
                    : resolved[c].code_values[static_cast<size_t>(code)];
  };
  auto local_index = [&](size_t c, size_t i) -> int32_t {
    const Resolved& r = resolved[c];
    if (r.col->type == ColumnType::kNumeric) return r.row_local[i];
    const int32_t code = r.col->codes[view.row(i)];
    return code < 0 ? -1 : r.remap[static_cast<size_t>(code)];
  };
  auto encode = [&](const ColumnPlan& p, float v) -> float { return EncodeNumeric(p, v); };

  // Dense when compact: few features, or at least a tenth of the entries non-zero.
  const size_t d = num_features_;
  size_t per_row = 0;
  for (const ColumnPlan& p : columns_) per_row += p.kind == Kind::kNumeric && p.indicator ? 2 : 1;
  const bool dense = (d <= 512 || per_row * 10 >= d) && n * d <= (size_t{1} << 31);
  if (dense) {
    std::vector<float> x(n * d, 0.0f);
    core::ParallelForBlocks(pool, 0, columns_.size(), 1, [&](size_t begin, size_t end, size_t) {
      for (size_t c = begin; c < end; ++c) {
        const ColumnPlan& p = columns_[c];
        float* out = x.data() + p.offset * n;
        if (p.kind == Kind::kNumeric) {
          for (size_t i = 0; i < n; ++i) {
            const float v = numeric_value(c, i);
            out[i] = encode(p, v);
            if (p.indicator) out[n + i] = std::isnan(v) ? 1.0f : 0.0f;
          }
        } else {
          for (size_t i = 0; i < n; ++i) {
            const int32_t k = local_index(c, i);
            if (k >= 0) out[static_cast<size_t>(k) * n + i] = 1.0f;
          }
        }
      }
    });
    return DesignMatrix::Dense(n, d, core::Array<float>(std::move(x)));
  }

  // CSR: rows are built in column order, and columns occupy increasing feature ranges, so
  // indices come out sorted.
  std::vector<uint64_t> indptr(n + 1, 0);
  auto row_entries = [&](size_t i, auto&& emit) {
    for (size_t c = 0; c < columns_.size(); ++c) {
      const ColumnPlan& p = columns_[c];
      if (p.kind == Kind::kNumeric) {
        const float v = numeric_value(c, i);
        const float e = encode(p, v);
        if (e != 0.0f) emit(p.offset, e);
        if (p.indicator && std::isnan(v)) emit(p.offset + 1, 1.0f);
      } else {
        const int32_t k = local_index(c, i);
        if (k >= 0) emit(p.offset + static_cast<size_t>(k), 1.0f);
      }
    }
  };
  core::ParallelForBlocks(pool, 0, n, 8192, [&](size_t begin, size_t end, size_t) {
    for (size_t i = begin; i < end; ++i) {
      uint64_t count = 0;
      row_entries(i, [&](size_t, float) { ++count; });
      indptr[i + 1] = count;
    }
  });
  for (size_t i = 0; i < n; ++i) indptr[i + 1] += indptr[i];
  std::vector<uint32_t> indices(indptr[n]);
  std::vector<float> values(indptr[n]);
  core::ParallelForBlocks(pool, 0, n, 8192, [&](size_t begin, size_t end, size_t) {
    for (size_t i = begin; i < end; ++i) {
      uint64_t q = indptr[i];
      row_entries(i, [&](size_t j, float v) {
        indices[q] = static_cast<uint32_t>(j);
        values[q] = v;
        ++q;
      });
    }
  });
  return DesignMatrix::Sparse(d, core::Array<uint64_t>(std::move(indptr)),
                              core::Array<uint32_t>(std::move(indices)),
                              core::Array<float>(std::move(values)));
}

nlohmann::json FeatureEncoder::ToJson() const {
  nlohmann::json j = {{"sparse", sparse_},
                      {"num_features", num_features_},
                      {"standardize", options_.standardize},
                      {"max_onehot", options_.max_onehot},
                      {"hash_buckets", options_.hash_buckets},
                      {"index_base", index_base_}};
  nlohmann::json cols = nlohmann::json::array();
  for (const ColumnPlan& p : columns_) {
    nlohmann::json c = {{"name", p.name}, {"kind", KindName(p.kind)}};
    if (p.kind == Kind::kNumeric) {
      c["mean"] = p.mean;
      c["scale"] = p.scale;
      c["indicator"] = p.indicator;
    } else if (p.kind == Kind::kOneHot) {
      c["categories"] = p.categories;
    } else {
      c["buckets"] = p.buckets;
    }
    cols.push_back(std::move(c));
  }
  j["columns"] = std::move(cols);
  return j;
}

core::Result<FeatureEncoder> FeatureEncoder::FromJson(const nlohmann::json& j) {
  auto bad = [](std::string_view what) {
    return core::Corrupt("the model's feature encoder is damaged: {}", what);
  };
  if (!j.is_object()) return bad("not an object");
  try {
    FeatureEncoder enc;
    enc.sparse_ = j.at("sparse").get<bool>();
    enc.num_features_ = j.at("num_features").get<size_t>();
    enc.options_.standardize = j.at("standardize").get<bool>();
    enc.options_.max_onehot = j.at("max_onehot").get<int64_t>();
    enc.options_.hash_buckets = j.at("hash_buckets").get<int64_t>();
    enc.index_base_ = j.value("index_base", 1);
    size_t offset = 0;
    for (const auto& c : j.at("columns")) {
      ColumnPlan p;
      p.name = c.at("name").get<std::string>();
      p.offset = offset;
      const std::string kind = c.at("kind").get<std::string>();
      if (kind == "numeric") {
        p.kind = Kind::kNumeric;
        p.mean = c.at("mean").get<double>();
        p.scale = c.at("scale").get<double>();
        p.indicator = c.at("indicator").get<bool>();
        if (!(p.scale > 0) || !std::isfinite(p.mean)) return bad("bad scale for " + p.name);
      } else if (kind == "onehot") {
        p.kind = Kind::kOneHot;
        p.categories = c.at("categories").get<std::vector<std::string>>();
      } else if (kind == "hashed") {
        p.kind = Kind::kHashed;
        p.buckets = c.at("buckets").get<uint32_t>();
        if (p.buckets == 0) return bad("zero hash buckets for " + p.name);
      } else {
        return bad("unknown column kind '" + kind + "'");
      }
      offset += p.width();
      enc.columns_.push_back(std::move(p));
    }
    if (!enc.sparse_ && offset != enc.num_features_) return bad("feature count mismatch");
    if (enc.sparse_ && !enc.columns_.empty()) return bad("sparse encoder with columns");
    return enc;
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
}

}  // namespace kiln::ml
