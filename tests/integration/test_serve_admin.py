#!/usr/bin/python3
"""`kiln serve` admin API (the model repository extension): load and unload through
POST /v2/repository/models/NAME/load|unload, the index's states, poll and explicit model control,
a version, alias or file overriding the source, failed loads that change nothing, bad requests,
the admin token, `kiln models load|unload|list --url`, and zero failed requests for another
model while one is loaded and unloaded over and over."""
import json
import os
import shutil
import tempfile
import threading
import time
import unittest

from serve_util import DATA, Server, fresh_env, kiln, train_two_bc_versions

POLL = "0.2"


class Admin(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(os.path.join(DATA, "breast_cancer")):
            raise unittest.SkipTest("dataset breast_cancer missing; run scripts/fetch_datasets.py")
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_serve_admin_")
        cls.dir = cls.tmp.name
        cls.env = fresh_env(cls.dir)
        cls.train_csv = os.path.join(DATA, "breast_cancer", "train.csv")
        cls.row = train_two_bc_versions(cls.env, cls.dir)
        cls.broken = os.path.join(cls.dir, "broken.kiln")
        with open(cls.broken, "w") as f:
            f.write("KILNMODL this is not a model")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def model_dir(self, models):
        """{name: [versions]} as DIR/NAME/V/model.kiln (odd versions v1.kiln, even v2.kiln)."""
        root = tempfile.mkdtemp(prefix="models_", dir=self.dir)
        for name, versions in models.items():
            for v in versions:
                self.add_version(root, name, v)
        return root

    def add_version(self, root, name, version, source=None):
        staging = os.path.join(root, f".staging-{name}-{version}")
        os.makedirs(staging)
        shutil.copy(source or os.path.join(self.dir, f"v{(version - 1) % 2 + 1}.kiln"),
                    os.path.join(staging, "model.kiln"))
        os.makedirs(os.path.join(root, name), exist_ok=True)
        os.rename(staging, os.path.join(root, name, str(version)))

    def predict(self, server, model="bc", headers=None, conn=None):
        """(status, answer)"""
        code, out, _ = server.request("POST", f"/v1/models/{model}:predict",
                                      {"instances": [self.row]}, headers=headers, conn=conn)
        return code, out

    def version_of(self, server, model="bc"):
        code, out = self.predict(server, model)
        self.assertEqual(code, 200, out)
        return out["version"]

    def load(self, server, model, body=None, headers=None):
        return server.request("POST", f"/v2/repository/models/{model}/load",
                              body if body is not None else "", headers=headers)[:2]

    def unload(self, server, model, headers=None):
        return server.request("POST", f"/v2/repository/models/{model}/unload", "",
                              headers=headers)[:2]

    def index(self, server, headers=None):
        code, out, _ = server.request("GET", "/v2/repository/index", headers=headers)
        self.assertEqual(code, 200, out)
        return {(r["name"], r.get("version")): (r["state"], r["reason"]) for r in out}

    def wait_for(self, condition, seconds=10):
        deadline = time.time() + seconds
        while not condition() and time.time() < deadline:
            time.sleep(0.05)
        self.assertTrue(condition())

    def test_poll_mode_unload_pins_out_and_load_brings_back(self):
        root = self.model_dir({"bc": [1], "other": [2]})
        server = Server(self.env, self.dir, "--model-dir", root, "--poll-interval", POLL)
        try:
            self.assertEqual(self.index(server), {("bc", "1"): ("READY", ""),
                                                  ("other", "2"): ("READY", "")})
            code, out = self.unload(server, "bc")
            self.assertEqual((code, out), (200, {"name": "bc", "state": "UNAVAILABLE",
                                                 "reason": "unloaded"}))
            code, out = self.predict(server)
            self.assertEqual(code, 404, out)
            self.assertIn("'bc'", out["error"])
            self.assertEqual(out["code"], "not_found")
            time.sleep(0.6)  # several polls: the source still has bc, it stays unloaded
            self.assertEqual(self.predict(server)[0], 404)
            self.assertEqual(self.index(server)[("bc", None)], ("UNAVAILABLE", "unloaded"))
            self.assertEqual(self.version_of(server, "other"), 2)
            code, out = self.unload(server, "bc")
            self.assertEqual(code, 200, "unloading twice is not an error")

            code, out = self.load(server, "bc")
            self.assertEqual((code, out), (200, {"name": "bc", "state": "READY",
                                                 "versions": ["1"]}))
            self.assertEqual(self.version_of(server), 1)
            self.add_version(root, "bc", 2)  # polls follow the source again
            self.wait_for(lambda: self.version_of(server) == 2)

            # A version pins the model to it over polls; a load without one hands it back.
            code, out = self.load(server, "bc", {"version": 1})
            self.assertEqual((code, out["versions"]), (200, ["1"]))
            time.sleep(0.6)
            self.assertEqual(self.version_of(server), 1)
            self.assertEqual(self.load(server, "bc", {})[0], 200)
            self.assertEqual(self.version_of(server), 2)

            # A model file on the server's disk, as a new model with a version number.
            code, out = self.load(server, "extra", {"parameters": {
                "path": os.path.join(self.dir, "v2.kiln"), "version": "5"}})
            self.assertEqual((code, out["versions"]), (200, ["5"]), out)
            code, out, _ = server.request("POST", "/v2/models/extra/versions/5/infer", {
                "inputs": [{"name": k, "shape": [1], "datatype": "FP32", "data": [v]}
                           for k, v in self.row.items()]})
            self.assertEqual(code, 200, out)
            time.sleep(0.5)
            self.assertEqual(self.version_of(server, "extra"), 5, "polls keep a file load")

            # Not waiting: 202 now, the index shows LOADING or READY, then READY.
            code, out = self.load(server, "other", {"version": 2, "wait": False})
            self.assertEqual((code, out), (202, {"name": "other", "state": "LOADING"}))
            self.wait_for(lambda: self.index(server).get(("other", "2"), ("",))[0] == "READY"
                          and ("other", "2") in self.index(server)
                          and ("other", None) not in self.index(server))
        finally:
            self.assertEqual(server.stop(), 0)
        log = server.output()
        self.assertIn("unloaded bc v1", log)
        self.assertIn("serving extra v5", log)

    def test_bad_requests_and_failed_loads_change_nothing(self):
        root = self.model_dir({"bc": [1]})
        os.makedirs(os.path.join(root, "bc", "3"))
        shutil.copy(self.broken, os.path.join(root, "bc", "3", "model.kiln"))
        with open(os.path.join(root, "bc", "config.json"), "w") as f:
            json.dump({"version_policy": {"specific": [1]}}, f)  # polls leave broken v3 alone
        server = Server(self.env, self.dir, "--model-dir", root, "--poll-interval", "60")
        try:
            code, out = self.load(server, "nope")
            self.assertEqual(code, 404, out)
            self.assertIn("'nope'", out["error"])
            self.assertIn("models: bc", out["error"])
            code, out = self.unload(server, "nope")
            self.assertEqual(code, 404, out)
            self.assertIn("'nope' is not loaded (loaded: bc)", out["error"])
            code, out = self.load(server, "bc", {"version": 9})
            self.assertEqual(code, 404, out)
            self.assertIn("no version folder 9", out["error"])
            for body, needle in [("{nope", "not valid JSON"), ("[1]", "must be a JSON object"),
                                 ({"verison": 1}, 'unknown key "verison"'),
                                 ({"version": "x"}, '"version" must be a positive integer'),
                                 ({"version": 1, "alias": "a"}, "not both"),
                                 ({"platform": "kiln"}, '"platform" goes with "path"'),
                                 ({"wait": 3}, '"wait" must be true or false')]:
                with self.subTest(body=body):
                    code, out = self.load(server, "bc", body)
                    self.assertEqual(code, 400, out)
                    self.assertEqual(out["code"], "invalid_argument")
                    self.assertIn(needle, out["error"])
            code, out = self.load(server, "%2e%2e")
            self.assertEqual(code, 400, out)
            self.assertIn("is not a model name", out["error"])
            code, out, headers = server.request("GET", "/v2/repository/models/bc/load")
            self.assertEqual(code, 405, out)
            self.assertEqual(headers.get("Allow"), "POST")
            code, out, _ = server.request("POST", "/v2/repository/models/bc/reload")
            self.assertEqual(code, 404, out)

            # A broken file, from the directory or as a path: an error naming the problem, and
            # the version that was serving keeps serving.
            for body in ({"version": 3}, {"path": self.broken},
                         {"path": self.broken, "platform": "xgboost_json"}):
                with self.subTest(body=body):
                    code, out = self.load(server, "bc", body)
                    self.assertIn(code // 100, (4, 5), out)
                    self.assertTrue("model.kiln" in out["error"] or "broken.kiln" in out["error"],
                                    out)
                    self.assertEqual(self.version_of(server), 1)
            index = self.index(server)
            self.assertEqual(index[("bc", "1")], ("READY", ""))
            self.assertEqual([k for k, (state, reason) in index.items()
                              if state == "UNAVAILABLE" and "broken.kiln" in reason],
                             [("bc", None)])
            code, out = self.load(server, "bc", {"path": "/no/such/file.kiln"})
            self.assertEqual(code, 404, out)
            self.assertIn("/no/such/file.kiln", out["error"])
            self.assertEqual(self.version_of(server), 1)
        finally:
            self.assertEqual(server.stop(), 0)

    def test_admin_token_and_auth_token(self):
        root = self.model_dir({"bc": [1]})
        server = Server(self.env, self.dir, "--model-dir", root, "--auth-token", "reader",
                        "--admin-token", "boss")
        reader = {"Authorization": "Bearer reader"}
        boss = {"Authorization": "Bearer boss"}
        try:
            code, out, headers = server.request("GET", "/v2/repository/index")
            self.assertEqual(code, 401, out)
            self.assertEqual(headers.get("WWW-Authenticate"), "Bearer")
            self.assertEqual(len(self.index(server, reader)), 1)
            self.assertEqual(len(self.index(server, boss)), 1)
            code, out = self.unload(server, "bc")
            self.assertEqual(code, 401, out)
            self.assertIn("admin token", out["error"])
            code, out = self.unload(server, "bc", {"Authorization": "Bearer wrong"})
            self.assertEqual(code, 401, out)
            code, out = self.unload(server, "bc", reader)
            self.assertEqual(code, 403, out)
            self.assertEqual(self.predict(server, headers=reader)[0], 200)
            self.assertEqual(self.unload(server, "bc", boss)[0], 200)
            self.assertEqual(self.predict(server, headers=reader)[0], 404)
            self.assertEqual(self.load(server, "bc", headers=boss)[0], 200)
            # The CLI client takes the token from --token or $KILN_SERVE_ADMIN_TOKEN.
            url = f"http://127.0.0.1:{server.port}"
            r = kiln(self.env, self.dir, "models", "unload", "--url", url, "bc", check=False)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("401", r.stderr)
            env = dict(self.env, KILN_SERVE_ADMIN_TOKEN="boss")
            r = kiln(env, self.dir, "models", "unload", "--url", url, "bc")
            self.assertIn("unloaded bc", r.stdout)
            r = kiln(self.env, self.dir, "models", "load", "--url", url, "bc", "--token", "boss")
            self.assertIn("loaded bc", r.stdout)
            self.assertIn("version 1", r.stdout)
        finally:
            self.assertEqual(server.stop(), 0)
        # Without --admin-token, load and unload need the --auth-token.
        server = Server(self.env, self.dir, "--model-dir", root, "--auth-token", "reader")
        try:
            self.assertEqual(self.unload(server, "bc")[0], 401)
            self.assertEqual(self.unload(server, "bc", reader)[0], 200)
        finally:
            self.assertEqual(server.stop(), 0)

    def test_explicit_mode_loads_only_on_request(self):
        root = self.model_dir({"bc": [1], "other": [1]})
        server = Server(self.env, self.dir, "--model-dir", root, "--model-control", "explicit",
                        "--load", "other", "--poll-interval", POLL)
        try:
            self.assertEqual(self.index(server), {("other", "1"): ("READY", "")})
            self.assertEqual(server.request("GET", "/v2/health/ready")[0], 200)
            self.assertEqual(self.predict(server)[0], 404)
            url = f"http://127.0.0.1:{server.port}"
            r = kiln(self.env, self.dir, "models", "load", "--url", url, "bc")
            self.assertIn("loaded bc", r.stdout)
            self.assertEqual(self.version_of(server), 1)
            self.add_version(root, "bc", 2)
            time.sleep(0.6)
            self.assertEqual(self.version_of(server), 1, "explicit mode does not poll")
            r = kiln(self.env, self.dir, "models", "load", "--url", url, "bc", "--no-wait")
            self.assertIn("not waiting", r.stdout)
            self.wait_for(lambda: self.version_of(server) == 2)
            r = kiln(self.env, self.dir, "models", "list", "--url", url)
            self.assertRegex(r.stdout, r"bc\s+2\s+READY")
            listed = json.loads(kiln(self.env, self.dir, "models", "list", "--url", url,
                                     "--json").stdout)
            self.assertEqual(sorted((e["name"], e["version"], e["state"]) for e in listed),
                             [("bc", "2", "READY"), ("other", "1", "READY")])
            kiln(self.env, self.dir, "models", "unload", "--url", url, "bc")
            self.assertEqual(self.predict(server)[0], 404)
            r = kiln(self.env, self.dir, "models", "load", "--url", url, "missing", check=False)
            self.assertEqual(r.returncode, 3, r.stderr)
            self.assertIn("'missing'", r.stderr)
        finally:
            self.assertEqual(server.stop(), 0)

    def test_explicit_mode_over_the_registry(self):
        home = os.path.join(self.dir, "home-registry")
        env = dict(self.env, KILN_HOME=home)
        for l2 in ("100", "0.01"):
            kiln(env, self.dir, "train", "--algo", "logistic_regression", "--data",
                 self.train_csv, "-p", f"l2={l2}", "-o", "reg.kiln", "--register", "bc", "-q")
        kiln(env, self.dir, "models", "alias", "bc", "production", "1")
        server = Server(env, self.dir, "--model-control", "explicit", "--load", "bc@production")
        try:
            self.assertEqual(self.version_of(server), 1)
            self.assertEqual(self.load(server, "bc", {"alias": "nope"})[0], 404)
            code, out = self.load(server, "bc", {"version": 2})
            self.assertEqual((code, out["versions"]), (200, ["2"]))
            self.assertEqual(self.version_of(server), 2)
            self.wait_for(lambda: [d["version"] for d in json.loads(kiln(
                env, self.dir, "deployments", "list", "--json").stdout)] == [2])
            self.assertEqual(self.unload(server, "bc")[0], 200)
            self.wait_for(lambda: json.loads(kiln(
                env, self.dir, "deployments", "list", "--json").stdout) == [])
        finally:
            self.assertEqual(server.stop(), 0)
        r = kiln(env, self.dir, "serve", "--model-control", "explicit", "--models", "bc",
                 check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--load", r.stderr)
        r = kiln(env, self.dir, "serve", "--models", "bc", "--load", "bc", check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("explicit", r.stderr)

    def test_other_models_answer_every_request_during_loads_and_unloads(self):
        root = self.model_dir({"bc": [1], "steady": [1]})
        server = Server(self.env, self.dir, "--model-dir", root, "--poll-interval", POLL)
        stop = threading.Event()
        steady, churned = [], []
        lock = threading.Lock()

        def client(model, results):
            conn = server.connection()
            body = json.dumps({"instances": [self.row]})
            while not stop.is_set():
                try:
                    conn.request("POST", f"/v1/models/{model}:predict", body=body)
                    r = conn.getresponse()
                    r.read()
                    status = r.status
                except OSError as e:  # a connection error is a failed request too
                    status = repr(e)
                    conn.close()
                    conn = server.connection()
                with lock:
                    results.append(status)
            conn.close()

        threads = [threading.Thread(target=client, args=("steady", steady)) for _ in range(3)]
        threads.append(threading.Thread(target=client, args=("bc", churned)))
        try:
            for t in threads:
                t.start()
            time.sleep(0.3)
            for i in range(8):
                code, out = self.unload(server, "bc")
                self.assertEqual(code, 200, out)
                code, out = self.load(server, "bc", {"version": 1} if i % 2 else {})
                self.assertEqual(code, 200, out)
            time.sleep(0.3)
        finally:
            stop.set()
            for t in threads:
                t.join()
            self.assertEqual(server.stop(), 0)
        self.assertGreater(len(steady), 100)
        self.assertEqual([s for s in steady if s != 200], [],
                         "requests to another model failed during loads and unloads")
        self.assertEqual({s for s in churned} - {200, 404}, set(),
                         "the model being unloaded answered something else than 200 or 404")


if __name__ == "__main__":
    unittest.main(verbosity=2)
