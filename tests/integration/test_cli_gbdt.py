#!/usr/bin/python3
"""gbdt through the real `kiln` binary: early stopping on --valid, feature importance in
inspect, continued training (init_model), thread-count independence with subsampling, PMML
export, bad parameters, and serving (kiln serve answers what kiln predict answers).

Runs on KILN_DATA_DIR's wa_churn (binary, text categoricals, missing values), penguins
(multiclass) and diabetes (regression).
"""
import csv
import io
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_util import DATA, KILN, Server, fresh_env, kiln  # noqa: E402


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class Gbdt(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for name in ("wa_churn", "penguins", "diabetes"):
            if not os.path.isdir(os.path.join(DATA, name)):
                raise unittest.SkipTest(f"dataset {name} missing; run scripts/fetch_datasets.py")
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_cli_gbdt_")
        cls.dir = cls.tmp.name
        cls.env = fresh_env(cls.dir)
        cls.churn_train = os.path.join(DATA, "wa_churn", "train.csv")
        cls.churn_test = os.path.join(DATA, "wa_churn", "test.csv")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_kiln(self, *args, check=True):
        return kiln(self.env, self.dir, *args, check=check)

    def inspect(self, model):
        return json.loads(self.run_kiln("inspect", model, "--json").stdout)

    def test_early_stopping_and_importance(self):
        r = self.run_kiln("train", "--algo", "gbdt", "--data", self.churn_train, "--label",
                          "churn", "--valid", self.churn_test, "-p", "num_trees=1000",
                          "-p", "eta=0.3", "-p", "early_stopping_rounds=10", "-o", "es.kiln",
                          "--no-track")
        self.assertIn(f"validation on {self.churn_test}", r.stdout)
        info = self.inspect("es.kiln")
        extra = info["training"]["extra"]
        self.assertTrue(extra["stopped_early"])
        self.assertLess(extra["best_round"], 1000)
        self.assertEqual(extra["rounds_run"], extra["best_round"] + 10)
        self.assertEqual(info["description"]["trees"], extra["best_round"])
        importance = info["description"]["feature_importance"]
        self.assertGreater(len(importance), 3)
        self.assertEqual({"feature", "gain", "gain_share", "splits", "cover"}, set(importance[0]))
        gains = [f["gain"] for f in importance]
        self.assertEqual(gains, sorted(gains, reverse=True))
        text = self.run_kiln("inspect", "es.kiln").stdout
        self.assertIn("feature_importance", text)
        self.assertIn("best_round", text)
        # The validation metrics of training are those of evaluate on the same file.
        metrics = json.loads(self.run_kiln("evaluate", "--model", "es.kiln", "--data",
                                           self.churn_test, "--json", "--no-track").stdout)
        self.assertGreater(metrics["auc"], 0.83)
        self.assertAlmostEqual(metrics["logloss"], extra["best_valid_loss"], places=9)

    def test_continued_training(self):
        train = os.path.join(DATA, "penguins", "train.csv")
        self.run_kiln("train", "--algo", "gbdt", "--data", train, "--label", "species",
                      "-p", "num_trees=20", "-o", "p20.kiln", "--no-track", "-q")
        self.run_kiln("train", "--algo", "gbdt", "--data", train, "--label", "species",
                      "-p", "num_trees=10", "-p", "init_model=p20.kiln", "-o", "p30.kiln",
                      "--no-track", "-q")
        self.run_kiln("train", "--algo", "gbdt", "--data", train, "--label", "species",
                      "-p", "num_trees=30", "-o", "p30_direct.kiln", "--no-track", "-q")
        info = self.inspect("p30.kiln")
        self.assertEqual(info["description"]["trees"], 90)
        self.assertEqual(info["training"]["extra"]["init_trees"], 60)
        test = os.path.join(DATA, "penguins", "test.csv")
        warm = rows_of(self.run_kiln("predict", "--model", "p30.kiln", "--data", test).stdout)
        direct = rows_of(self.run_kiln("predict", "--model", "p30_direct.kiln", "--data",
                                       test).stdout)
        for a, b in zip(warm, direct):
            self.assertEqual(a["prediction"], b["prediction"])
            for k in a:
                if k.startswith("p_"):
                    self.assertAlmostEqual(float(a[k]), float(b[k]), places=9)

    def test_threads_do_not_change_the_model(self):
        train = os.path.join(DATA, "diabetes", "train.csv")
        test = os.path.join(DATA, "diabetes", "test.csv")
        outputs = []
        for threads in ("1", "2", "3"):
            model = f"d{threads}.kiln"
            self.run_kiln("train", "--algo", "gbdt", "--data", train, "--threads", threads,
                          "-p", "subsample=0.8", "-p", "colsample=0.7", "-p", "growth=leafwise",
                          "-o", model, "--no-track", "-q")
            outputs.append(self.run_kiln("predict", "--model", model, "--data", test).stdout)
        self.assertEqual(outputs[0], outputs[1])
        self.assertEqual(outputs[0], outputs[2])

    def test_pmml_export(self):
        self.run_kiln("train", "--algo", "gbdt", "--data", self.churn_train, "--label", "churn",
                      "-p", "num_trees=5", "-o", "small.kiln", "--no-track", "-q")
        self.run_kiln("export", "small.kiln", "--format", "pmml", "-o", "small.pmml")
        with open(os.path.join(self.dir, "small.pmml")) as f:
            text = f.read()
        self.assertIn("<MiningModel", text)
        self.assertEqual(text.count("<TreeModel"), 6)  # the base score and five trees

    def test_bad_parameters(self):
        for param, needle in (("learning_rate=0", "learning_rate"),
                              ("monotone_constraints=tenur:1", "tenure"),
                              ("objective=softmax", "logloss"),
                              ("early_stopping_rounds=5", "--valid"),
                              ("init_model=missing.kiln", "missing.kiln"),
                              ("num_treez=5", "num_trees")):
            r = self.run_kiln("train", "--algo", "gbdt", "--data", self.churn_train, "--label",
                              "churn", "-p", param, "-o", "bad.kiln", "--no-track", check=False)
            self.assertNotEqual(r.returncode, 0, param)
            self.assertIn(needle, r.stderr, param)
        algorithms = json.loads(self.run_kiln("algorithms", "--json").stdout)
        gbdt = next(a for a in algorithms if a["name"] == "gbdt")
        params = {p["name"]: p for p in gbdt["params"]}
        for name in ("num_trees", "max_depth", "learning_rate", "max_leaves", "min_child_weight",
                     "l1", "l2", "subsample", "colsample", "early_stopping_rounds"):
            self.assertIn(name, params)
        self.assertIn("eta", params["learning_rate"]["aliases"])
        self.assertIn("n_estimators", params["num_trees"]["aliases"])

    def test_serving_matches_predict(self):
        env = dict(self.env)
        self.run_kiln("train", "--algo", "gbdt", "--data", self.churn_train, "--label", "churn",
                      "-p", "num_trees=40", "--register", "churn_gbdt", "-o", "served.kiln", "-q")
        server = Server(env, self.dir, "--models", "churn_gbdt")
        try:
            test_rows = rows(self.churn_test)[:50]
            instances = []
            for r in test_rows:
                inst = {}
                for k, v in r.items():
                    if k == "churn":
                        continue
                    try:
                        inst[k] = float(v) if v not in ("", "NA") else None
                    except ValueError:
                        inst[k] = v
                instances.append(inst)
            code, out, _ = server.request("POST", "/v1/models/churn_gbdt:predict",
                                          {"instances": instances})
            self.assertEqual(code, 200, out)
            sub = os.path.join(self.dir, "first50.csv")
            with open(sub, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=list(test_rows[0].keys()), lineterminator="\n")
                w.writeheader()
                w.writerows(test_rows)
            expected = rows_of(self.run_kiln("predict", "--model", "served.kiln", "--data",
                                             sub).stdout)
            self.assertEqual(out["predictions"], [e["prediction"] for e in expected])
            for p, e in zip(out["probabilities"], expected):
                self.assertAlmostEqual(p["Yes"], float(e["p_Yes"]), places=9)
        finally:
            self.assertEqual(server.stop(), 0)


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text)))


if __name__ == "__main__":
    if not os.access(KILN, os.X_OK):
        sys.exit(f"kiln binary not found at {KILN}; set KILN_BIN")
    unittest.main(verbosity=2)
