#!/usr/bin/python3
"""train -> evaluate -> predict -> inspect through the real `kiln` binary on real datasets.

breast_cancer (binary, text labels), wa_churn (binary, --label churn, string categoricals and
missing values, --valid), penguins (multiclass, --label species), diabetes (regression). A case
is skipped, with the reason printed, when its algorithm is not in this build. Exits non-zero on
failure.
"""
import csv
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ.get("KILN_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
KILN = os.environ.get("KILN_BIN", os.path.join(SOURCE, "build", "bin", "kiln"))
DATA = os.environ.get("KILN_DATA_DIR", os.path.join(SOURCE, "data"))

BINARY_KEYS = {"auc", "logloss", "accuracy", "precision", "recall", "f1"}
MULTICLASS_KEYS = {"accuracy", "logloss", "f1_macro", "f1_micro", "f1_weighted",
                   "precision_macro", "recall_macro"}
REGRESSION_KEYS = {"rmse", "mae", "r2"}


class Workflow(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_cli_workflow_")
        cls.out = cls.tmp.name
        r = cls.kiln("algorithms", "--json")
        if r.returncode != 0:
            raise RuntimeError("kiln algorithms --json failed: " + r.stderr)
        cls.algorithms = {e["name"]: e for e in json.loads(r.stdout)}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def kiln(cls, *args):
        env = dict(os.environ, KILN_HOME=os.path.join(cls.out, "home"))
        return subprocess.run([KILN, *args], capture_output=True, text=True, env=env, timeout=600)

    def ok(self, *args):
        r = self.kiln(*args)
        self.assertEqual(r.returncode, 0, f"kiln {' '.join(args)} failed:\n{r.stderr}")
        return r

    def need(self, algorithm, dataset):
        if algorithm not in self.algorithms:
            self.skipTest(f"algorithm '{algorithm}' is not in this build yet "
                          f"(have: {', '.join(sorted(self.algorithms)) or 'none'})")
        path = os.path.join(DATA, dataset)
        if not os.path.isdir(path):
            self.skipTest(f"dataset {path} is missing; run `make data`")
        return os.path.join(path, "train.csv"), os.path.join(path, "test.csv")

    @staticmethod
    def rows(path):
        with open(path, newline="") as f:
            return list(csv.DictReader(f))

    def train_evaluate_predict(self, algorithm, dataset, label, keys, extra=()):
        train, test = self.need(algorithm, dataset)
        model = os.path.join(self.out, f"{dataset}_{algorithm}.kiln")
        label_args = [] if label == "label" else ["--label", label]
        r = self.ok("train", "--algo", algorithm, "--data", train, *label_args, *extra,
                    "--output", model)
        self.assertIn(f"model written to {model}", r.stdout)
        self.assertTrue(os.path.isfile(model))

        table = self.ok("evaluate", "--model", model, "--data", test)
        metrics = json.loads(self.ok("evaluate", "--model", model, "--data", test,
                                     "--json").stdout)
        self.assertLessEqual(set(metrics), keys)
        self.assertTrue(keys - {"logloss"} <= set(metrics), metrics)
        for name, value in metrics.items():
            self.assertIn(name, table.stdout)
            self.assertTrue(value is None or math.isfinite(value), (name, value))

        predictions = os.path.join(self.out, f"{dataset}_{algorithm}.csv")
        r = self.ok("predict", "--model", model, "--data", test, "--output", predictions)
        self.assertIn(predictions, r.stdout)
        with open(predictions, newline="") as f:
            text = f.read()
        stdout = self.ok("predict", "--model", model, "--data", test).stdout
        self.assertEqual(text, stdout, "--output FILE and stdout differ")
        predicted = list(csv.DictReader(io.StringIO(text)))
        truth = self.rows(test)
        self.assertEqual(len(predicted), len(truth))

        info = json.loads(self.ok("inspect", model, "--json").stdout)
        self.assertEqual(info["algorithm"], algorithm)
        self.assertEqual(info["training"]["rows"], len(self.rows(train)))
        self.assertRegex(info["training"]["data_hash"], r"^[0-9a-f]{16}$")
        self.assertRegex(info["training"]["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        text_info = self.ok("inspect", model).stdout
        self.assertIn(algorithm, text_info)
        self.assertIn("training:", text_info)
        return metrics, predicted, truth, info

    def check_classification_csv(self, predicted, truth, label, classes, metrics):
        header = list(predicted[0].keys())
        self.assertEqual(header[0], "prediction")
        if header[1].startswith("p_"):
            self.assertEqual(header[1:], ["p_" + c for c in classes])
            for row in predicted:
                probs = [float(row["p_" + c]) for c in classes]
                self.assertAlmostEqual(sum(probs), 1.0, places=9)
                self.assertEqual(row["prediction"], classes[probs.index(max(probs))])
            self.assertIn("logloss", metrics)
        else:
            self.assertTrue(all(h.startswith("score_") for h in header[1:]), header)
            self.assertNotIn("logloss", metrics)
        correct = sum(p["prediction"] == t[label] for p, t in zip(predicted, truth))
        self.assertAlmostEqual(correct / len(truth), metrics["accuracy"], places=9)

    def test_breast_cancer_logistic_regression(self):
        metrics, predicted, truth, info = self.train_evaluate_predict(
            "logistic_regression", "breast_cancer", "label", BINARY_KEYS)
        self.assertEqual(info["label"]["classes"], ["benign", "malignant"])
        self.check_classification_csv(predicted, truth, "label", ["benign", "malignant"], metrics)
        self.assertGreater(metrics["auc"], 0.97)
        self.assertGreater(metrics["accuracy"], 0.9)

    def test_breast_cancer_linear_svm(self):
        metrics, predicted, truth, _ = self.train_evaluate_predict(
            "linear_svm", "breast_cancer", "label", BINARY_KEYS)
        self.check_classification_csv(predicted, truth, "label", ["benign", "malignant"], metrics)
        self.assertGreater(metrics["auc"], 0.95)

    def test_wa_churn_with_validation(self):
        train, test = self.need("logistic_regression", "wa_churn")
        model = os.path.join(self.out, "churn_valid.kiln")
        r = self.ok("train", "--algo", "logistic_regression", "--data", train, "--label", "churn",
                    "--valid", test, "--output", model)
        self.assertIn(f"validation on {test}", r.stdout)
        self.assertIn("auc", r.stdout)
        metrics, predicted, truth, info = self.train_evaluate_predict(
            "logistic_regression", "wa_churn", "churn", BINARY_KEYS)
        self.assertEqual(info["label"]["classes"], ["No", "Yes"])
        self.check_classification_csv(predicted, truth, "churn", ["No", "Yes"], metrics)
        self.assertGreater(metrics["auc"], 0.8)

    def test_penguins_multiclass(self):
        metrics, predicted, truth, info = self.train_evaluate_predict(
            "logistic_regression", "penguins", "species", MULTICLASS_KEYS)
        classes = info["label"]["classes"]
        self.assertEqual(classes, ["Adelie", "Chinstrap", "Gentoo"])
        self.check_classification_csv(predicted, truth, "species", classes, metrics)
        self.assertGreater(metrics["accuracy"], 0.9)
        table = self.ok("evaluate", "--model", os.path.join(self.out,
                        "penguins_logistic_regression.kiln"), "--data",
                        os.path.join(DATA, "penguins", "test.csv")).stdout
        self.assertIn("confusion matrix", table)
        self.assertIn("Chinstrap", table)

    def test_diabetes_regression(self):
        metrics, predicted, truth, info = self.train_evaluate_predict(
            "linear_regression", "diabetes", "label", REGRESSION_KEYS)
        self.assertEqual(info["label"]["task"], "regression")
        self.assertEqual(list(predicted[0].keys()), ["prediction"])
        errors = [float(p["prediction"]) - float(t["label"]) for p, t in zip(predicted, truth)]
        rmse = math.sqrt(sum(e * e for e in errors) / len(errors))
        self.assertAlmostEqual(rmse, metrics["rmse"], places=6)
        self.assertGreater(metrics["r2"], 0.3)

    def test_thread_count_does_not_change_the_model(self):
        train, test = self.need("logistic_regression", "breast_cancer")
        outputs = []
        for threads in ("1", "2"):
            model = os.path.join(self.out, f"threads{threads}.kiln")
            self.ok("train", "--algo", "logistic_regression", "--data", train, "--threads",
                    threads, "--output", model)
            outputs.append(self.ok("predict", "--model", model, "--data", test, "--threads",
                                   threads).stdout)
        self.assertEqual(outputs[0], outputs[1])


if __name__ == "__main__":
    if not os.access(KILN, os.X_OK):
        sys.exit(f"kiln binary not found at {KILN}; set KILN_BIN")
    unittest.main(verbosity=2)
