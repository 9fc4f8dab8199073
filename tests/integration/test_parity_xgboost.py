#!/usr/bin/python3
"""Parity of Kiln's gbdt with XGBoost (Debian's python3-xgboost, tree_method="hist").

On real datasets from Debian packages (scripts/fetch_datasets.py), with the same
hyperparameters on both sides (trees, depth, learning rate, L2, min_child_weight, 255 bins),
Kiln's test metric must be at least XGBoost's minus 0.002: AUC for binary labels, macro
one-vs-rest AUC of the class probabilities for multiclass labels, R^2 for regression.

The two fit the same trees (after one tree their predictions agree to float rounding), but
after many deep trees on a few hundred rows tiny rounding differences (XGBoost keeps margins
and leaf values in float) pick different near-tied splits, and a single configuration's test
metric then moves by up to +-0.01 either way (diabetes, 89 test rows). So each case compares
the mean over a small grid of settings — 100 trees at depth 3 and 6 (leaf-wise: 15 and 31
leaves) times learning rate 0.1 and 0.3 — and prints every configuration.

Leaf-wise growth is compared with XGBoost's lossguide policy too; that comparison is not part
of the issue's criterion and is held to 0.005 (on wa_churn the two place their 255 quantile
bins of the continuous columns differently — XGBoost's sketch against Kiln's equal-count
bins — and that alone moves single runs by a few thousandths). XGBoost
reads text columns as native categoricals (feature_types "c"), Kiln as its categorical columns;
missing values stay missing on both sides.

Both sides start from the same margins: Kiln, like XGBoost >= 2.0, LightGBM and scikit-learn,
starts every row at the prior (log-odds of the positive rate, log class priors, the mean
target), while Debian's XGBoost 1.7 starts at base_score 0.5; XGBoost is given Kiln's start as
base_margin so that the two fit the same model. XGBoost's metric with its own default start is
printed too (on these small test sets it moves by a few thousandths with such details).

Runs the real `kiln` binary (KILN_BIN) on KILN_DATA_DIR/<name>/{train,test}.csv.
"""
import csv
import json
import os
import subprocess
import tempfile
import unittest

import numpy as np
import xgboost as xgb
from sklearn.metrics import r2_score, roc_auc_score

KILN = os.environ.get("KILN_BIN", "build/bin/kiln")
DATA = os.environ.get("KILN_DATA_DIR", "data")
TOL = 0.002

# Settings every case shares (Kiln names; xgb_fit maps them), and the grid each case averages.
COMMON = {"num_trees": 100, "max_depth": 6, "learning_rate": 0.1, "l2": 1.0,
          "min_child_weight": 1.0, "max_bins": 255}
GRID = [{"max_depth": d, "learning_rate": lr} for d in (3, 6) for lr in (0.1, 0.3)]
LEAFWISE_GRID = [{"growth": "leafwise", "max_depth": 0, "max_leaves": leaves, "learning_rate": lr}
                 for leaves in (15, 31) for lr in (0.1, 0.3)]


