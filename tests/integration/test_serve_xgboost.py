#!/usr/bin/python3
"""XGBoost users can serve with Kiln: a model trained and saved as JSON by Debian's
python3-xgboost, put in a model directory, answers over REST with the probabilities xgboost's own
predict_proba gives for the same rows (and its regression predictions)."""
import csv
import io
import math
import os
import tempfile
import unittest

from serve_util import DATA, Server, fresh_env, kiln

try:
    import numpy as np
    import xgboost as xgb
except ImportError:  # pragma: no cover - install-deps.sh installs python3-xgboost
    xgb = None


def load(name):
    with open(os.path.join(DATA, name)) as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    return header, body


@unittest.skipIf(xgb is None, "python3-xgboost is not installed")
class XgboostParity(unittest.TestCase):
    def setUp(self):
        if not os.path.isdir(os.path.join(DATA, "breast_cancer")):
            self.skipTest("dataset breast_cancer missing; run scripts/fetch_datasets.py")
        self.tmp = tempfile.TemporaryDirectory(prefix="kiln_serve_xgb_")
        self.dir = self.tmp.name
        self.env = fresh_env(self.dir)

    def tearDown(self):
        self.tmp.cleanup()

    def save(self, booster, name):
        folder = os.path.join(self.dir, "models", name, "1")
        os.makedirs(folder)
        booster.save_model(os.path.join(folder, "model.json"))

    def test_classifier_and_regressor_match_xgboost(self):
        header, train = load("breast_cancer/train.csv")
        _, test = load("breast_cancer/test.csv")
        labels = sorted({r[0] for r in train})
        x = np.array([[float(v) for v in r[1:]] for r in train], dtype=np.float32)
        y = np.array([labels.index(r[0]) for r in train])
        xt = np.array([[float(v) for v in r[1:]] for r in test], dtype=np.float32)
        xt[::7, 3] = np.nan  # missing values follow each split's default direction
        clf = xgb.XGBClassifier(n_estimators=40, max_depth=4, learning_rate=0.3, random_state=1)
        clf.fit(x, y)
        self.save(clf.get_booster(), "bc_xgb")
        reg = xgb.XGBRegressor(n_estimators=30, max_depth=3, random_state=1)
        reg.fit(x[:, 1:], x[:, 0])  # predict mean_radius from the other features
        self.save(reg.get_booster(), "radius_xgb")

        server = Server(self.env, self.dir, "--model-dir", os.path.join(self.dir, "models"))
        try:
            code, meta, _ = server.request("GET", "/v2/models/bc_xgb")
            self.assertEqual(code, 200, meta)
            self.assertEqual(meta["platform"], "xgboost_json")
            self.assertEqual(len(meta["inputs"]), 30)
            rows = [[None if math.isnan(v) else float(v) for v in r] for r in xt.tolist()]
            # JSON has no NaN: missing values go as null, through the row format.
            names = [t["name"] for t in meta["inputs"]]
            instances = [dict(zip(names, r)) for r in rows]
            code, out, _ = server.request("POST", "/v1/models/bc_xgb:predict",
                                          {"instances": instances})
            self.assertEqual(code, 200, out)
            expected = clf.predict_proba(xt)
            for got, want in zip(out["probabilities"], expected):
                self.assertAlmostEqual(got["1"], float(want[1]), delta=1e-5)
            self.assertEqual([int(p) for p in out["predictions"]],
                             [int(v) for v in clf.predict(xt)])
            # The client side too: kiln predict --url writes xgboost's probabilities.
            csv_path = os.path.join(self.dir, "xt.csv")
            with open(csv_path, "w") as f:
                f.write(",".join(names) + "\n")
                for r in rows:
                    f.write(",".join("" if v is None else repr(v) for v in r) + "\n")
            got = kiln(self.env, self.dir, "predict", "--url", f"http://127.0.0.1:{server.port}",
                       "bc_xgb", "--data", csv_path).stdout
            lines = list(csv.DictReader(io.StringIO(got)))
            self.assertEqual(len(lines), len(expected))
            for line, want in zip(lines, expected):
                self.assertAlmostEqual(float(line["p_1"]), float(want[1]), delta=1e-5)

            xr = xt[:, 1:]
            rrows = [[0.0 if math.isnan(v) else float(v) for v in r] for r in xr.tolist()]
            xr = np.array(rrows, dtype=np.float32)
            code, out, _ = server.request("POST", "/v2/models/radius_xgb/infer", {
                "inputs": [{"name": "input", "shape": [len(rrows), 29], "datatype": "FP32",
                            "data": rrows}]})
            self.assertEqual(code, 200, out)
            got = out["outputs"][0]["data"]
            for g, w in zip(got, reg.predict(xr)):
                self.assertAlmostEqual(g, float(w), delta=1e-4 * max(1.0, abs(float(w))))
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
