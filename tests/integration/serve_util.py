"""Helpers for tests that start `kiln serve`: a server process on a free port, HTTP calls with
keep-alive, and model training into a fresh KILN_HOME."""
import http.client
import json
import os
import signal
import subprocess
import tempfile
import time

SOURCE = os.environ.get("KILN_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
KILN = os.environ.get("KILN_BIN", os.path.join(SOURCE, "build", "bin", "kiln"))
DATA = os.environ.get("KILN_DATA_DIR", os.path.join(SOURCE, "data"))


def fresh_env(directory, **extra):
    """The environment of a test's own Kiln: KILN_HOME under `directory`, no store or serving
    token inherited from the caller, then `extra` on top."""
    env = dict(os.environ, KILN_HOME=os.path.join(directory, "home"))
    env.pop("KILN_STORE", None)
    env.pop("KILN_SERVE_TOKEN", None)
    env.update(extra)
    return env


def kiln(env, cwd, *args, check=True):
    r = subprocess.run([KILN, *args], capture_output=True, text=True, env=env, cwd=cwd,
                       timeout=600)
    if check and r.returncode != 0:
        raise AssertionError(f"kiln {' '.join(args)} failed ({r.returncode}):\n{r.stderr}")
    return r


def train_two_bc_versions(env, directory):
    """v1.kiln and v2.kiln in `directory`: two logistic regressions of breast_cancer that differ
    (l2 100 vs 0.01), and the first test row as {feature: value}."""
    train_csv = os.path.join(DATA, "breast_cancer", "train.csv")
    for name, l2 in (("v1.kiln", "100"), ("v2.kiln", "0.01")):
        kiln(env, directory, "train", "--algo", "logistic_regression", "--data", train_csv,
             "-p", f"l2={l2}", "-o", name, "-q", "--no-track")
    with open(os.path.join(DATA, "breast_cancer", "test.csv")) as f:
        header = f.readline().strip().split(",")
        values = [float(v) for v in f.readline().strip().split(",")[1:]]
    return dict(zip(header[1:], values))


class Server:
    """`kiln serve ARGS --port 0`; the port is read from --port-file."""

    def __init__(self, env, cwd, *args):
        self.dir = tempfile.mkdtemp(prefix="kiln_serve_", dir=cwd)
        port_file = os.path.join(self.dir, "port")
        self.log_path = os.path.join(self.dir, "serve.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([KILN, "serve", "--port", "0", "--port-file", port_file,
                                      *args], env=env, cwd=cwd, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while not os.path.exists(port_file):
            if self.proc.poll() is not None:
                raise AssertionError(f"kiln serve exited {self.proc.returncode}:\n{self.output()}")
            if time.time() > deadline:
                self.stop()
                raise AssertionError(f"kiln serve did not start:\n{self.output()}")
            time.sleep(0.05)
        with open(port_file) as f:
            self.port = int(f.read())

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method, path, body=None, headers=None, conn=None):
        """(status, parsed JSON or text, headers)."""
        own = conn is None
        conn = conn or self.connection()
        data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
        conn.request(method, path, body=data, headers=headers or {})
        r = conn.getresponse()
        raw = r.read()
        if own:
            conn.close()
        ctype = r.getheader("Content-Type", "")
        payload = json.loads(raw) if ctype.startswith("application/json") else raw.decode()
        return r.status, payload, dict(r.getheaders())

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode
