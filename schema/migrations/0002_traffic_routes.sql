-- Traffic rules written by `kiln deploy` and followed by every `kiln serve --models` of the model:
-- the version an alias points at gets `weight` percent of the requests that name no version
-- (the rest go to the server's default version), or, with shadow = 1, a copy of every request.
CREATE TABLE traffic_routes (
  model_id BIGINT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
  alias TEXT NOT NULL,
  weight DOUBLE PRECISION NOT NULL,
  shadow INTEGER NOT NULL DEFAULT 0,
  updated_ms BIGINT NOT NULL,
  PRIMARY KEY (model_id, alias)
);
