// sql: a SQL query over datasets, run by an in-memory SQLite database. The input `data` is the
// table `data` (and `other`, when bound, the table `other`), with its feature columns, the label
// and the weights under their names; numeric columns are REAL, categorical ones TEXT, missing
// values NULL. The result becomes a dataset: a column holding any text is categorical, others
// numeric; the label column (param `label`, default the input's) becomes the label again.
#include <sqlite3.h>

#include <cmath>
#include <memory>
#include <unordered_map>

#include <fmt/format.h>

#include "common.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct StmtCloser {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtCloser>;

std::string Quote(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Status SqlError(sqlite3* db, std::string_view what) {
  return core::InvalidArgument("sql: {}: {}", what, sqlite3_errmsg(db));
}

Result<Stmt> Prepare(sqlite3* db, const std::string& sql, std::string_view what) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    sqlite3_finalize(raw);
    return SqlError(db, what);
  }
  return Stmt(raw);
}

Status Exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    return core::Internal("sql: {}: {}", sql.substr(0, 80), message);
  }
  return Status::Ok();
}

std::string WeightName(const data::Dataset& ds) {
  return ds.schema().weight.empty() ? "weight" : ds.schema().weight;
}

// Loads a dataset into table `name`.
Status Load(sqlite3* db, const std::string& name, const data::Dataset& ds, StepContext& step) {
  KILN_RETURN_IF_ERROR(RequireDense(ds, "sql"));
  std::vector<const data::Column*> cols;
  for (const data::Column& c : ds.columns()) cols.push_back(&c);
  if (ds.label() != nullptr) cols.push_back(ds.label());
  std::string create = "CREATE TABLE " + Quote(name) + " (";
  std::string insert = "INSERT INTO " + Quote(name) + " VALUES (";
  for (size_t i = 0; i < cols.size(); ++i) {
    create += (i ? ", " : "") + Quote(cols[i]->name) +
              (cols[i]->type == data::ColumnType::kNumeric ? " REAL" : " TEXT");
    insert += i ? ", ?" : "?";
  }
  if (ds.has_weights()) {
    create += (cols.empty() ? "" : ", ") + Quote(WeightName(ds)) + " REAL";
    insert += cols.empty() ? "?" : ", ?";
  }
  KILN_RETURN_IF_ERROR(Exec(db, create + ")"));
  KILN_ASSIGN_OR_RETURN(Stmt stmt, Prepare(db, insert + ")", "inserting rows"));
  KILN_RETURN_IF_ERROR(Exec(db, "BEGIN"));
  for (size_t r = 0; r < ds.num_rows(); ++r) {
    for (size_t i = 0; i < cols.size(); ++i) {
      const data::Column& c = *cols[i];
      const int pos = static_cast<int>(i) + 1;
      if (c.IsMissing(r)) {
        sqlite3_bind_null(stmt.get(), pos);
      } else if (c.type == data::ColumnType::kNumeric) {
        sqlite3_bind_double(stmt.get(), pos, c.values[r]);
      } else {
        const std::string& text = c.categories[static_cast<size_t>(c.codes[r])];
        sqlite3_bind_text(stmt.get(), pos, text.data(), static_cast<int>(text.size()),
                          SQLITE_STATIC);
      }
    }
    if (ds.has_weights())
      sqlite3_bind_double(stmt.get(), static_cast<int>(cols.size()) + 1, ds.weights()[r]);
    if (sqlite3_step(stmt.get()) != SQLITE_DONE) return SqlError(db, "inserting rows");
    sqlite3_reset(stmt.get());
    if ((r & 0xffff) == 0) KILN_RETURN_IF_ERROR(step.ctx().CheckCancelled("sql"));
  }
  return Exec(db, "COMMIT");
}

// One result column as it is read: numbers, or texts once any text appears.
struct Builder {
  std::string name;
  bool text = false;
  std::vector<float> numbers;
  std::vector<int32_t> codes;
  std::vector<std::string> categories;
  std::unordered_map<std::string, int32_t> index;

  int32_t Code(const std::string& s) {
    auto [it, fresh] = index.emplace(s, static_cast<int32_t>(categories.size()));
    if (fresh) categories.push_back(s);
    return it->second;
  }
  // Switches to text, turning the numbers read so far into texts.
  void ToText() {
    text = true;
    for (float v : numbers) codes.push_back(std::isnan(v) ? -1 : Code(fmt::format("{}", v)));
    numbers.clear();
  }
  data::Column Build() {
    if (text) return data::Column::Categorical(name, std::move(codes), std::move(categories));
    return data::Column::Numeric(name, std::move(numbers));
  }
};

class Sql final : public Component {
 public:
  explicit Sql(const core::ParamMap& params) : params_(params) {}

