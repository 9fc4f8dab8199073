#!/usr/bin/python3
"""Parity of naive_bayes, kmeans and one_vs_rest with scikit-learn (Debian's python3-sklearn) on
real datasets from Debian packages (scripts/fetch_datasets.py).

Kiln stores numbers as float32; scikit-learn gets the same values (the CSV read as float32, then
widened), so the two see identical data.
  - naive_bayes: GaussianNB, MultinomialNB and BernoulliNB give the same test predictions and
    probabilities within 1e-6 (also multinomial on the same rows as a LibSVM file).
  - kmeans: from the same initial centres (k-means++ drawn by scikit-learn), Kiln's inertia is at
    most scikit-learn's x 1.01; kiln evaluate's silhouette and adjusted Rand index equal
    scikit-learn's silhouette_score / adjusted_rand_score of Kiln's clusters (within 1e-9).
  - one_vs_rest(logistic_regression) is as accurate as OneVsRestClassifier(LogisticRegression)
    (C = 1 after standardization, solved to tight tolerance): within 0.02 on the test split.

Runs the real `kiln` binary (KILN_BIN) on KILN_DATA_DIR/<name>/{train,test}.csv.
"""
import csv
import json
import os
import subprocess
import tempfile
import unittest

import numpy as np
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, adjusted_rand_score, silhouette_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

KILN = os.environ.get("KILN_BIN", "build/bin/kiln")
DATA = os.environ.get("KILN_DATA_DIR", "data")
PROBA_TOL = 1e-6
INERTIA_RATIO = 1.01
ACCURACY_TOL = 0.02


