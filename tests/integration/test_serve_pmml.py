#!/usr/bin/python3
"""PMML end to end.

Kiln's own models: `kiln export --format pmml` of linear_regression, logistic_regression (binary
and multinomial, with and without standardization) and linear_svm (binary and one-vs-rest),
trained on real datasets with categorical columns and missing values, served from a model
directory next to the Kiln model file, answer every test row with Kiln's scores (`kiln predict`
and the kiln processor) within 1e-9 relative, in the same response shape.

Tree models: the fixtures of tests/data/pmml (scripts/make-pmml-fixtures.py) served over REST
answer sklearn's and XGBoost's predictions within 1e-5, and the converted XGBoost model answers
what the xgboost_json processor answers for the same booster. Bad requests and bad documents get
clear errors."""
import csv
import io
import json
import os
import random
import shutil
import tempfile
import unittest

from serve_util import DATA, SOURCE, Server, fresh_env, kiln

FIXTURES = os.path.join(SOURCE, "tests", "data")
REL = 1e-9


def read_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def blank(header, rows, columns, every, seed):
    """A copy of rows with some cells of `columns` emptied (missing values)."""
    rng = random.Random(seed)
    out = [list(r) for r in rows]
    for r in out:
        for c in columns:
            if rng.randrange(every) == 0:
                r[header.index(c)] = ""
    return out


class Diff:
    """The largest absolute and relative differences seen."""

    def __init__(self):
        self.abs = 0.0
        self.rel = 0.0
        self.count = 0

    def add(self, got, want):
        d = abs(got - want)
        self.abs = max(self.abs, d)
        self.rel = max(self.rel, d / max(abs(want), 1e-300) if d > 0 else 0.0)
        self.count += 1