def read(name, part):
    with open(os.path.join(DATA, name, f"{part}.csv"), newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def matrices(name, label):
    """XGBoost inputs: float matrices (text columns as category codes of the training values,
    unseen ones missing), feature types, and the raw label strings."""
    header, train = read(name, "train")
    _, test = read(name, "test")
    li = header.index(label)
    cols, types = [], []
    for j, _ in enumerate(header):
        if j == li:
            continue
        values = [r[j] for r in train] + [r[j] for r in test]
        present = [v for v in values if v not in ("", "NA")]
        try:
            [float(v) for v in present]
            col = np.array([float(v) if v not in ("", "NA") else np.nan for v in values])
            types.append("q")
        except ValueError:
            cats = sorted({r[j] for r in train if r[j] not in ("", "NA")})
            code = {c: float(i) for i, c in enumerate(cats)}
            col = np.array([code.get(v, np.nan) for v in values])
            types.append("c")
        cols.append(col)
    x = np.column_stack(cols)
    n = len(train)
    y_train = np.array([r[li] for r in train])
    y_test = np.array([r[li] for r in test])
    return x[:n], x[n:], types, y_train, y_test


def label_classes(y):
    """Classes in Kiln's order: numerically when every label is a number, else as text."""
    try:
        return sorted(set(y.tolist()), key=float)
    except ValueError:
        return sorted(set(y.tolist()))


def kiln(*args):
    proc = subprocess.run([KILN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"kiln {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


class XgboostParity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_xgb_parity_")
        if not os.path.exists(os.path.join(DATA, "breast_cancer", "train.csv")):
            raise unittest.SkipTest(f"no datasets in {DATA}; run make data")

    def kiln_fit(self, name, label, params):
        model = os.path.join(self.tmp.name, f"{name}.kiln")
        args = ["train", "--algo", "gbdt", "--data", os.path.join(DATA, name, "train.csv"),
                "--label", label, "--output", model, "--no-cache", "--no-track", "-q",
                "--threads", "2"]
        for k, v in params.items():
            args += ["-p", f"{k}={v}"]
        kiln(*args)
        test = os.path.join(DATA, name, "test.csv")
        metrics = json.loads(kiln("evaluate", "--model", model, "--data", test, "--label", label,
                                  "--json", "--no-cache", "--no-track"))
        out = os.path.join(self.tmp.name, f"{name}.pred.csv")
        kiln("predict", "--model", model, "--data", test, "--output", out, "--no-cache")
        with open(out, newline="") as f:
            rows = list(csv.DictReader(f))
        return metrics, rows

    def compare(self, what, grid, run, tol=TOL):
        """run(params) -> (kiln, xgboost same start, xgboost default start) for each setting
        of the grid; checks the means."""
        results = []
        for g in grid:
            params = dict(COMMON, **g)
            k, x, own = run(params)
            shown = " ".join(f"{key}={v}" for key, v in g.items())
            print(f"  {what} [{shown}]: kiln {k:.5f} xgboost {x:.5f} ({k - x:+.5f}); "
                  f"xgboost from base_score 0.5: {own:.5f}")
            results.append((k, x))
        mean_k = float(np.mean([r[0] for r in results]))
        mean_x = float(np.mean([r[1] for r in results]))
        self.check(f"{what} (mean over {len(grid)} settings)", mean_k, mean_x, tol)

    def xgb_fit(self, x, y, types, objective, params, extra=None, start=None):
        """Trains XGBoost; `start` is the initial margin of every row (one value, or one per
        class), as Kiln's base scores. Returns a predict(matrix) function."""
        def matrix(m, label=None):
            d = xgb.DMatrix(m, label=label, feature_types=types, enable_categorical=True)
            if start is not None:
                d.set_base_margin(np.tile(np.asarray(start, dtype=float), len(m)))
            return d
        p = {"tree_method": "hist", "objective": objective, "max_depth": params["max_depth"],
             "eta": params["learning_rate"], "lambda": params["l2"],
             "min_child_weight": params["min_child_weight"], "max_bin": params["max_bins"],
             "nthread": 2, "seed": 0}
        p.update(extra or {})
        booster = xgb.train(p, matrix(x, y), num_boost_round=params["num_trees"])
        return lambda m: booster.predict(matrix(m))

    def check(self, what, kiln_value, xgb_value, tol=TOL):
        print(f"  {what}: kiln {kiln_value:.5f} xgboost {xgb_value:.5f} "
              f"(diff {kiln_value - xgb_value:+.5f})")
        self.assertGreaterEqual(kiln_value, xgb_value - tol, what)

    def binary_case(self, name, label, grid=GRID, tol=TOL):
        x, tx, types, y, ty = matrices(name, label)
        pos = label_classes(y)[1]
        yy = (y == pos).astype(float)
        prior = yy.mean()

        def run(params):
            xgb_extra = {}
            if params.get("growth") == "leafwise":
                xgb_extra = {"grow_policy": "lossguide", "max_leaves": params["max_leaves"]}
            own = self.xgb_fit(x, yy, types, "binary:logistic", params, xgb_extra)
            same = self.xgb_fit(x, yy, types, "binary:logistic", params, xgb_extra,
                                start=[np.log(prior / (1 - prior))])
            metrics, _ = self.kiln_fit(name, label, params)
            return (metrics["auc"], roc_auc_score(ty == pos, same(tx)),
                    roc_auc_score(ty == pos, own(tx)))

        self.compare(f"{name} test AUC", grid, run, tol)

    def multiclass_case(self, name, label):
        x, tx, types, y, ty = matrices(name, label)
        classes = label_classes(y)
        index = {c: i for i, c in enumerate(classes)}
        yi = np.array([index[v] for v in y], dtype=float)
        prior = np.bincount(yi.astype(int), minlength=len(classes)) / len(yi)
        truth = np.array([index[v] for v in ty])

        def auc(p):
            return roc_auc_score(truth, p, multi_class="ovr", average="macro")

        def run(params):
            extra = {"num_class": len(classes)}
            out = []
            for start in (np.log(np.maximum(prior, 1e-6)), None):
                predict = self.xgb_fit(x, yi, types, "multi:softprob", params, extra, start=start)
                out.append(auc(predict(tx).reshape(len(ty), len(classes))))
            _, rows = self.kiln_fit(name, label, dict(params, objective="softmax"))
            kiln_p = np.array([[float(r[f"p_{c}"]) for c in classes] for r in rows])
            return auc(kiln_p), out[0], out[1]

        self.compare(f"{name} test macro one-vs-rest AUC", GRID, run)

    def regression_case(self, name, label):
        x, tx, types, y, ty = matrices(name, label)
        yf, truth = y.astype(float), ty.astype(float)

        def run(params):
            own = self.xgb_fit(x, yf, types, "reg:squarederror", params)
            same = self.xgb_fit(x, yf, types, "reg:squarederror", params, start=[yf.mean()])
            metrics, _ = self.kiln_fit(name, label, params)
            return metrics["r2"], r2_score(truth, same(tx)), r2_score(truth, own(tx))

        self.compare(f"{name} test R^2", GRID, run)

    def test_binary_breast_cancer(self):
        self.binary_case("breast_cancer", "label")

    def test_binary_wa_churn(self):
        self.binary_case("wa_churn", "churn")

    def test_binary_attrition(self):
        self.binary_case("attrition", "Attrition")

    def test_binary_wa_churn_leafwise(self):
        self.binary_case("wa_churn", "churn", LEAFWISE_GRID, tol=0.005)

    def test_multiclass_penguins(self):
        self.multiclass_case("penguins", "species")

    def test_multiclass_digits(self):
        self.multiclass_case("digits", "label")

    def test_regression_ames(self):
        self.regression_case("ames", "Sale_Price")

    def test_regression_concrete(self):
        self.regression_case("concrete", "compressive_strength")

    def test_regression_diabetes(self):
        self.regression_case("diabetes", "label")


if __name__ == "__main__":
    unittest.main(verbosity=2)
