#!/usr/bin/python3
"""The MetaStore under real processes: a `kiln train` killed with SIGKILL or interrupted with
SIGINT mid-run, and 16 `kiln train` processes recording into one store at once — on the default
SQLite store and on the PostgreSQL server the test command starts (its URI is in the file named
by KILN_TEST_POSTGRES_URI_FILE). The store is read back with Python's sqlite3 and with psql.
"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

SOURCE = os.environ.get("KILN_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
KILN = os.environ.get("KILN_BIN", os.path.join(SOURCE, "build", "bin", "kiln"))
DATA = os.environ.get("KILN_DATA_DIR", os.path.join(SOURCE, "data"))
TRAIN = os.path.join(DATA, "breast_cancer", "train.csv")
PSQL = shutil.which("psql") or "/usr/bin/psql"


def postgres_uri():
    path = os.environ.get("KILN_TEST_POSTGRES_URI_FILE")
    if not path or not os.path.exists(path):
        return None
    with open(path) as f:
        return f.read().strip()


def write_slow_csv(path, rows=600000):
    """Seeded noisy data large enough that training takes a noticeable time."""
    import numpy as np
    rng = np.random.default_rng(7)
    x = rng.normal(size=(rows, 10))
    y = (x @ rng.normal(size=10) + rng.normal(size=rows) * 2 > 0).astype(int)
    header = ",".join([f"f{i}" for i in range(10)] + ["label"])
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", fmt="%.4f", header=header,
               comments="")


class TrackingSafety(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_tracking_safety_")
        cls.slow = os.path.join(cls.tmp.name, "slow.csv")
        write_slow_csv(cls.slow)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        self.home = tempfile.mkdtemp(dir=self.tmp.name)
        self.env = dict(os.environ, KILN_HOME=self.home)
        self.env.pop("KILN_STORE", None)
        self.db = os.path.join(self.home, "kiln.db")

    def kiln(self, *args, env=None):
        return subprocess.run([KILN, *args], capture_output=True, text=True,
                              env=env or self.env, timeout=600)

    def query(self, sql):
        with sqlite3.connect(self.db) as db:
            return db.execute(sql).fetchall()

    def start_slow_train(self):
        return subprocess.Popen(
            [KILN, "train", "--algo", "logistic_regression", "--data", self.slow, "-p",
             "tol=1e-12", "-p", "max_iter=100000", "-p", "l2=1e-9", "--threads", "1", "-o",
             os.path.join(self.home, "slow.kiln")],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_until_running(self, process):
        """Polls the store until the run is recorded as running (the process is mid-run)."""
        deadline = time.time() + 60
        while time.time() < deadline:
            if process.poll() is not None:
                self.fail("kiln train ended before it could be interrupted: "
                          + process.stderr.read())
            try:
                if self.query("SELECT id FROM runs WHERE status = 'running'"):
                    return
            except sqlite3.Error:
                pass  # the store is still being created
            time.sleep(0.002)
        self.fail("the run never appeared in the store")

    def test_sigkill_mid_run_leaves_the_run_failed_and_the_store_intact(self):
        self.assertEqual(self.kiln("train", "--algo", "logistic_regression", "--data", TRAIN,
                                   "-o", os.path.join(self.home, "bc.kiln")).returncode, 0)
        before = self.query("SELECT COUNT(*) FROM model_versions")[0][0]
        process = self.start_slow_train()
        self.wait_until_running(process)
        process.send_signal(signal.SIGKILL)
        process.communicate()
        self.assertEqual(self.query("SELECT status FROM runs WHERE id = 2"), [("running",)])
        # The next kiln on this host notices the dead process.
        r = self.kiln("train", "--algo", "logistic_regression", "--data", TRAIN, "-o",
                      os.path.join(self.home, "bc2.kiln"))
        self.assertEqual(r.returncode, 0, r.stderr)
        status, message = self.query("SELECT status, message FROM runs WHERE id = 2")[0]
        self.assertEqual(status, "failed")
        self.assertIn("crashed or was killed", message)
        self.assertEqual(self.query("PRAGMA integrity_check"), [("ok",)])
        # Nothing else was touched: the first run and its model are as they were.
        self.assertEqual(self.query("SELECT status FROM runs WHERE id = 1"), [("finished",)])
        self.assertEqual(self.query("SELECT COUNT(*) FROM model_versions")[0][0], before + 1)
        self.assertEqual(self.query("SELECT COUNT(*) FROM model_versions WHERE run_id = 2")[0][0],
                         0)

    def test_ctrl_c_marks_the_run_killed(self):
        process = self.start_slow_train()
        self.wait_until_running(process)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
        self.assertEqual(process.returncode, 130, err)
        status, message = self.query("SELECT status, message FROM runs WHERE id = 1")[0]
        self.assertEqual(status, "killed")
        self.assertIn("cancelled", message)
        self.assertEqual(self.query("SELECT COUNT(*) FROM model_versions")[0][0], 0)

    def run_sixteen(self, env, count_sql, store_flag=()):
        processes = [
            subprocess.Popen([KILN, *store_flag, "train", "--algo", "logistic_regression", "--data", TRAIN,
                              "--valid", os.path.join(DATA, "breast_cancer", "test.csv"),
                              "--register", "shared", "--experiment", "many", "-o",
                              os.path.join(self.home, f"m{i}.kiln")],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for i in range(16)
        ]
        try:
            for p in processes:
                _, err = p.communicate(timeout=600)
                self.assertEqual(p.returncode, 0, err)
                self.assertNotIn("locked", err)
        finally:  # a failure leaves no process writing into the directory being removed
            for p in processes:
                if p.poll() is None:
                    p.kill()
                p.communicate()
        self.assertEqual(count_sql("SELECT COUNT(*) FROM runs WHERE status = 'finished'"), "16")
        self.assertEqual(count_sql("SELECT COUNT(DISTINCT version) FROM model_versions"), "16")
        self.assertEqual(count_sql("SELECT MAX(version) FROM model_versions"), "16")
        self.assertEqual(count_sql("SELECT COUNT(DISTINCT run_id) FROM latest_metrics "
                                   "WHERE key = 'auc'"), "16")
        self.assertEqual(count_sql("SELECT COUNT(*) FROM lineage_edges WHERE relation = "
                                   "'produced'"), "16")

    def test_sixteen_processes_share_the_sqlite_store(self):
        self.run_sixteen(self.env, lambda sql: str(self.query(sql)[0][0]))

    def test_sixteen_processes_share_a_postgres_store(self):
        uri = postgres_uri()
        if uri is None:
            self.skipTest("KILN_TEST_POSTGRES_URI_FILE is not set (ctest sets it)")
        database = "kiln_safety_" + str(os.getpid())
        admin = subprocess.run([PSQL, uri, "-qc", f"CREATE DATABASE {database}"],
                               capture_output=True, text=True)
        self.assertEqual(admin.returncode, 0, admin.stderr)
        store = uri.rsplit("/", 1)[0] + "/" + database
        # The loopback server trusts local users, so a password is accepted and ignored: it
        # must still never be recorded with the runs.
        with_password = store.replace("postgresql://postgres@", "postgresql://postgres:pw123@")
        self.assertIn("pw123", with_password)
        try:
            env = dict(self.env)

            def count(sql):
                r = subprocess.run([PSQL, store, "-Atc", sql], capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
                return r.stdout.strip()

            self.run_sixteen(env, count, ("--store", with_password))
            self.assertFalse(os.path.exists(self.db), "the PostgreSQL run wrote a SQLite store")
            self.assertEqual(count("SELECT COUNT(*) FROM runs WHERE command LIKE '%pw123%'"), "0")
            self.assertEqual(count("SELECT COUNT(*) FROM runs WHERE command LIKE "
                                   "'%--store postgresql://postgres@%'"), "16")
        finally:
            subprocess.run([PSQL, uri, "-qc", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"],
                           capture_output=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