  Status Run(StepContext& step) override {
    sqlite3* raw = nullptr;
    if (sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
      sqlite3_close(raw);
      return core::Internal("sql: cannot open an in-memory SQLite database");
    }
    Db db(raw);
    KILN_ASSIGN_OR_RETURN(data::Dataset ds, step.ReadDataset(step.Input("data")));
    KILN_RETURN_IF_ERROR(Load(db.get(), "data", ds, step));
    if (step.HasInput("other")) {
      KILN_ASSIGN_OR_RETURN(data::Dataset other, step.ReadDataset(step.Input("other")));
      KILN_RETURN_IF_ERROR(Load(db.get(), "other", other, step));
    }
    const std::string& query = params_.GetString("query");
    KILN_ASSIGN_OR_RETURN(Stmt stmt, Prepare(db.get(), query, "in the query"));
    if (sqlite3_stmt_readonly(stmt.get()) == 0 || sqlite3_column_count(stmt.get()) == 0)
      return core::InvalidArgument("sql: the query must be a SELECT that returns columns");
    const int ncol = sqlite3_column_count(stmt.get());
    std::vector<Builder> out(static_cast<size_t>(ncol));
    for (int c = 0; c < ncol; ++c)
      out[static_cast<size_t>(c)].name = sqlite3_column_name(stmt.get(), c);
    size_t rows = 0;
    for (int rc; (rc = sqlite3_step(stmt.get())) != SQLITE_DONE; ++rows) {
      if (rc != SQLITE_ROW) return SqlError(db.get(), "running the query");
      for (int c = 0; c < ncol; ++c) {
        Builder& b = out[static_cast<size_t>(c)];
        const int type = sqlite3_column_type(stmt.get(), c);
        if (type == SQLITE_TEXT && !b.text) b.ToText();
        if (type == SQLITE_NULL) {
          b.text ? b.codes.push_back(-1) : b.numbers.push_back(NAN);
        } else if (b.text) {
          const char* s = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), c));
          b.codes.push_back(b.Code(type == SQLITE_TEXT
                                       ? std::string(s)
                                       : fmt::format("{}", sqlite3_column_double(stmt.get(), c))));
        } else if (type == SQLITE_BLOB) {
          return core::InvalidArgument("sql: column '{}' of the result holds a blob", b.name);
        } else {
          b.numbers.push_back(static_cast<float>(sqlite3_column_double(stmt.get(), c)));
        }
      }
      if ((rows & 0xffff) == 0) KILN_RETURN_IF_ERROR(step.ctx().CheckCancelled("sql"));
    }
    if (rows == 0) return core::DataError("sql: the query returned no rows");
    const std::string label = params_.GetString("label").empty() && ds.label() != nullptr
                                  ? ds.label()->name
                                  : params_.GetString("label");
    const std::string weight = ds.has_weights() ? WeightName(ds) : params_.GetString("weight");
    std::vector<data::Column> features;
    std::optional<data::Column> label_column;
    std::vector<float> weights;
    for (Builder& b : out) {
      if (!label.empty() && b.name == label) {
        label_column = b.Build();
      } else if (!weight.empty() && b.name == weight && !b.text) {
        weights = std::move(b.numbers);
      } else {
        features.push_back(b.Build());
      }
    }
    if (!params_.GetString("label").empty() && !label_column)
      return core::InvalidArgument("sql: the result has no column '{}' for the label", label);
    data::Dataset result = data::Dataset::Dense(std::move(features), std::move(label_column),
                                                core::Array<float>(std::move(weights)));
    step.Note(fmt::format("{} rows x {} columns", rows, ncol));
    return step.WriteDataset("data", result);
  }

 private:
  core::ParamMap params_;
};

}  // namespace

Status RegisterSql(ComponentRegistry& registry) {
  core::ParamSpec p("sql");
  p.String("query", "",
           "a SELECT over table `data` (and `other`), e.g. SELECT contract, AVG(tenure) AS "
           "tenure, churn FROM data GROUP BY contract, churn");
  p.String("label", "", "the result column that is the label (default: the input's label)");
  p.String("weight", "", "the result column of sample weights (default: the input's)");
  ComponentFactory f;
  f.category = "data";
  f.inputs = {{"data", ArtifactType::kDataset, "table `data`"},
              {"other", ArtifactType::kDataset, "table `other` (for joins)", true}};
  f.outputs = {{"data", ArtifactType::kDataset, "the query's result"}};
  f.create = Make<Sql>();
  f.check = [](const core::ParamMap& params) -> Status {
    if (params.GetString("query").empty())
      return core::InvalidArgument("param 'query' is required");
    return Status::Ok();
  };
  return Add(registry, "sql", "Run a SQL query (SQLite) over datasets", std::move(p), std::move(f));
}

}  // namespace kiln::pipeline