class PmmlServing(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_pmml_")
        cls.dir = cls.tmp.name
        cls.env = fresh_env(cls.dir)
        cls.models = os.path.join(cls.dir, "models")
        cls.report = []

    @classmethod
    def tearDownClass(cls):
        for line in cls.report:
            print(line)
        cls.tmp.cleanup()

    def place(self, name, source, filename):
        folder = os.path.join(self.models, name, "1")
        os.makedirs(folder, exist_ok=True)
        shutil.copy(source, os.path.join(folder, filename))

    def train_and_export(self, name, algo, train, label, params=()):
        model = os.path.join(self.dir, name + ".kiln")
        args = ["train", "--algo", algo, "--data", train, "--label", label, "-o", model]
        for p in params:
            args += ["--param", p]
        kiln(self.env, self.dir, *args)
        pmml = os.path.join(self.dir, name + ".pmml")
        r = kiln(self.env, self.dir, "export", model, "--format", "pmml", "-o", pmml)
        self.assertIn("written to", r.stdout)
        self.place(name + "_kiln", model, "model.kiln")
        self.place(name + "_pmml", pmml, "model.pmml")
        return model

    def instances(self, server, name, header, rows):
        """Rows as row-format instances typed by the served model's metadata."""
        code, meta, _ = server.request("GET", f"/v2/models/{name}")
        self.assertEqual(code, 200, meta)
        types = {t["name"]: t["datatype"] for t in meta["inputs"]}
        out = []
        for r in rows:
            inst = {}
            for h, v in zip(header, r):
                if h not in types:
                    continue
                if v == "":
                    inst[h] = None
                elif types[h] == "BYTES":
                    # as Kiln's CSV reader takes an unquoted cell ("WD " in ames is "WD")
                    inst[h] = v.strip()
                else:
                    inst[h] = float(v)
            out.append(inst)
        return meta, out

    def predict(self, server, name, instances):
        code, out, _ = server.request("POST", f"/v1/models/{name}:predict",
                                      {"instances": instances})
        self.assertEqual(code, 200, out)
        return out

    def check_kiln_parity(self, server, name, model, test_header, test_rows):
        meta_p, instances = self.instances(server, name + "_pmml", test_header, test_rows)
        meta_k, _ = self.instances(server, name + "_kiln", test_header, test_rows)
        self.assertEqual(meta_p["platform"], "pmml")
        self.assertEqual(meta_k["platform"], "kiln")
        # The same inputs (names and types) and outputs as the kiln processor.
        self.assertEqual(meta_p["inputs"], meta_k["inputs"])
        self.assertEqual(meta_p["outputs"], meta_k["outputs"])
        got = self.predict(server, name + "_pmml", instances)
        served = self.predict(server, name + "_kiln", instances)
        self.assertEqual(sorted(got), sorted(served))
        if "classes" in got:
            self.assertEqual(got["predictions"], served["predictions"])

        test_csv = os.path.join(self.dir, name + ".test.csv")
        write_csv(test_csv, test_header, test_rows)
        text = kiln(self.env, self.dir, "predict", "--model", model, "--data", test_csv).stdout
        lines = list(csv.DictReader(io.StringIO(text)))
        self.assertEqual(len(lines), len(test_rows))
        diff = Diff()
        key = "probabilities" if "probabilities" in got else "scores" if "scores" in got else None
        for i, line in enumerate(lines):
            if key is None:
                want = float(line["prediction"])
                diff.add(got["predictions"][i], want)
                self.assertAlmostEqual(got["predictions"][i], want,
                                       delta=REL * max(abs(want), 1e-300), msg=f"{name} row {i}")
                ref = served["predictions"][i]
                self.assertAlmostEqual(got["predictions"][i], ref, delta=REL * abs(ref))
                continue
            self.assertEqual(got["predictions"][i], line["prediction"], f"{name} row {i}")
            for cls, value in got[key][i].items():
                column = ("p_" if key == "probabilities" else "score_") + cls
                if column not in line:  # a binary SVM writes the positive class's score only
                    continue
                want = float(line[column])
                diff.add(value, want)
                self.assertAlmostEqual(value, want, delta=REL * max(abs(want), 1e-300),
                                       msg=f"{name} row {i} class {cls}")
            # and the kiln processor's answer for the same row (the same sums, summed in another
            # order)
            for cls, value in got[key][i].items():
                ref = served[key][i][cls]
                self.assertAlmostEqual(value, ref, delta=REL * max(abs(ref), 1e-300))
        # The client side: kiln predict --url against the PMML model writes kiln predict's CSV.
        remote = kiln(self.env, self.dir, "predict", "--url", f"http://127.0.0.1:{server.port}",
                      name + "_pmml", "--data", test_csv).stdout
        remote_lines = list(csv.DictReader(io.StringIO(remote)))
        self.assertEqual(len(remote_lines), len(lines))
        for local_line, remote_line in zip(lines, remote_lines):
            self.assertEqual(sorted(local_line), sorted(remote_line))
            for column, value in local_line.items():
                if column == "prediction" and key is not None:
                    self.assertEqual(remote_line[column], value)
                else:
                    want = float(value)
                    self.assertAlmostEqual(float(remote_line[column]), want,
                                           delta=REL * max(abs(want), 1e-300))
        self.report.append(f"{name}: {diff.count} values vs kiln predict, max abs diff "
                           f"{diff.abs:.3g}, max rel diff {diff.rel:.3g}")

    def test_kiln_models_exported_to_pmml_score_like_kiln(self):
        for d in ("wa_churn", "penguins", "ames", "breast_cancer", "wine"):
            if not os.path.isdir(os.path.join(DATA, d)):
                self.skipTest(f"dataset {d} missing; run scripts/fetch_datasets.py")
        cases = []
        # Binary logistic regression on churn, with missing values in training (so missing-value
        # indicators) and in the test rows, numeric and categorical.
        h, train = read_csv(os.path.join(DATA, "wa_churn", "train.csv"))
        _, test = read_csv(os.path.join(DATA, "wa_churn", "test.csv"))
        holes = ["tenure", "monthly_charges", "total_charges", "contract", "payment_method"]
        churn_train = os.path.join(self.dir, "churn_train.csv")
        write_csv(churn_train, h, blank(h, train, holes, 20, 1))
        test = blank(h, test[:400], holes, 10, 2)
        test[0][h.index("contract")] = "Weekly"  # a category never seen in training
        cases.append(("churn", "logistic_regression", churn_train, "churn", [], h, test))
        # The same without standardization: values pass through, the mean imputes.
        cases.append(("churn_raw", "logistic_regression", churn_train, "churn",
                      ["standardize=false"], h, test))
        # Multinomial logistic regression (penguins: categoricals and missing values).
        h, train = read_csv(os.path.join(DATA, "penguins", "train.csv"))
        _, test = read_csv(os.path.join(DATA, "penguins", "test.csv"))
        cases.append(("penguins", "logistic_regression",
                      os.path.join(DATA, "penguins", "train.csv"), "species", [], h, test))
        # Linear regression with many one-hot columns (ames; every category one-hot encoded).
        h, train = read_csv(os.path.join(DATA, "ames", "train.csv"))
        _, test = read_csv(os.path.join(DATA, "ames", "test.csv"))
        cases.append(("ames", "linear_regression", os.path.join(DATA, "ames", "train.csv"),
                      "Sale_Price", ["max_onehot=1000"], h, test))
        # Linear SVMs: decision values, binary and one-vs-rest.
        h, train = read_csv(os.path.join(DATA, "breast_cancer", "train.csv"))
        _, test = read_csv(os.path.join(DATA, "breast_cancer", "test.csv"))
        cases.append(("bc_svm", "linear_svm", os.path.join(DATA, "breast_cancer", "train.csv"),
                      "label", [], h, test))
        h, train = read_csv(os.path.join(DATA, "wine", "train.csv"))
        _, test = read_csv(os.path.join(DATA, "wine", "test.csv"))
        cases.append(("wine_svm", "linear_svm", os.path.join(DATA, "wine", "train.csv"),
                      "label", [], h, test))

        models = {}
        for name, algo, train_path, label, params, header, rows in cases:
            models[name] = self.train_and_export(name, algo, train_path, label, params)
        server = Server(self.env, self.dir, "--model-dir", self.models, "--poll-interval", "60")
        try:
            for name, algo, train_path, label, params, header, rows in cases:
                with self.subTest(model=name):
                    self.check_kiln_parity(server, name, models[name], header, rows)
        finally:
            self.assertEqual(server.stop(), 0, server.output())

    def test_export_refuses_what_pmml_cannot_express(self):
        churn = os.path.join(DATA, "wa_churn", "train.csv")
        if not os.path.exists(churn):
            self.skipTest("dataset wa_churn missing; run scripts/fetch_datasets.py")
        hashed = os.path.join(self.dir, "hashed.kiln")
        kiln(self.env, self.dir, "train", "--algo", "logistic_regression", "--data", churn,
             "--label", "churn", "--param", "max_onehot=2", "-o", hashed)
        out = os.path.join(self.dir, "hashed.pmml")
        r = kiln(self.env, self.dir, "export", hashed, "-o", out, check=False)
        self.assertEqual(r.returncode, 8, r.stderr)
        self.assertIn("is hashed into 1024 buckets", r.stderr)
        self.assertIn("max_onehot", r.stderr)
        self.assertFalse(os.path.exists(out))
        r = kiln(self.env, self.dir, "export", os.path.join(self.dir, "nope.kiln"), "-o", out,
                 check=False)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("no such file", r.stderr)
        r = kiln(self.env, self.dir, "export", hashed, "--format", "onnx", "-o", out, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        r = kiln(self.env, self.dir, "export", "--help")
        self.assertIn("--format", r.stdout)
        self.assertIn("kiln export churn.kiln --format pmml -o churn.pmml", r.stdout)

    def test_tree_fixtures_match_sklearn_and_xgboost(self):
        pmml_dir = os.path.join(FIXTURES, "pmml")
        xgb_dir = os.path.join(FIXTURES, "xgboost")
        models = os.path.join(self.dir, "tree_models")

        def place(name, source, filename):
            folder = os.path.join(models, name, "1")
            os.makedirs(folder, exist_ok=True)
            shutil.copy(source, os.path.join(folder, filename))

        for name in ("tree_classifier", "tree_regressor"):
            place(name, os.path.join(pmml_dir, name + ".pmml"), "model.pmml")
        for name in ("binary", "multiclass", "regression", "poisson"):
            place("xgb_" + name, os.path.join(pmml_dir, f"xgb_{name}.pmml"), "model.pmml")
            place("json_" + name, os.path.join(xgb_dir, f"{name}.model.json"), "model.json")
        server = Server(self.env, self.dir, "--model-dir", models, "--poll-interval", "60")
        try:
            for name in ("tree_classifier", "tree_regressor"):
                header, rows = read_csv(os.path.join(pmml_dir, name + ".input.csv"))
                _, expected = read_csv(os.path.join(pmml_dir, name + ".expected.csv"))
                _, instances = self.instances(server, name, header, rows)
                out = self.predict(server, name, instances)
                diff = Diff()
                for i, want in enumerate(expected):
                    if name == "tree_classifier":
                        self.assertEqual(out["predictions"][i], want[0])
                        for k, cls in enumerate(out["classes"]):
                            diff.add(out["probabilities"][i][cls], float(want[1 + k]))
                            self.assertAlmostEqual(out["probabilities"][i][cls],
                                                   float(want[1 + k]), delta=1e-12)
                    else:
                        diff.add(out["predictions"][i], float(want[0]))
                        self.assertAlmostEqual(out["predictions"][i], float(want[0]),
                                               delta=1e-9 * abs(float(want[0])))
                self.report.append(f"{name}: {diff.count} values vs sklearn, max abs diff "
                                   f"{diff.abs:.3g}, max rel diff {diff.rel:.3g}")

            for name, classes in (("binary", 2), ("multiclass", 3), ("regression", 0),
                                  ("poisson", 0)):
                header, rows = read_csv(os.path.join(xgb_dir, name + ".input.csv"))
                _, expected = read_csv(os.path.join(xgb_dir, name + ".expected.csv"))
                _, instances = self.instances(server, "xgb_" + name, header, rows)
                got = self.predict(server, "xgb_" + name, instances)
                ref = self.predict(server, "json_" + name, instances)
                vs_xgb, vs_json = Diff(), Diff()
                for i, want in enumerate(expected):
                    if classes:
                        self.assertEqual(got["predictions"][i], str(ref["predictions"][i]))
                        pairs = [(got["probabilities"][i][str(k)], float(want[1 + k]),
                                  ref["probabilities"][i][str(k)]) for k in range(classes)]
                    else:
                        pairs = [(got["predictions"][i], float(want[0]), ref["predictions"][i])]
                    for g, x, j in pairs:
                        vs_xgb.add(g, x)
                        vs_json.add(g, j)
                        self.assertAlmostEqual(g, x, delta=1e-5 * max(abs(x), 1.0))
                        self.assertAlmostEqual(g, j, delta=1e-5 * max(abs(j), 1.0))
                self.report.append(
                    f"xgb_{name}: {vs_xgb.count} values, max abs/rel diff vs xgboost "
                    f"{vs_xgb.abs:.3g}/{vs_xgb.rel:.3g}, vs the xgboost_json processor "
                    f"{vs_json.abs:.3g}/{vs_json.rel:.3g}")

            # Open Inference Protocol with one [N, F] tensor.
            header, rows = read_csv(os.path.join(xgb_dir, "regression.input.csv"))
            data = [[float(v) for v in r] for r in rows[:5]]
            code, out, _ = server.request("POST", "/v2/models/xgb_regression/infer", {
                "inputs": [{"name": "x", "shape": [5, len(header)], "datatype": "FP64",
                            "data": data}]})
            self.assertEqual(code, 200, out)
            self.assertEqual(out["outputs"][0]["name"], "predictions")
            self.assertEqual(len(out["outputs"][0]["data"]), 5)

            # Bad requests name the feature.
            header, rows = read_csv(os.path.join(pmml_dir, "tree_classifier.input.csv"))
            _, instances = self.instances(server, "tree_classifier", header, rows[:1])
            instances[0]["island"] = "Atlantis"
            code, out, _ = server.request("POST", "/v1/models/tree_classifier:predict",
                                          {"instances": instances})
            self.assertEqual(code, 400, out)
            self.assertIn("feature 'island' has the value \"Atlantis\"", out["error"])
            instances[0]["island"] = "Dream"
            instances[0]["year"] = "twenty"
            code, out, _ = server.request("POST", "/v1/models/tree_classifier:predict",
                                          {"instances": instances})
            self.assertEqual(code, 400, out)
            self.assertIn("year", out["error"])
        finally:
            self.assertEqual(server.stop(), 0)

    def test_a_bad_document_is_refused_with_its_line(self):
        # A model that does not load at startup stops kiln serve with the parser's message.
        bad = os.path.join(self.dir, "broken_models", "broken", "1")
        os.makedirs(bad)
        with open(os.path.join(FIXTURES, "pmml", "tree_regressor.pmml")) as f:
            text = f.read().replace('operator="lessOrEqual"', 'operator="atMost"', 1)
        with open(os.path.join(bad, "model.pmml"), "w") as f:
            f.write(text)
        r = kiln(self.env, self.dir, "serve", "--port", "0", "--model-dir",
                 os.path.dirname(os.path.dirname(bad)), check=False)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("broken/1/model.pmml:32: SimplePredicate: operator=\"atMost\" is not a "
                      "valid value", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
