-- Kiln MetaStore, version 1: projects, experiments, runs (params, tags, metric series,
-- artifacts), dataset versions, the model registry with aliases, deployments and lineage.
-- One file for both dialects: ${ID} is the dialect's auto-increment primary key (ids are never
-- reused, even after a delete). Times are milliseconds since the Unix epoch (UTC).

-- The store's identity (one row): artifacts of this store live under
-- $KILN_HOME/artifacts/<store_id>, so garbage collection never sees another store's blobs.
CREATE TABLE kiln_store (
  singleton BIGINT PRIMARY KEY CHECK (singleton = 1),
  store_id TEXT NOT NULL,
  created_ms BIGINT NOT NULL
);

CREATE TABLE projects (
  id ${ID},
  name TEXT NOT NULL UNIQUE,
  created_ms BIGINT NOT NULL
);

CREATE TABLE experiments (
  id ${ID},
  project_id BIGINT NOT NULL REFERENCES projects (id),
  name TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  UNIQUE (project_id, name)
);

CREATE TABLE runs (
  id ${ID},
  experiment_id BIGINT NOT NULL REFERENCES experiments (id),
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  start_ms BIGINT NOT NULL,
  end_ms BIGINT,
  command TEXT NOT NULL,
  kiln_version TEXT NOT NULL,
  host TEXT NOT NULL,
  pid BIGINT NOT NULL,
  pid_start BIGINT NOT NULL,
  message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_experiment ON runs (experiment_id, id);
-- Runs still going, by host: what a new kiln process checks for abandoned runs on every open.
CREATE INDEX runs_running ON runs (host) WHERE status = 'running';

CREATE TABLE run_params (
  run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE INDEX run_params_by_key ON run_params (key, value, run_id);

CREATE TABLE run_tags (
  run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
);

-- Every metric point; latest_metrics keeps the last point of each series so that listing and
-- ordering runs never reads the series.
CREATE TABLE metrics (
  run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  step BIGINT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  time_ms BIGINT NOT NULL
);
CREATE INDEX metrics_by_run ON metrics (run_id, key, step);

CREATE TABLE latest_metrics (
  run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  step BIGINT NOT NULL,
  time_ms BIGINT NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE INDEX latest_metrics_by_key ON latest_metrics (key, value, run_id);

CREATE TABLE run_artifacts (
  run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  uri TEXT NOT NULL,
  size_bytes BIGINT NOT NULL,
  PRIMARY KEY (run_id, name)
);
CREATE INDEX run_artifacts_by_uri ON run_artifacts (uri);

CREATE TABLE datasets (
  id ${ID},
  project_id BIGINT NOT NULL REFERENCES projects (id),
  name TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  UNIQUE (project_id, name)
);

CREATE TABLE dataset_versions (
  id ${ID},
  dataset_id BIGINT NOT NULL REFERENCES datasets (id),
  version BIGINT NOT NULL,
  content_hash TEXT NOT NULL,
  source_path TEXT NOT NULL,
  format TEXT NOT NULL,
  size_bytes BIGINT NOT NULL,
  num_rows BIGINT NOT NULL,
  num_columns BIGINT NOT NULL,
  schema_json TEXT NOT NULL,
  stats_json TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  UNIQUE (dataset_id, version),
  UNIQUE (dataset_id, content_hash)
);
CREATE INDEX dataset_versions_by_path ON dataset_versions (source_path);
CREATE INDEX dataset_versions_by_hash ON dataset_versions (content_hash);

CREATE TABLE models (
  id ${ID},
  project_id BIGINT NOT NULL REFERENCES projects (id),
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  last_version BIGINT NOT NULL DEFAULT 0,  -- version numbers are never reused after a delete
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  UNIQUE (project_id, name)
);

CREATE TABLE model_versions (
  id ${ID},
  model_id BIGINT NOT NULL REFERENCES models (id),
  version BIGINT NOT NULL,
  run_id BIGINT REFERENCES runs (id) ON DELETE SET NULL,
  algorithm TEXT NOT NULL,
  artifact_uri TEXT NOT NULL,
  metrics_json TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  UNIQUE (model_id, version)
);
CREATE INDEX model_versions_by_uri ON model_versions (artifact_uri);
CREATE INDEX model_versions_by_run ON model_versions (run_id);

CREATE TABLE model_aliases (
  model_id BIGINT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
  alias TEXT NOT NULL,
  version_id BIGINT NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
  updated_ms BIGINT NOT NULL,
  PRIMARY KEY (model_id, alias)
);

CREATE TABLE deployments (
  id ${ID},
  project_id BIGINT NOT NULL REFERENCES projects (id),
  name TEXT NOT NULL,
  model_version_id BIGINT NOT NULL REFERENCES model_versions (id),
  endpoint TEXT NOT NULL,
  status TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  ended_ms BIGINT
);
CREATE INDEX deployments_by_version ON deployments (model_version_id);

-- Typed edges between entities: kind is dataset_version, run, model_version or deployment
-- (pipeline runs and tuning trials later).
CREATE TABLE lineage_edges (
  src_kind TEXT NOT NULL,
  src_id BIGINT NOT NULL,
  dst_kind TEXT NOT NULL,
  dst_id BIGINT NOT NULL,
  relation TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  PRIMARY KEY (src_kind, src_id, dst_kind, dst_id, relation)
);
CREATE INDEX lineage_by_dst ON lineage_edges (dst_kind, dst_id);
