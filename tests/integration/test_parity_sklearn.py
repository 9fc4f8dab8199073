#!/usr/bin/python3
"""Parity with scikit-learn (Debian's python3-sklearn) on real datasets from Debian packages.

For equivalent regularisation (Kiln minimises mean weighted loss + l2/2·|w|^2 + l1·|w|_1, so
sklearn's C maps to l2 = 1/(C·n) and Lasso's alpha to l1 = alpha) the coefficients in the
standardised feature space must agree within 1e-3 relative (max |kiln - sklearn| / max |sklearn|)
and the test AUC / accuracy / R^2 within 0.002. On real tables with text categoricals and missing
values, Kiln with DEFAULT parameters must do as well as a careful scikit-learn pipeline
(impute + scale + one-hot + the same model), within 0.002.

Runs the real `kiln` binary (KILN_BIN) on KILN_DATA_DIR/<name>/{train,test}.csv.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

KILN = os.environ.get("KILN_BIN", "build/bin/kiln")
DATA = os.environ.get("KILN_DATA_DIR", "data")
COEF_RTOL = 1e-3
METRIC_TOL = 0.002


def load(name, part, label):
    """Numeric matrix (NaN = missing), label strings, header; text columns kept as objects."""
    with open(os.path.join(DATA, name, f"{part}.csv"), newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    li = header.index(label)
    features = [h for h in header if h != label]
    y = np.array([r[li] for r in rows])
    cols = []
    for j, h in enumerate(header):
        if j == li:
            continue
        values = [r[j] for r in rows]
        try:
            cols.append(np.array([float(v) if v not in ("", "NA") else np.nan for v in values]))
        except ValueError:
            cols.append(np.array([v if v not in ("", "NA") else np.nan for v in values], dtype=object))
    return features, cols, y


def numeric_matrix(cols):
    return np.column_stack(cols).astype(float)


def kiln(*args):
    proc = subprocess.run([KILN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"kiln {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


class Parity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_parity_")
        if not os.path.exists(os.path.join(DATA, "breast_cancer", "train.csv")):
            raise unittest.SkipTest(f"no datasets in {DATA}; run make data")

    def train(self, name, algo, label, params, model_name):
        model = os.path.join(self.tmp.name, model_name)
        args = ["train", "--algo", algo, "--data", os.path.join(DATA, name, "train.csv"),
                "--label", label, "--output", model, "--no-cache", "-q"]
        for k, v in params.items():
            args += ["-p", f"{k}={v}"]
        kiln(*args)
        desc = json.loads(kiln("inspect", model, "--json"))
        metrics = json.loads(kiln("evaluate", "--model", model, "--data",
                                  os.path.join(DATA, name, "test.csv"), "--label", label,
                                  "--json", "--no-cache"))
        return desc, metrics, model

    def assert_coef(self, kiln_w, sk_w, what):
        kiln_w = np.asarray(kiln_w, dtype=float).ravel()
        sk_w = np.asarray(sk_w, dtype=float).ravel()
        self.assertEqual(kiln_w.shape, sk_w.shape, what)
        rel = np.max(np.abs(kiln_w - sk_w)) / max(np.max(np.abs(sk_w)), 1e-12)
        print(f"  {what}: max relative coefficient difference {rel:.2e}")
        self.assertLessEqual(rel, COEF_RTOL, f"{what}: kiln {kiln_w[:6]} vs sklearn {sk_w[:6]}")

    def assert_metric(self, kiln_value, sk_value, what):
        print(f"  {what}: kiln {kiln_value:.5f} sklearn {sk_value:.5f}")
        self.assertLessEqual(abs(kiln_value - sk_value), METRIC_TOL, what)

    # --- logistic regression ------------------------------------------------------------------

    def logistic_case(self, name, label, C, penalty="l2"):
        _, cols, y = load(name, "train", label)
        _, tcols, ty = load(name, "test", label)
        X, tX = numeric_matrix(cols), numeric_matrix(tcols)
        n = len(y)
        if penalty == "l2":
            model = LogisticRegression(C=C, tol=1e-12, max_iter=100000)
        else:
            model = LogisticRegression(C=C, penalty="l1", solver="saga", tol=1e-12, max_iter=1000000)
        sk = make_pipeline(StandardScaler(), model)
        sk.fit(X, y)
        lr = sk[-1]
        desc, metrics, _ = self.train(name, "logistic_regression", label,
                                      {penalty: 1.0 / (C * n), "tol": 1e-10, "max_iter": 100000},
                                      f"{name}_lr_{penalty}.kiln")
        self.assertEqual(desc["label"]["classes"], [str(c) for c in lr.classes_])
        d = desc["description"]
        self.assert_coef(d["weights"], lr.coef_, f"{name} logistic weights")
        self.assert_coef(d["intercept"], lr.intercept_, f"{name} logistic intercept")
        if len(lr.classes_) == 2:
            auc = roc_auc_score(ty == lr.classes_[1], sk.predict_proba(tX)[:, 1])
            self.assert_metric(metrics["auc"], auc, f"{name} test AUC")
        self.assert_metric(metrics["accuracy"], accuracy_score(ty, sk.predict(tX)),
                           f"{name} test accuracy")

    def test_logistic_binary_breast_cancer(self):
        self.logistic_case("breast_cancer", "label", C=1.0)

    def test_logistic_l1_breast_cancer(self):
        self.logistic_case("breast_cancer", "label", C=0.5, penalty="l1")

    def test_logistic_class_and_sample_weights_breast_cancer(self):
        # class_weight=balanced and a weight column, as sklearn's class_weight and sample_weight.
        with open(os.path.join(DATA, "breast_cancer", "train.csv"), newline="") as f:
            rows = list(csv.reader(f))
        rng = np.random.RandomState(3)
        weights = rng.uniform(0.2, 3.0, size=len(rows) - 1)
        path = os.path.join(self.tmp.name, "weighted.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(rows[0] + ["w"])
            for r, wt in zip(rows[1:], weights):
                w.writerow(r + [repr(float(wt))])
        _, cols, y = load("breast_cancer", "train", "label")
        X = numeric_matrix(cols)
        C = 1.0
        sk = make_pipeline(StandardScaler(), LogisticRegression(C=C, class_weight="balanced",
                                                                tol=1e-12, max_iter=100000))
        sk.fit(X, y, logisticregression__sample_weight=weights)
        model = os.path.join(self.tmp.name, "weighted.kiln")
        kiln("train", "--algo", "logistic_regression", "--data", path, "--weight", "w",
             "--output", model, "--no-cache", "-q", "-p", "class_weight=balanced",
             "-p", f"l2={1.0 / (C * weights.sum())}", "-p", "tol=1e-10")
        d = json.loads(kiln("inspect", model, "--json"))["description"]
        self.assert_coef(d["weights"], sk[-1].coef_, "weighted breast_cancer logistic weights")
        self.assert_coef(d["intercept"], sk[-1].intercept_, "weighted breast_cancer intercept")

    def test_logistic_multinomial_wine(self):
        self.logistic_case("wine", "label", C=1.0)

    def test_logistic_multinomial_iris(self):
        self.logistic_case("iris", "label", C=0.5)

    def test_logistic_multinomial_digits(self):
        self.logistic_case("digits", "label", C=0.1)

    # --- linear regression ----------------------------------------------------------------------

    def regression_case(self, name, label, sk_model, params):
        _, cols, y = load(name, "train", label)
        _, tcols, ty = load(name, "test", label)
        X, tX = numeric_matrix(cols), numeric_matrix(tcols)
        y, ty = y.astype(float), ty.astype(float)
        sk = make_pipeline(StandardScaler(), sk_model).fit(X, y)
        desc, metrics, _ = self.train(name, "linear_regression", label,
                                      dict(params, tol=1e-10, max_iter=100000),
                                      f"{name}_{type(sk_model).__name__}.kiln")
        d = desc["description"]
        what = f"{name} {type(sk_model).__name__}"
        self.assert_coef(d["weights"], sk[-1].coef_, f"{what} weights")
        self.assert_coef(d["intercept"], [sk[-1].intercept_], f"{what} intercept")
        self.assert_metric(metrics["r2"], r2_score(ty, sk.predict(tX)), f"{what} test R2")

    def test_ols_diabetes(self):
        self.regression_case("diabetes", "label", LinearRegression(), {"l2": 0})

    def test_ridge_diabetes(self):
        n = len(load("diabetes", "train", "label")[2])
        self.regression_case("diabetes", "label", Ridge(alpha=10.0), {"l2": 10.0 / n})

    def test_lasso_diabetes(self):
        self.regression_case("diabetes", "label", Lasso(alpha=0.5, tol=1e-12, max_iter=1000000),
                             {"l1": 0.5})

    def test_elastic_net_concrete(self):
        self.regression_case("concrete", "compressive_strength",
                             ElasticNet(alpha=0.3, l1_ratio=0.4, tol=1e-12, max_iter=1000000),
                             {"l1": 0.3 * 0.4, "l2": 0.3 * 0.6})

    def test_ridge_concrete(self):
        n = len(load("concrete", "train", "compressive_strength")[2])
        self.regression_case("concrete", "compressive_strength", Ridge(alpha=1.0), {"l2": 1.0 / n})

    # --- linear SVM -----------------------------------------------------------------------------

    def svm_case(self, name, loss, C):
        _, cols, y = load(name, "train", "label")
        _, tcols, ty = load(name, "test", "label")
        X, tX = numeric_matrix(cols), numeric_matrix(tcols)
        n = len(y)
        sk = make_pipeline(StandardScaler(),
                           LinearSVC(C=C, loss=loss, tol=1e-10, max_iter=1000000)).fit(X, y)
        desc, metrics, _ = self.train(name, "linear_svm", "label",
                                      {"l2": 1.0 / (C * n), "loss": loss, "tol": 1e-10,
                                       "max_iter": 1000000},
                                      f"{name}_svm_{loss}.kiln")
        d = desc["description"]
        what = f"{name} svm ({loss})"
        self.assert_coef(d["weights"], sk[-1].coef_, f"{what} weights")
        self.assert_coef(d["intercept"], sk[-1].intercept_, f"{what} intercept")
        if len(sk[-1].classes_) == 2:
            auc = roc_auc_score(ty == sk[-1].classes_[1], sk.decision_function(tX))
            self.assert_metric(metrics["auc"], auc, f"{what} test AUC")
        self.assert_metric(metrics["accuracy"], accuracy_score(ty, sk.predict(tX)),
                           f"{what} test accuracy")

    def test_linear_svm_squared_hinge_breast_cancer(self):
        self.svm_case("breast_cancer", "squared_hinge", C=1.0)

    def test_linear_svm_hinge_breast_cancer(self):
        self.svm_case("breast_cancer", "hinge", C=0.5)

    def test_linear_svm_one_vs_rest_wine(self):
        self.svm_case("wine", "squared_hinge", C=0.1)

    # --- real tables with defaults ----------------------------------------------------------------

    def table_case(self, name, label, metric, algo="logistic_regression"):
        _, cols, y = load(name, "train", label)
        _, tcols, ty = load(name, "test", label)
        num = [j for j, c in enumerate(cols) if c.dtype != object]
        cat = [j for j, c in enumerate(cols) if c.dtype == object]

        def matrix(cs):
            m = np.empty((len(cs[0]), len(cs)), dtype=object)
            for j, c in enumerate(cs):
                m[:, j] = c
            return m

        pre = ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="mean", add_indicator=True),
                                  StandardScaler()), num),
            ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                                  OneHotEncoder(handle_unknown="ignore")), cat),
        ])
        if algo == "linear_regression":
            y = y.astype(float)
            ty = ty.astype(float)
            sk = make_pipeline(pre, Ridge(alpha=1.0)).fit(matrix(cols), y)
        else:
            sk = make_pipeline(pre, LogisticRegression(max_iter=10000)).fit(matrix(cols), y)
        _, metrics, _ = self.train(name, algo, label, {}, f"{name}_default.kiln")
        if metric == "r2":
            sk_value = r2_score(ty, sk.predict(matrix(tcols)))
        elif metric == "auc":
            pos = sk[-1].classes_[1]
            sk_value = roc_auc_score(ty == pos, sk.predict_proba(matrix(tcols))[:, 1])
        else:
            sk_value = accuracy_score(ty, sk.predict(matrix(tcols)))
        print(f"  {name} defaults: kiln {metric} {metrics[metric]:.5f}, "
              f"sklearn pipeline {sk_value:.5f}")
        self.assertGreaterEqual(metrics[metric], sk_value - METRIC_TOL,
                                f"{name}: Kiln defaults fall behind the sklearn pipeline")

    def test_defaults_wa_churn(self):
        self.table_case("wa_churn", "churn", "auc")

    def test_defaults_attrition(self):
        self.table_case("attrition", "Attrition", "auc")

    def test_defaults_penguins(self):
        self.table_case("penguins", "species", "accuracy")

    def test_defaults_ames_regression(self):
        self.table_case("ames", "Sale_Price", "r2", algo="linear_regression")


if __name__ == "__main__":
    unittest.main(verbosity=2)
