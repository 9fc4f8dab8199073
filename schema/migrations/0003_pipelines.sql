-- Kiln MetaStore, version 3: pipeline runs, their steps and the artifacts the steps made, and
-- cron schedules of pipelines with every fire time they claimed.
--
-- A pipeline run is a row of `runs` (kind 'pipeline', status running/finished/failed/killed),
-- so it is listed, filtered and marked abandoned like any run; pipeline_runs adds what only a
-- pipeline has. A step that trains or evaluates also records a run of its own (runs.kind
-- 'train'/'evaluate'), linked by pipeline_steps.run_id.

CREATE TABLE pipeline_runs (
  run_id BIGINT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  pipeline TEXT NOT NULL,
  spec_path TEXT NOT NULL,
  spec_text TEXT NOT NULL,        -- the YAML as it was run, so a resume runs the same spec
  spec_hash TEXT NOT NULL,
  params_json TEXT NOT NULL,      -- the resolved pipeline params
  resumed_from BIGINT REFERENCES runs (id) ON DELETE SET NULL,
  schedule_id BIGINT,             -- set when the scheduler started the run
  scheduled_ms BIGINT
);
CREATE INDEX pipeline_runs_by_name ON pipeline_runs (pipeline, run_id);

-- status: pending, running, finished, cached, failed, skipped, cancelled
CREATE TABLE pipeline_steps (
  id ${ID},
  pipeline_run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step TEXT NOT NULL,
  component TEXT NOT NULL,
  component_version BIGINT NOT NULL,
  cache_key TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  start_ms BIGINT,
  end_ms BIGINT,
  message TEXT NOT NULL DEFAULT '',
  cached_from BIGINT,             -- the step row whose outputs a cached step reused
  run_id BIGINT REFERENCES runs (id) ON DELETE SET NULL,
  UNIQUE (pipeline_run_id, step)
);
-- The cache lookup: the newest finished step with the same key.
CREATE INDEX pipeline_steps_by_key ON pipeline_steps (cache_key, id) WHERE status = 'finished';

CREATE TABLE pipeline_artifacts (
  step_id BIGINT NOT NULL REFERENCES pipeline_steps (id) ON DELETE CASCADE,
  port TEXT NOT NULL,
  type TEXT NOT NULL,             -- dataset, model, metrics, report
  uri TEXT NOT NULL,
  size_bytes BIGINT NOT NULL,
  summary_json TEXT NOT NULL,     -- rows and columns of a dataset, metrics, ...
  PRIMARY KEY (step_id, port)
);
CREATE INDEX pipeline_artifacts_by_uri ON pipeline_artifacts (uri);

CREATE TABLE schedules (
  id ${ID},
  project_id BIGINT NOT NULL REFERENCES projects (id),
  spec_path TEXT NOT NULL,        -- absolute; read again at every fire
  workdir TEXT NOT NULL,          -- relative paths in the spec resolve from here
  pipeline TEXT NOT NULL,
  cron TEXT NOT NULL,
  params_json TEXT NOT NULL,      -- -p overrides given to `kiln schedule add`
  created_ms BIGINT NOT NULL,
  checked_ms BIGINT NOT NULL      -- fire times up to here have been claimed or reported
);

-- One row per fire time a scheduler claimed: the primary key is what keeps two schedulers (or
-- a restarted one) from running the same fire twice. status: started, missed, failed
CREATE TABLE schedule_fires (
  schedule_id BIGINT NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
  fire_ms BIGINT NOT NULL,
  status TEXT NOT NULL,
  run_id BIGINT REFERENCES runs (id) ON DELETE SET NULL,
  message TEXT NOT NULL DEFAULT '',
  claimed_ms BIGINT NOT NULL,
  PRIMARY KEY (schedule_id, fire_ms)
);
