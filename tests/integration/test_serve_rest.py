#!/usr/bin/python3
"""`kiln serve` over REST: the Open Inference Protocol routes, the row format, parity of served
predictions with `kiln predict`, every bad input a client can send (a 4xx with a JSON error that
names the problem, and the server keeps running), size limits and bearer-token auth."""
import csv
import io
import json
import os
import socket
import tempfile
import unittest

from serve_util import DATA, Server, fresh_env, kiln

CHURN_ROW = {"female": 0, "senior_citizen": 0, "partner": 1, "dependents": 0, "tenure": 58,
             "phone_service": 1, "multiple_lines": "Yes", "internet_service": "Fiber optic",
             "online_security": "No", "online_backup": "No", "device_protection": "Yes",
             "tech_support": "No", "streaming_tv": "Yes", "streaming_movies": "Yes",
             "contract": "One year", "paperless_billing": 0,
             "payment_method": "Credit card (automatic)", "monthly_charges": 100.35,
             "total_charges": 5681.1}


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


class Rest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for name in ("breast_cancer", "wa_churn"):
            if not os.path.isdir(os.path.join(DATA, name)):
                raise unittest.SkipTest(f"dataset {name} missing; run scripts/fetch_datasets.py")
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_serve_rest_")
        cls.dir = cls.tmp.name
        cls.env = fresh_env(cls.dir)
        cls.bc_test = os.path.join(DATA, "breast_cancer", "test.csv")
        kiln(cls.env, cls.dir, "train", "--algo", "logistic_regression", "--data",
             os.path.join(DATA, "breast_cancer", "train.csv"), "-o", "bc.kiln", "-q")
        kiln(cls.env, cls.dir, "train", "--algo", "logistic_regression", "--data",
             os.path.join(DATA, "wa_churn", "train.csv"), "--label", "churn", "-o",
             "churn.kiln", "-q")
        kiln(cls.env, cls.dir, "train", "--algo", "linear_regression", "--data",
             os.path.join(DATA, "diabetes", "train.csv"), "-o",
             "diabetes.kiln", "-q")
        cls.server = Server(cls.env, cls.dir, "--models", "bc", "--models", "churn",
                            "--models", "diabetes", "--max-body-mb", "1")

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        cls.tmp.cleanup()
        assert code == 0, f"kiln serve exited {code}"

    def call(self, method, path, body=None, headers=None):
        return self.server.request(method, path, body, headers)

    def expect_error(self, status, method, path, body, *needles, headers=None):
        code, payload, _ = self.call(method, path, body, headers)
        self.assertEqual(code, status, payload)
        self.assertIsInstance(payload, dict, payload)
        self.assertIn("error", payload)
        for needle in needles:
            self.assertIn(needle, payload["error"])
        self.assertIsNone(self.server.proc.poll(), "the server died")
        return payload

    # --- Open Inference Protocol -------------------------------------------------------------
    def test_health_and_server_metadata(self):
        self.assertEqual(self.call("GET", "/v2/health/live")[:2], (200, {"live": True}))
        self.assertEqual(self.call("GET", "/v2/health/ready")[:2], (200, {"ready": True}))
        code, meta, _ = self.call("GET", "/v2")
        self.assertEqual(code, 200)
        self.assertEqual(meta["name"], "kiln")
        self.assertIn("version", meta)
        self.assertIsInstance(meta["extensions"], list)

    def test_model_metadata_and_ready(self):
        code, meta, _ = self.call("GET", "/v2/models/bc")
        self.assertEqual(code, 200)
        self.assertEqual(meta["name"], "bc")
        self.assertEqual(meta["versions"], ["1"])
        self.assertEqual(meta["platform"], "kiln")
        self.assertEqual(len(meta["inputs"]), 30)
        self.assertEqual(meta["inputs"][0], {"name": "mean_radius", "datatype": "FP32",
                                             "shape": [-1]})
        self.assertEqual([o["name"] for o in meta["outputs"]], ["predictions", "probabilities"])
        self.assertEqual(self.call("GET", "/v2/models/bc/versions/1")[0], 200)
        self.assertEqual(self.call("GET", "/v2/models/bc/ready")[0], 200)
        self.assertEqual(self.call("GET", "/v2/models/bc/versions/1/ready")[0], 200)
        self.assertEqual(self.call("GET", "/v2/models/bc/versions/7/ready")[0], 404)
        self.assertEqual(self.call("GET", "/v2/models/nope/ready")[0], 404)
        code, index, _ = self.call("GET", "/v2/repository/index")
        self.assertEqual(code, 200)
        self.assertEqual(sorted(m["name"] for m in index), ["bc", "churn", "diabetes"])

    def bc_rows(self):
        rows = read_csv(self.bc_test)
        return [{k: float(v) for k, v in r.items() if k != "label"} for r in rows]

    def kiln_predict(self, model, data):
        out = kiln(self.env, self.dir, "predict", "--model", model, "--data", data).stdout
        return list(csv.DictReader(io.StringIO(out)))

    def test_v2_infer_matches_kiln_predict(self):
        rows = self.bc_rows()
        names = list(rows[0].keys())
        body = {"id": "req-1", "inputs": [
            {"name": n, "shape": [len(rows)], "datatype": "FP32", "data": [r[n] for r in rows]}
            for n in names]}
        code, out, headers = self.call("POST", "/v2/models/bc/infer", body)
        self.assertEqual(code, 200, out)
        self.assertEqual(out["model_name"], "bc")
        self.assertEqual(out["model_version"], "1")
        self.assertEqual(out["id"], "req-1")
        self.assertEqual(headers.get("X-Kiln-Model-Version"), "1")
        tensors = {t["name"]: t for t in out["outputs"]}
        probs = tensors["probabilities"]
        self.assertEqual(probs["shape"], [len(rows), 2])
        self.assertEqual(probs["datatype"], "FP64")
        expected = self.kiln_predict("bc.kiln", self.bc_test)
        self.assertEqual(len(expected), len(rows))
        for i, e in enumerate(expected):
            self.assertAlmostEqual(probs["data"][2 * i + 1], float(e["p_malignant"]), places=5)
            self.assertEqual(tensors["predictions"]["data"][i], e["prediction"])
        # The same rows as one [N, F] tensor in the model's input order, and only one output.
        matrix = {"inputs": [{"name": "input", "shape": [len(rows), len(names)],
                              "datatype": "FP64", "data": [[r[n] for n in names] for r in rows]}],
                  "outputs": [{"name": "probabilities"}]}
        code, out2, _ = self.call("POST", "/v2/models/bc/versions/1/infer", matrix)
        self.assertEqual(code, 200, out2)
        self.assertEqual([t["name"] for t in out2["outputs"]], ["probabilities"])
        for a, b in zip(out2["outputs"][0]["data"], probs["data"]):
            self.assertAlmostEqual(a, b, places=5)

    def test_v1_row_format(self):
        code, out, _ = self.call("POST", "/v1/models/churn:predict",
                                 {"instances": [CHURN_ROW, dict(CHURN_ROW, tenure=1,
                                                                contract="Month-to-month")]})
        self.assertEqual(code, 200, out)
        self.assertEqual(out["model"], "churn")
        self.assertEqual(len(out["predictions"]), 2)
        self.assertTrue(set(out["predictions"]) <= {"Yes", "No"})
        for p in out["probabilities"]:
            self.assertAlmostEqual(p["Yes"] + p["No"], 1.0, places=9)
        # A short tenure on a monthly contract churns more than a long one on a yearly contract.
        self.assertGreater(out["probabilities"][1]["Yes"], out["probabilities"][0]["Yes"])
        # null is a missing value; a number for a categorical feature is taken as its text.
        code, out, _ = self.call("POST", "/v1/models/churn:predict",
                                 {"instances": [dict(CHURN_ROW, tenure=None, contract=None)]})
        self.assertEqual(code, 200, out)
        code, out, _ = self.call("POST", "/v1/models/diabetes:predict",
                                 {"instances": [{k: float(v) for k, v in r.items()
                                                 if k != "label"}
                                                for r in read_csv(os.path.join(
                                                    DATA, "diabetes", "test.csv"))[:3]]})
        self.assertEqual(code, 200, out)
        self.assertEqual(len(out["predictions"]), 3)
        self.assertIsInstance(out["predictions"][0], float)
        self.assertNotIn("probabilities", out)

    # --- bad input ---------------------------------------------------------------------------
    def test_malformed_json(self):
        self.expect_error(400, "POST", "/v2/models/bc/infer", '{"inputs": [', "malformed JSON")
        self.expect_error(400, "POST", "/v1/models/churn:predict", "not json", "malformed JSON")
        self.expect_error(400, "POST", "/v1/models/churn:predict", "[1, 2]", "JSON object")
        self.expect_error(400, "POST", "/v1/models/churn:predict", "", "malformed JSON")

    def test_wrong_shape_and_datatype(self):
        p = "/v2/models/bc/infer"
        self.expect_error(400, "POST", p, {"inputs": []}, "inputs")
        self.expect_error(400, "POST", p, {"inputs": [{"name": "mean_radius", "shape": [2],
                                                       "datatype": "FP32", "data": [1.0]}]},
                          "shape [2] needs 2 values, data has 1")
        self.expect_error(400, "POST", p, {"inputs": [{"name": "mean_radius", "shape": [1, 3],
                                                       "datatype": "FP32", "data": [1, 2, 3]}]},
                          "mean_radius", "[rows, 1]")
        self.expect_error(400, "POST", p, {"inputs": [{"name": "x", "shape": [1, 5],
                                                       "datatype": "FP32", "data": [1] * 5}]},
                          "must have 30 columns")
        self.expect_error(400, "POST", p, {"inputs": [{"name": "mean_radius", "shape": [1],
                                                       "datatype": "FP17", "data": [1]}]},
                          "unknown datatype 'FP17'")
        self.expect_error(400, "POST", p, {"inputs": [{"name": "mean_radius", "shape": [1],
                                                       "datatype": "BYTES", "data": ["a"]}]},
                          "mean_radius", "BYTES")
        self.expect_error(400, "POST", p, {"inputs": [{"name": "mean_radius", "shape": [1],
                                                       "datatype": "FP32", "data": ["1.5"]}]},
                          "inputs[0].data[0]", "string")
        self.expect_error(400, "POST", p, {"inputs": [{"name": "mean_radius", "shape": [-1],
                                                       "datatype": "FP32", "data": [1]}]},
                          "shape")
        self.expect_error(400, "POST", p, {"inputs": [{"name": "mean_radius", "datatype": "FP32",
                                                       "data": [1]}]}, "shape")

    def test_missing_and_extra_features(self):
        row = dict(CHURN_ROW)
        del row["tenure"]
        self.expect_error(400, "POST", "/v1/models/churn:predict", {"instances": [row]},
                          "instances[0]", "missing feature tenure")
        self.expect_error(400, "POST", "/v1/models/churn:predict",
                          {"instances": [dict(CHURN_ROW, tenur=3)]},
                          "unknown feature 'tenur'", "did you mean 'tenure'")
        self.expect_error(400, "POST", "/v2/models/bc/infer",
                          {"inputs": [{"name": "mean_radius", "shape": [1], "datatype": "FP32",
                                       "data": [1]}]}, "missing features")
        self.expect_error(400, "POST", "/v1/models/churn:predict", {"instances": []}, "empty")
        self.expect_error(400, "POST", "/v1/models/churn:predict", {"rows": []}, "instances")
        self.expect_error(400, "POST", "/v1/models/churn:predict", {"instances": [[1, 2]]},
                          "instances[0]", "object")

    def test_string_where_number_expected(self):
        self.expect_error(400, "POST", "/v1/models/churn:predict",
                          {"instances": [dict(CHURN_ROW, tenure="58")]},
                          "instances[0].tenure", "numeric", '"58"')
        self.expect_error(400, "POST", "/v1/models/churn:predict",
                          {"instances": [dict(CHURN_ROW, contract={"a": 1})]},
                          "instances[0].contract", "string")

    def test_unknown_model_version_route_method(self):
        self.expect_error(404, "POST", "/v1/models/nope:predict", {"instances": [CHURN_ROW]},
                          "model 'nope' is not served", "bc, churn, diabetes")
        self.expect_error(404, "POST", "/v2/models/bc/versions/9/infer", {"inputs": []},
                          "no live version 9", "live: 1")
        self.expect_error(400, "POST", "/v2/models/bc/versions/x/infer", {"inputs": []},
                          "version 'x'")
        self.expect_error(404, "POST", "/v1/models/churn@prod:predict",
                          {"instances": [CHURN_ROW]}, "labelled 'prod'")
        self.expect_error(404, "GET", "/nothing/here", None, "no route")
        self.expect_error(405, "GET", "/v2/models/bc/infer", None, "use POST")
        self.expect_error(405, "POST", "/v2/health/live", "", "use GET")

    def test_oversized_body(self):
        big = json.dumps({"instances": [CHURN_ROW] * 8000})
        self.assertGreater(len(big), 1 << 20)
        code, payload, _ = self.call("POST", "/v1/models/churn:predict", big)
        self.assertEqual(code, 413, payload)
        self.assertIn("too large", payload["error"])
        self.assertEqual(self.call("GET", "/v2/health/live")[0], 200)

    def test_keep_alive_and_metrics(self):
        conn = self.server.connection()
        for _ in range(20):
            code, out, _ = self.server.request("POST", "/v1/models/churn:predict",
                                               {"instances": [CHURN_ROW]}, conn=conn)
            self.assertEqual(code, 200, out)
        conn.close()
        code, text, _ = self.call("GET", "/metrics")
        self.assertEqual(code, 200)
        self.assertRegex(text, r'kiln_model_requests_total\{model="churn",version="1"\} \d+')
        self.assertIn('kiln_http_requests_total{code="200"}', text)
        self.assertIn("kiln_http_request_duration_seconds_bucket", text)
        self.assertRegex(text, r'kiln_model_memory_bytes\{model="bc",version="1"\} [1-9]')
        self.assertIn("kiln_process_resident_memory_bytes", text)

    def test_head_answers_headers_only_and_keeps_the_connection_in_step(self):
        # HEAD then GET on one connection: a body sent after the HEAD answer would sit between
        # the two answers.
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as sock:
            sock.sendall(b"HEAD /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n"
                         b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        head, rest = data.split(b"\r\n\r\n", 1)
        self.assertTrue(head.startswith(b"HTTP/1.1 200 OK"), data)
        self.assertIn(b"Content-Length: 13", head)
        self.assertTrue(rest.startswith(b"HTTP/1.1 200 OK"), data)
        self.assertTrue(rest.endswith(b'{"live":true}'), data)


class RemotePredict(unittest.TestCase):
    """kiln predict --url: the same CSV as a local predict, answered by the server."""

    def test_matches_local_predict_and_reports_errors(self):
        with tempfile.TemporaryDirectory(prefix="kiln_predict_url_") as d:
            env = fresh_env(d)
            test_csv = os.path.join(DATA, "wa_churn", "test.csv")
            kiln(env, d, "train", "--algo", "logistic_regression", "--data",
                 os.path.join(DATA, "wa_churn", "train.csv"), "--label", "churn", "-o",
                 "churn.kiln", "-q")
            server = Server(env, d, "--models", "churn")
            try:
                url = f"http://127.0.0.1:{server.port}"
                local = kiln(env, d, "predict", "--model", "churn.kiln", "--data", test_csv).stdout
                remote = kiln(env, d, "predict", "--url", url, "churn", "--data", test_csv,
                              "--batch-rows", "500").stdout
                a, b = read_rows(local), read_rows(remote)
                self.assertEqual(len(a), 1409)
                self.assertEqual(list(a[0].keys()), list(b[0].keys()))
                for x, y in zip(a, b):
                    self.assertEqual(x["prediction"], y["prediction"])
                    self.assertAlmostEqual(float(x["p_Yes"]), float(y["p_Yes"]), places=6)
                r = kiln(env, d, "predict", "--url", url, "nope", "--data", test_csv,
                         check=False)
                self.assertEqual(r.returncode, 3, r.stderr)
                self.assertIn("not served", r.stderr)
                bad = os.path.join(d, "bad.csv")
                with open(bad, "w") as f:
                    f.write("tenure,contract\n1,Month-to-month\n")
                r = kiln(env, d, "predict", "--url", url, "churn", "--data", bad, check=False)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn("needs column", r.stderr)
                r = kiln(env, d, "predict", "--url", url, "--data", bad, check=False)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn("NAME", r.stderr)
            finally:
                self.assertEqual(server.stop(), 0)


class DecisionValues(unittest.TestCase):
    def test_a_model_without_probabilities_names_its_scores_output(self):
        with tempfile.TemporaryDirectory(prefix="kiln_serve_svm_") as d:
            env = fresh_env(d)
            kiln(env, d, "train", "--algo", "linear_svm", "--data",
                 os.path.join(DATA, "breast_cancer", "train.csv"), "-o", "svm.kiln", "-q")
            server = Server(env, d, "--models", "svm")
            try:
                code, meta, _ = server.request("GET", "/v2/models/svm")
                self.assertEqual(code, 200, meta)
                self.assertEqual([o["name"] for o in meta["outputs"]], ["predictions", "scores"])
                names = [t["name"] for t in meta["inputs"]]
                code, out, _ = server.request("POST", "/v2/models/svm/infer", {
                    "inputs": [{"name": "x", "shape": [1, len(names)], "datatype": "FP32",
                                "data": [[1.0] * len(names)]}],
                    "outputs": [{"name": "scores"}]})
                self.assertEqual(code, 200, out)
                self.assertEqual(out["outputs"][0]["shape"], [1, 2])
            finally:
                self.assertEqual(server.stop(), 0)


def read_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


class Auth(unittest.TestCase):
    def test_bearer_token(self):
        with tempfile.TemporaryDirectory(prefix="kiln_serve_auth_") as d:
            env = fresh_env(d, KILN_SERVE_TOKEN="s3cret")
            kiln(env, d, "train", "--algo", "logistic_regression", "--data",
                 os.path.join(DATA, "breast_cancer", "train.csv"), "-o", "bc.kiln", "-q")
            server = Server(env, d, "--models", "bc")
            try:
                self.assertEqual(server.request("GET", "/v2/health/ready")[0], 200)
                code, payload, headers = server.request("GET", "/v2/models/bc")
                self.assertEqual(code, 401)
                self.assertIn("Bearer", payload["error"])
                self.assertEqual(headers.get("WWW-Authenticate"), "Bearer")
                self.assertEqual(server.request("GET", "/v2/models/bc", headers={
                    "Authorization": "Bearer wrong"})[0], 401)
                self.assertEqual(server.request("GET", "/v2/models/bc", headers={
                    "Authorization": "Bearer s3cret"})[0], 200)
            finally:
                self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
