#!/usr/bin/python3
"""`kiln serve` versions and traffic: hot reload under load with zero failed requests, weighted
splits within statistical tolerance, sticky routing by key, shadow versions that never answer,
alias moves in the registry, deployment records, and a graceful SIGTERM drain."""
import json
import os
import re
import shutil
import sqlite3
import tempfile
import threading
import time
import unittest

from serve_util import DATA, Server, fresh_env, kiln, train_two_bc_versions

POLL = "0.2"


class Versions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(os.path.join(DATA, "breast_cancer")):
            raise unittest.SkipTest("dataset breast_cancer missing; run scripts/fetch_datasets.py")
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_serve_versions_")
        cls.dir = cls.tmp.name
        cls.env = fresh_env(cls.dir)
        cls.train_csv = os.path.join(DATA, "breast_cancer", "train.csv")
        cls.row = train_two_bc_versions(cls.env, cls.dir)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def model_dir(self, versions, config=None):
        root = tempfile.mkdtemp(prefix="models_", dir=self.dir)
        for v in versions:
            self.add_version(root, v)
        if config is not None:
            with open(os.path.join(root, "bc", "config.json"), "w") as f:
                json.dump(config, f)
        return root

    def add_version(self, root, version):
        """Copies v<version>.kiln in as bc/<version>/model.kiln, renaming the folder in whole."""
        staging = os.path.join(root, f".staging{version}")
        os.makedirs(staging)
        shutil.copy(os.path.join(self.dir, f"v{(version - 1) % 2 + 1}.kiln"),
                    os.path.join(staging, "model.kiln"))
        os.makedirs(os.path.join(root, "bc"), exist_ok=True)
        os.rename(staging, os.path.join(root, "bc", str(version)))

    def predict(self, server, headers=None, conn=None):
        code, out, h = server.request("POST", "/v1/models/bc:predict",
                                      {"instances": [self.row]}, headers=headers, conn=conn)
        self.assertEqual(code, 200, out)
        return out["version"]

    def test_hot_reload_under_load_fails_no_request(self):
        root = self.model_dir([1])
        server = Server(self.env, self.dir, "--model-dir", root, "--poll-interval", POLL)
        stop = threading.Event()
        results = []  # (status, version)
        lock = threading.Lock()

        def load():
            conn = server.connection()
            body = json.dumps({"instances": [self.row]})
            while not stop.is_set():
                conn.request("POST", "/v1/models/bc:predict", body=body)
                r = conn.getresponse()
                payload = r.read()
                version = json.loads(payload).get("version") if r.status == 200 else None
                with lock:
                    results.append((r.status, version))
            conn.close()

        threads = [threading.Thread(target=load) for _ in range(4)]
        try:
            for t in threads:
                t.start()
            time.sleep(0.5)
            self.add_version(root, 2)  # latest-1 policy: v2 goes live, v1 is unloaded
            deadline = time.time() + 20
            while time.time() < deadline:
                with lock:
                    if results and results[-1][1] == 2 and len(results) > 200:
                        break
                time.sleep(0.1)
            time.sleep(0.5)
            self.add_version(root, 3)  # and once more
            time.sleep(1.5)
        finally:
            stop.set()
            for t in threads:
                t.join()
            code = server.stop()
        self.assertEqual(code, 0)
        statuses = [s for s, _ in results]
        self.assertGreater(len(statuses), 300)
        self.assertEqual([s for s in statuses if s != 200], [], "requests failed during reload")
        versions = [v for _, v in results]
        self.assertEqual(versions[0], 1)
        self.assertEqual(versions[-1], 3)
        self.assertIn(2, versions)
        log = server.output()
        self.assertIn("unloaded bc v1", log)
        self.assertIn("unloaded bc v2", log)

    def test_weighted_split_sticky_keys_and_labels(self):
        root = self.model_dir([1, 2], {"version_policy": "all", "labels": {"canary": 2},
                                       "traffic": {"split": {"1": 80, "2": 20}}})
        server = Server(self.env, self.dir, "--model-dir", root)
        try:
            conn = server.connection()
            n = 2000
            twos = sum(self.predict(server, conn=conn) == 2 for _ in range(n))
            # Binomial(2000, 0.2): mean 400, sd 17.9; allow 4.5 sd.
            self.assertLess(abs(twos - 400), 81, f"{twos} of {n} went to version 2")
            # One key always lands on one version; different keys split about 80/20.
            for key in ("user-1", "user-2", "user-3"):
                seen = {self.predict(server, {"X-Kiln-Route-Key": key}, conn) for _ in range(30)}
                self.assertEqual(len(seen), 1, f"key {key} moved between versions: {seen}")
            keyed = [self.predict(server, {"X-Kiln-Route-Key": f"user-{i}"}, conn)
                     for i in range(1000)]
            self.assertLess(abs(keyed.count(2) - 200), 57, keyed.count(2))
            # A label or an explicit version overrides the split.
            self.assertEqual({self.predict(server, {"X-Kiln-Label": "canary"}, conn)
                              for _ in range(20)}, {2})
            self.assertEqual({self.predict(server, {"X-Kiln-Version": "1"}, conn)
                              for _ in range(20)}, {1})
            code, out, _ = server.request("POST", "/v1/models/bc@canary:predict",
                                          {"instances": [self.row]})
            self.assertEqual((code, out["version"]), (200, 2))
            code, text, _ = server.request("GET", "/metrics")
            self.assertRegex(text, r'kiln_model_requests_total\{model="bc",version="2"\} \d+')
            conn.close()
        finally:
            self.assertEqual(server.stop(), 0)

    def test_shadow_gets_a_copy_and_never_answers(self):
        root = self.model_dir([1, 2], {"version_policy": "all", "default_version": 1,
                                       "traffic": {"shadow": 2}})
        log_path = os.path.join(self.dir, "access-shadow.log")
        server = Server(self.env, self.dir, "--model-dir", root, "--access-log", log_path)
        try:
            conn = server.connection()
            answers = {self.predict(server, conn=conn) for _ in range(50)}
            conn.close()
            self.assertEqual(answers, {1})
            _, text, _ = server.request("GET", "/metrics")
            self.assertIn('kiln_model_shadow_requests_total{model="bc",version="2"} 50', text)
            self.assertIn('kiln_model_requests_total{model="bc",version="2"} 0', text)
        finally:
            self.assertEqual(server.stop(), 0)
        with open(log_path) as f:
            lines = [json.loads(line) for line in f]
        shadow = [line for line in lines if line.get("shadow")]
        self.assertEqual(len(shadow), 50)
        self.assertEqual(shadow[0]["version"], 2)
        self.assertIn("predictions", shadow[0]["answer"])
        served = [line for line in lines if line.get("path") == "/v1/models/bc:predict"]
        self.assertEqual({line["status"] for line in served}, {200})
        self.assertEqual({line["version"] for line in served}, {1})

    def test_bad_model_dir_version_keeps_the_old_one(self):
        root = self.model_dir([1])
        server = Server(self.env, self.dir, "--model-dir", root, "--poll-interval", POLL)
        try:
            os.makedirs(os.path.join(root, "bc", "2"))
            with open(os.path.join(root, "bc", "2", "model.kiln"), "w") as f:
                f.write("KILNMODL this is not a model")
            time.sleep(1.0)
            self.assertEqual(self.predict(server), 1)
            self.assertIn("warning", server.output())
            self.assertIn("bc", server.output())
        finally:
            self.assertEqual(server.stop(), 0)

    def test_registry_alias_move_reloads_and_records_deployments(self):
        home = os.path.join(self.dir, "home-registry")
        env = dict(self.env, KILN_HOME=home)
        for l2 in ("100", "0.01"):
            kiln(env, self.dir, "train", "--algo", "logistic_regression", "--data",
                 self.train_csv, "-p", f"l2={l2}", "-o", "reg.kiln", "--register", "bc", "-q")
        kiln(env, self.dir, "models", "alias", "bc", "production", "1")
        server = Server(env, self.dir, "--models", "bc@production", "--poll-interval", POLL)
        try:
            self.assertEqual(self.predict(server), 1)
            # A served version cannot be deleted.
            r = kiln(env, self.dir, "models", "delete", "bc/1", check=False)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("deploy", r.stderr)
            kiln(env, self.dir, "models", "alias", "bc", "production", "2")
            deadline = time.time() + 10
            while self.predict(server) != 2 and time.time() < deadline:
                time.sleep(0.1)
            self.assertEqual(self.predict(server), 2)
            time.sleep(0.5)
            db = sqlite3.connect(os.path.join(home, "kiln.db"))
            rows = db.execute("SELECT mv.version, d.status, d.endpoint FROM deployments d JOIN "
                              "model_versions mv ON mv.id = d.model_version_id ORDER BY d.id"
                              ).fetchall()
            db.close()
            self.assertEqual([(v, s) for v, s, _ in rows], [(1, "stopped"), (2, "live")])
            self.assertEqual(rows[1][2], f"http://127.0.0.1:{server.port}")
        finally:
            self.assertEqual(server.stop(), 0)
        db = sqlite3.connect(os.path.join(home, "kiln.db"))
        self.assertEqual(db.execute("SELECT DISTINCT status FROM deployments").fetchall(),
                         [("stopped",)])
        db.close()
        out = kiln(env, self.dir, "lineage", "bc/2", "--downstream").stdout
        self.assertIn("deployment", out)

    def test_kiln_deploy_splits_and_shadows_a_running_server(self):
        home = os.path.join(self.dir, "home-deploy")
        env = dict(self.env, KILN_HOME=home)
        for l2 in ("100", "0.01"):
            kiln(env, self.dir, "train", "--algo", "logistic_regression", "--data",
                 self.train_csv, "-p", f"l2={l2}", "-o", "dep.kiln", "--register", "bc", "-q")
        kiln(env, self.dir, "models", "alias", "bc", "production", "1")
        kiln(env, self.dir, "models", "alias", "bc", "canary", "2")
        server = Server(env, self.dir, "--models", "bc@production", "--poll-interval", POLL)

        def wait_for(condition):
            deadline = time.time() + 10
            while not condition() and time.time() < deadline:
                time.sleep(0.1)
            self.assertTrue(condition())

        try:
            out = kiln(env, self.dir, "deploy", "bc", "--alias", "canary", "--weight", "30").stdout
            self.assertIn("canary", out)
            self.assertIn("70%", out)
            wait_for(lambda: server.request("GET", "/v2/models/bc")[1]["versions"] == ["1", "2"])
            conn = server.connection()
            twos = sum(self.predict(server, conn=conn) == 2 for _ in range(1000))
            conn.close()
            self.assertLess(abs(twos - 300), 65, twos)  # sd 14.5
            listed = json.loads(kiln(env, self.dir, "deployments", "list", "--json").stdout)
            self.assertEqual(sorted(d["version"] for d in listed), [1, 2])
            show = kiln(env, self.dir, "deployments", "show", "bc").stdout
            self.assertIn("Live counters", show)
            shown = json.loads(kiln(env, self.dir, "deployments", "show", "bc", "--json").stdout)
            self.assertEqual(shown["routes"], [{"alias": "canary", "weight": 30.0,
                                                "shadow": False}])
            self.assertEqual(shown["counters"]["2"]["requests"], twos)
            # Too much traffic is refused, naming what is already routed.
            r = kiln(env, self.dir, "deploy", "bc", "--alias", "production", "--weight", "80",
                     check=False)
            self.assertEqual(r.returncode, 2)
            self.assertIn("canary 30%", r.stderr)
            # Canary becomes a shadow: every answer from v1, v2 gets copies.
            kiln(env, self.dir, "deploy", "bc", "--alias", "canary", "--shadow")
            time.sleep(1.0)
            self.assertEqual({self.predict(server) for _ in range(30)}, {1})
            # Removing the route takes v2 down and stops its deployment.
            kiln(env, self.dir, "deploy", "bc", "--alias", "canary", "--remove")
            wait_for(lambda: server.request("GET", "/v2/models/bc")[1]["versions"] == ["1"])
            time.sleep(0.5)
            listed = json.loads(kiln(env, self.dir, "deployments", "list", "--json").stdout)
            self.assertEqual([d["version"] for d in listed], [1])
        finally:
            self.assertEqual(server.stop(), 0)
        listed = json.loads(kiln(env, self.dir, "deployments", "list", "--all", "--json").stdout)
        self.assertEqual({d["status"] for d in listed}, {"stopped"})
        r = kiln(env, self.dir, "deploy", "bc", "--alias", "canary", "--weight", "0", check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("(0, 100]", r.stderr)

    def test_dynamic_batching_merges_concurrent_requests(self):
        root = self.model_dir([1], {"batching": {"max_batch_size": 64, "max_delay_us": 5000}})
        server = Server(self.env, self.dir, "--model-dir", root)
        plain = Server(self.env, self.dir, "--model-dir", self.model_dir([1]))
        try:
            expected = plain.request("POST", "/v1/models/bc:predict",
                                     {"instances": [self.row]})[1]["probabilities"]
            answers, lock = [], threading.Lock()

            def client():
                conn = server.connection()
                for _ in range(25):
                    code, out, _ = server.request("POST", "/v1/models/bc:predict",
                                                  {"instances": [self.row]}, conn=conn)
                    with lock:
                        answers.append((code, out))
                conn.close()

            threads = [threading.Thread(target=client) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(len(answers), 200)
            for code, out in answers:
                self.assertEqual(code, 200, out)
                self.assertAlmostEqual(out["probabilities"][0]["malignant"],
                                       expected[0]["malignant"], places=12)
            _, text, _ = server.request("GET", "/metrics")
            batches = int(re.search(r'kiln_model_batches_total\{model="bc",version="1"\} (\d+)',
                                    text).group(1))
            rows = int(re.search(r'kiln_model_batched_rows_total\{model="bc",version="1"\} '
                                 r'(\d+)', text).group(1))
            self.assertEqual(rows, 200)
            self.assertLess(batches, 200, "no request was merged with another")
        finally:
            self.assertEqual(server.stop(), 0)
            self.assertEqual(plain.stop(), 0)

    def test_sigterm_drains_in_flight_requests(self):
        root = self.model_dir([1])
        server = Server(self.env, self.dir, "--model-dir", root)
        conn = server.connection()
        self.assertEqual(self.predict(server, conn=conn), 1)
        # A request already sent when SIGTERM arrives is still answered.
        body = json.dumps({"instances": [self.row] * 20000})
        conn.request("POST", "/v1/models/bc:predict", body=body)
        time.sleep(0.05)
        server.proc.send_signal(15)
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(len(json.loads(r.read())["predictions"]), 20000)
        self.assertEqual(server.stop(), 0)
        self.assertIn("stopping", server.output())


if __name__ == "__main__":
    unittest.main(verbosity=2)
