#!/usr/bin/python3
"""`kiln serve`'s GET /metrics scraped by a real Prometheus server (Debian's prometheus package,
scripts/install-deps.sh): Prometheus scrapes the server every second, the test sends N
predictions and reads the counter back through Prometheus' query API, checks that the target is
up, and runs `promtool check metrics` on the exposition text. Skips only when the prometheus
binary is missing."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from serve_util import DATA, Server, fresh_env, kiln

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool")
V1_REQUESTS = 15
V2_REQUESTS = 10
TIMEOUT = 60


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


class Prometheus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(PROMETHEUS, os.X_OK):
            raise unittest.SkipTest("prometheus binary missing (scripts/install-deps.sh installs "
                                    "Debian's prometheus package)")
        if not os.path.isdir(os.path.join(DATA, "breast_cancer")):
            raise unittest.SkipTest("dataset breast_cancer missing; run scripts/fetch_datasets.py")
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_serve_prometheus_")
        cls.dir = cls.tmp.name
        cls.env = fresh_env(cls.dir)
        kiln(cls.env, cls.dir, "train", "--algo", "logistic_regression", "--data",
             os.path.join(DATA, "breast_cancer", "train.csv"), "-o", "bc.kiln", "-q")
        cls.server = Server(cls.env, cls.dir, "--models", "bc")
        cls.prometheus = None
        try:
            cls.start_prometheus()
        except BaseException:
            cls.stop_all()
            raise

    @classmethod
    def start_prometheus(cls):
        prom_dir = os.path.join(cls.dir, "prometheus")
        os.makedirs(prom_dir)
        config = os.path.join(prom_dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n"
                    "  scrape_interval: 1s\n"
                    "  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "scrape_configs:\n"
                    "  - job_name: kiln\n"
                    "    metrics_path: /metrics\n"
                    "    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{cls.server.port}']\n")
        cls.prom_port = free_port()
        cls.prom_url = f"http://127.0.0.1:{cls.prom_port}"
        cls.prom_log_path = os.path.join(prom_dir, "prometheus.log")
        cls.prom_log = open(cls.prom_log_path, "w")
        cls.prometheus = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}",
             f"--storage.tsdb.path={os.path.join(prom_dir, 'data')}",
             f"--web.listen-address=127.0.0.1:{cls.prom_port}"],
            cwd=prom_dir, stdout=cls.prom_log, stderr=subprocess.STDOUT)
        deadline = time.time() + TIMEOUT
        while True:
            if cls.prometheus.poll() is not None:
                raise AssertionError(f"prometheus exited {cls.prometheus.returncode}:\n"
                                     f"{cls.prometheus_output()}")
            try:
                if http_get(cls.prom_url + "/-/ready", timeout=2)[0] == 200:
                    return
            except (urllib.error.URLError, OSError):
                pass
            if time.time() > deadline:
                raise AssertionError(f"prometheus not ready after {TIMEOUT} s:\n"
                                     f"{cls.prometheus_output()}")
            time.sleep(0.2)

    @classmethod
    def prometheus_output(cls):
        cls.prom_log.flush()
        with open(cls.prom_log_path) as f:
            return f.read()[-4000:]

    @classmethod
    def stop_all(cls):
        if cls.prometheus is not None and cls.prometheus.poll() is None:
            cls.prometheus.terminate()
            try:
                cls.prometheus.wait(timeout=30)
            except subprocess.TimeoutExpired:
                cls.prometheus.kill()
                cls.prometheus.wait()
        if cls.prometheus is not None:
            cls.prom_log.close()
        code = cls.server.stop()
        cls.tmp.cleanup()
        return code

    @classmethod
    def tearDownClass(cls):
        code = cls.stop_all()
        assert code == 0, f"kiln serve exited {code}"

    def query(self, promql):
        """The instant vector `promql` evaluates to, as {labels-json: float}."""
        url = self.prom_url + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        status, text = http_get(url)
        self.assertEqual(status, 200, text)
        payload = json.loads(text)
        self.assertEqual(payload["status"], "success", payload)
        self.assertEqual(payload["data"]["resultType"], "vector", payload)
        return {json.dumps(r["metric"], sort_keys=True): float(r["value"][1])
                for r in payload["data"]["result"]}

    def wait_for(self, promql, expected):
        """Polls until `promql` has exactly one series whose value is `expected`."""
        deadline = time.time() + TIMEOUT
        last = None
        while time.time() < deadline:
            last = self.query(promql)
            if len(last) == 1 and next(iter(last.values())) == expected:
                return last
            time.sleep(0.5)
        self.fail(f"{promql}: expected one series = {expected} within {TIMEOUT} s, last answer "
                  f"{last}\nprometheus log:\n{self.prometheus_output()}")

    def test_scraped_request_count(self):
        # One scrape with the model at 0 requests first, so the counter is seen rising.
        self.wait_for('up{job="kiln"}', 1.0)
        self.wait_for('kiln_model_requests_total{model="bc"}', 0.0)
        meta = self.server.request("GET", "/v2/models/bc")[1]
        names = [t["name"] for t in meta["inputs"]]
        row = {n: 1.0 for n in names}
        conn = self.server.connection()
        for _ in range(V1_REQUESTS):
            code, out, _ = self.server.request("POST", "/v1/models/bc:predict",
                                               {"instances": [row, row]}, conn=conn)
            self.assertEqual(code, 200, out)
        body = {"inputs": [{"name": "input", "shape": [1, len(names)], "datatype": "FP64",
                            "data": [[1.0] * len(names)]}]}
        for _ in range(V2_REQUESTS):
            code, out, _ = self.server.request("POST", "/v2/models/bc/infer", body, conn=conn)
            self.assertEqual(code, 200, out)
        conn.close()
        n = V1_REQUESTS + V2_REQUESTS
        series = self.wait_for('kiln_model_requests_total{model="bc"}', float(n))
        labels = json.loads(next(iter(series)))
        self.assertEqual(labels["job"], "kiln")
        self.assertEqual(labels["version"], "1")
        self.assertEqual(labels["instance"], f"127.0.0.1:{self.server.port}")
        # Rows: two per row-format request, one per [1, F] tensor.
        self.wait_for('kiln_model_rows_total{model="bc"}', float(2 * V1_REQUESTS + V2_REQUESTS))
        self.wait_for('kiln_model_errors_total{model="bc"}', 0.0)
        self.wait_for('up{job="kiln"}', 1.0)
        # The histogram is usable by PromQL: every request so far is counted in +Inf.
        inf = self.query('kiln_http_request_duration_seconds_bucket{le="+Inf"}')
        self.assertEqual(len(inf), 1, inf)
        self.assertGreaterEqual(next(iter(inf.values())), n)

    def test_promtool_check_metrics(self):
        if PROMTOOL is None:
            self.skipTest("promtool missing (Debian's prometheus package ships it)")
        code, text, _ = self.server.request("GET", "/metrics")
        self.assertEqual(code, 200)
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, f"promtool check metrics:\n{r.stdout}{r.stderr}\n"
                                          f"on:\n{text}")
        self.assertEqual(r.stdout + r.stderr, "", "promtool lint findings")


if __name__ == "__main__":
    unittest.main()
