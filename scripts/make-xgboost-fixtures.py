#!/usr/bin/python3
"""Writes the XGBoost parity fixtures under tests/data/xgboost/ with Debian's python3-xgboost.

For each case: <name>.model.json (Booster.save_model), <name>.input.csv (header = feature names,
empty cell = missing) and <name>.expected.csv (sklearn-API predict, then predict_proba columns
for classifiers). Seeded and small so the files stay a few KB; run with /usr/bin/python3 from the
repository root:  /usr/bin/python3 scripts/make-xgboost-fixtures.py
"""
import os

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.model_selection import train_test_split

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "xgboost")
SEED = 7
TEST_ROWS = 40


def inject_nans(x, rate, rng):
    x = x.copy()
    x[rng.random(x.shape) < rate] = np.nan
    return x


def write_csv(path, header, rows):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join("" if np.isnan(v) else repr(float(v)) for v in row) + "\n")


def make(name, model, data, nan_rate, feature_names=None):
    rng = np.random.default_rng(SEED)
    x, y = data.data, data.target
    if nan_rate > 0:
        x = inject_nans(x, nan_rate, rng)
    x_train, x_test, y_train, _ = train_test_split(x, y, test_size=TEST_ROWS, random_state=SEED)
    model.fit(x_train, y_train)
    predictions = model.predict(x_test).astype(np.float64)
    columns = [predictions[:, None]]
    header = ["prediction"]
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(x_test)
        columns.append(proba)
        header += [f"probability_{k}" for k in range(proba.shape[1])]
    booster = model.get_booster()
    if feature_names is not None:
        booster.feature_names = feature_names  # after predicting: numpy inputs carry no names
    booster.save_model(os.path.join(OUT, f"{name}.model.json"))
    names = feature_names or [f"f{i}" for i in range(x.shape[1])]
    write_csv(os.path.join(OUT, f"{name}.input.csv"), names, x_test)
    with open(os.path.join(OUT, f"{name}.expected.csv"), "w") as f:
        f.write(",".join(header) + "\n")
        for row in np.hstack(columns):
            f.write(",".join(f"{float(v):.9g}" for v in row) + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    common = dict(n_estimators=10, max_depth=3, learning_rate=0.3, random_state=SEED)
    cancer = load_breast_cancer()
    # base_score 0.3 so the logit of the stored base_score matters; NaNs exercise default_left.
    make("binary", xgb.XGBClassifier(base_score=0.3, **common), cancer, nan_rate=0.1,
         feature_names=[n.replace(" ", "_") for n in cancer.feature_names])
    make("multiclass", xgb.XGBClassifier(**common), load_iris(), nan_rate=0.05)
    make("regression", xgb.XGBRegressor(**common), load_diabetes(), nan_rate=0.0)
    # A log link: the margin starts at log(base_score) and predictions are exp(margin).
    make("poisson", xgb.XGBRegressor(objective="count:poisson", n_estimators=5, max_depth=2,
                                     random_state=SEED), load_diabetes(), nan_rate=0.05)
    print(f"make-xgboost-fixtures: wrote {OUT} with xgboost {xgb.__version__}")


if __name__ == "__main__":
    main()