def load(name, part):
    """Features as Kiln sees them (float32 widened to float64), labels as text, feature names."""
    with open(os.path.join(DATA, name, f"{part}.csv"), newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    li = header.index("label")
    names = [h for j, h in enumerate(header) if j != li]
    X = np.array([[float(v) for j, v in enumerate(r) if j != li] for r in rows], dtype=np.float32)
    y = np.array([r[li] for r in rows])
    return X.astype(np.float64), y, names


def kiln(*args):
    proc = subprocess.run([KILN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"kiln {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


def read_predictions(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


class ClassicParity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_parity_classic_")
        if not os.path.exists(os.path.join(DATA, "iris", "train.csv")):
            raise unittest.SkipTest(f"no datasets in {DATA}; run make data")

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def train(self, data, model, algo, params, extra=()):
        args = ["train", "--algo", algo, "--data", data, "--output", model, "--no-cache", "-q",
                "--no-track", *extra]
        for k, v in params.items():
            args += ["-p", f"{k}={v}"]
        kiln(*args)

    def predict(self, model, data):
        out = self.path(os.path.basename(model) + ".pred.csv")
        kiln("predict", "--model", model, "--data", data, "--output", out, "--no-cache", "-q")
        return read_predictions(out)

    # --- naive Bayes --------------------------------------------------------------------------

    def nb_case(self, name, sk, params, data=None, test_data=None, extra=()):
        X, y, _ = load(name, "train")
        tX, ty, _ = load(name, "test")
        sk.fit(X, y)
        model = self.path(f"{name}_nb_{params['variant']}.kiln")
        self.train(data or os.path.join(DATA, name, "train.csv"), model, "naive_bayes", params,
                   extra)
        header, rows = self.predict(model, test_data or os.path.join(DATA, name, "test.csv"))
        predicted = [r[0] for r in rows]
        expected = [str(c) for c in sk.predict(tX)]
        self.assertEqual(predicted, expected, f"{name} {params}: predictions differ")
        classes = [str(c) for c in sk.classes_]
        self.assertEqual(header[1:], [f"p_{c}" for c in classes])
        kiln_p = np.array([[float(v) for v in r[1:]] for r in rows])
        diff = np.max(np.abs(kiln_p - sk.predict_proba(tX)))
        print(f"  {name} naive_bayes {params}: predictions identical, max |p diff| {diff:.2e}")
        self.assertLessEqual(diff, PROBA_TOL)

    def test_gaussian_nb(self):
        for name in ("iris", "wine", "breast_cancer", "digits"):
            self.nb_case(name, GaussianNB(), {"variant": "gaussian"})

    def test_gaussian_nb_var_smoothing(self):
        self.nb_case("wine", GaussianNB(var_smoothing=1e-3),
                     {"variant": "gaussian", "var_smoothing": 1e-3})

    def test_multinomial_nb(self):
        self.nb_case("digits", MultinomialNB(alpha=1.0), {"variant": "multinomial"})
        self.nb_case("digits", MultinomialNB(alpha=0.1, fit_prior=False),
                     {"variant": "multinomial", "alpha": 0.1, "fit_prior": "false"})

    def test_bernoulli_nb(self):
        self.nb_case("digits", BernoulliNB(alpha=1.0, binarize=8.0),
                     {"variant": "bernoulli", "binarize": 8})
        self.nb_case("breast_cancer", BernoulliNB(alpha=0.5, binarize=0.1),
                     {"variant": "bernoulli", "alpha": 0.5, "binarize": 0.1})

    def test_multinomial_nb_sparse(self):
        # The digits as LibSVM rows (zeros left out): the same answers as the table.
        files = {}
        for part in ("train", "test"):
            X, y, _ = load("digits", part)
            files[part] = self.path(f"digits_{part}.libsvm")
            with open(files[part], "w") as f:
                for xs, label in zip(X, y):
                    items = " ".join(f"{j + 1}:{int(v)}" for j, v in enumerate(xs) if v != 0)
                    f.write(f"{label} {items}\n")
        # All 64 pixels are features even if the last ones are never lit in the training rows.
        self.nb_case("digits", MultinomialNB(alpha=1.0), {"variant": "multinomial"},
                     data=files["train"], test_data=files["test"], extra=("--num-features", "64"))

    # --- k-means ------------------------------------------------------------------------------

    def kmeans_case(self, name, k):
        X, y, names = load(name, "train")
        init, _ = kmeans_plusplus(X, n_clusters=k, random_state=0)
        centres = self.path(f"{name}_centres.csv")
        with open(centres, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(names)
            for c in init:
                w.writerow([repr(float(v)) for v in c])
        sk = KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd", max_iter=300,
                    tol=1e-4).fit(X)
        train = os.path.join(DATA, name, "train.csv")
        model = self.path(f"{name}_kmeans.kiln")
        self.train(train, model, "kmeans", {"init_centers": centres}, ("--label", "label"))
        info = json.loads(kiln("inspect", model, "--json"))
        self.assertEqual(info["label"]["clusters"], k)
        inertia = info["training"]["extra"]["inertia"]
        ratio = inertia / sk.inertia_
        print(f"  {name} k={k}: kiln inertia {inertia:.6g}, sklearn {sk.inertia_:.6g}, "
              f"ratio {ratio:.6f} ({info['training']['extra']['iterations']} vs {sk.n_iter_} "
              "iterations)")
        self.assertLessEqual(ratio, INERTIA_RATIO)

        # Metrics of kiln evaluate against scikit-learn's on the same clusters.
        metrics = json.loads(kiln("evaluate", "--model", model, "--data", train, "--json",
                                  "--no-cache", "--no-track"))
        header, rows = self.predict(model, train)
        self.assertEqual(header, ["cluster", "distance"])
        clusters = np.array([int(r[0]) for r in rows])
        distances = np.array([float(r[1]) for r in rows])
        self.assertAlmostEqual(metrics["inertia"], float(np.sum(distances ** 2)), delta=1e-6 * inertia)
        self.assertLessEqual(metrics["inertia"], inertia * (1 + 1e-9))  # exact nearest centres
        self.assertAlmostEqual(metrics["silhouette"], silhouette_score(X, clusters), delta=1e-9)
        self.assertAlmostEqual(metrics["adjusted_rand"], adjusted_rand_score(y, clusters),
                               delta=1e-9)
        print(f"  {name}: silhouette {metrics['silhouette']:.6f}, adjusted Rand "
              f"{metrics['adjusted_rand']:.6f} (equal to sklearn's)")

    def test_kmeans_same_initial_centres(self):
        for name, k in (("iris", 3), ("wine", 3), ("breast_cancer", 2), ("digits", 10)):
            self.kmeans_case(name, k)

    def test_kmeans_own_seeding(self):
        # k-means++ and n_init=10 on both sides: different random draws, similar optima.
        X, _, _ = load("digits", "train")
        sk = KMeans(n_clusters=10, n_init=10, random_state=0).fit(X)
        model = self.path("digits_kmeans_own.kiln")
        self.train(os.path.join(DATA, "digits", "train.csv"), model, "kmeans",
                   {"k": 10, "n_init": 10}, ("--label", "label"))
        inertia = json.loads(kiln("inspect", model, "--json"))["training"]["extra"]["inertia"]
        print(f"  digits k-means++ n_init=10: kiln {inertia:.6g}, sklearn {sk.inertia_:.6g}, "
              f"ratio {inertia / sk.inertia_:.4f}")
        self.assertLessEqual(inertia / sk.inertia_, 1.03)

    # --- one-vs-rest --------------------------------------------------------------------------

    def test_one_vs_rest_logistic(self):
        for name in ("iris", "wine", "digits"):
            X, y, _ = load(name, "train")
            tX, ty, _ = load(name, "test")
            sk = make_pipeline(StandardScaler(), OneVsRestClassifier(
                LogisticRegression(C=1.0, tol=1e-8, max_iter=10000)))
            sk.fit(X, y)
            model = self.path(f"{name}_ovr.kiln")
            self.train(os.path.join(DATA, name, "train.csv"), model, "one_vs_rest",
                       {"base": "logistic_regression", "base_params": "tol=1e-8"})
            metrics = json.loads(kiln("evaluate", "--model", model, "--data",
                                      os.path.join(DATA, name, "test.csv"), "--json", "--no-cache",
                                      "--no-track"))
            sk_accuracy = accuracy_score(ty, sk.predict(tX))
            print(f"  {name} one_vs_rest: kiln accuracy {metrics['accuracy']:.4f}, sklearn "
                  f"{sk_accuracy:.4f}")
            self.assertLessEqual(abs(metrics["accuracy"] - sk_accuracy), ACCURACY_TOL)


if __name__ == "__main__":
    unittest.main(verbosity=2)
