#!/usr/bin/python3
"""Clustering through the `kiln` binary: k-means trains without a label, predict writes clusters
and distances, evaluate reports inertia, silhouette and (with a label) the adjusted Rand index,
inspect and serve know the task; commands that need a label say so clearly.

Needs only the binary (KILN_BIN); writes its own small files. Exits non-zero on failure.
"""
import csv
import json
import os
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

SOURCE = os.environ.get("KILN_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
KILN = os.environ.get("KILN_BIN", os.path.join(SOURCE, "build", "bin", "kiln"))


def points(path, with_label):
    """Three separated groups of 20 points; a 'kind' column names the group."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["x", "y", "shape"] + (["kind"] if with_label else []))
        for i in range(60):
            g = i % 3
            row = [g * 10 + (i % 7) * 0.1, (g % 2) * 10 + (i % 5) * 0.1, "round" if i % 2 else "square"]
            w.writerow(row + ([f"group{g}"] if with_label else []))


class CliClustering(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_cli_clustering_")
        cls.dir = cls.tmp.name
        cls.plain = os.path.join(cls.dir, "plain.csv")
        cls.labelled = os.path.join(cls.dir, "labelled.csv")
        points(cls.plain, False)
        points(cls.labelled, True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def kiln(self, *args, ok=True):
        env = dict(os.environ, KILN_HOME=self.dir)
        r = subprocess.run([KILN, *args], capture_output=True, text=True, env=env, timeout=300)
        if ok:
            self.assertEqual(r.returncode, 0, f"kiln {' '.join(args)}:\n{r.stderr}")
        return r

    def test_train_predict_evaluate_without_a_label(self):
        model = os.path.join(self.dir, "plain.kiln")
        r = self.kiln("train", "--algo", "kmeans", "--data", self.plain, "-p", "n_clusters=3",
                      "--output", model)
        self.assertIn("task: clustering into 3 clusters", r.stdout)
        pred = os.path.join(self.dir, "plain.pred.csv")
        self.kiln("predict", "--model", model, "--data", self.plain, "--output", pred)
        with open(pred) as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0], ["cluster", "distance"])
        clusters = [int(r[0]) for r in rows[1:]]
        self.assertEqual(len(clusters), 60)
        self.assertEqual(len(set(clusters)), 3)
        for i, c in enumerate(clusters):  # rows of a group share a cluster
            self.assertEqual(c, clusters[i % 3])
        metrics = json.loads(self.kiln("evaluate", "--model", model, "--data", self.plain,
                                       "--json").stdout)
        self.assertEqual(list(metrics), ["inertia", "mean_distance", "silhouette"])
        self.assertGreater(metrics["silhouette"], 0.9)
        # A label column in new data is used when asked for.
        metrics = json.loads(self.kiln("evaluate", "--model", model, "--data", self.labelled,
                                       "--label", "kind", "--json").stdout)
        self.assertAlmostEqual(metrics["adjusted_rand"], 1.0)
        info = json.loads(self.kiln("inspect", model, "--json").stdout)
        self.assertEqual(info["label"]["task"], "clustering")
        self.assertEqual(info["label"]["clusters"], 3)
        self.assertIn("clustering into 3 clusters", self.kiln("inspect", model).stdout)

    def test_a_given_label_is_kept_out_and_scores_the_clusters(self):
        model = os.path.join(self.dir, "labelled.kiln")
        r = self.kiln("train", "--algo", "kmeans", "--data", self.labelled, "--label", "kind",
                      "-p", "k=3", "--output", model)
        self.assertIn("'kind' kept out of the features", r.stdout)
        info = json.loads(self.kiln("inspect", model, "--json").stdout)
        self.assertNotIn("kind", [f["name"] for f in info["schema"]["fields"]])
        table = self.kiln("evaluate", "--model", model, "--data", self.labelled).stdout
        self.assertIn("adjusted_rand", table)
        self.assertIn("silhouette", table)
        # Predicting on data without that column is fine.
        self.kiln("predict", "--model", model, "--data", self.plain)

    def test_supervised_commands_still_need_a_label(self):
        r = self.kiln("train", "--algo", "logistic_regression", "--data", self.plain, "--output",
                      os.path.join(self.dir, "lr.kiln"), ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("label", r.stderr)
        r = self.kiln("train", "--algo", "kmeans", "--data", self.plain, "--label", "nope",
                      "--output", os.path.join(self.dir, "x.kiln"), ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("nope", r.stderr)
        model = os.path.join(self.dir, "nb.kiln")
        self.kiln("train", "--algo", "naive_bayes", "--data", self.labelled, "--label", "kind",
                  "--output", model)
        r = self.kiln("evaluate", "--model", model, "--data", self.plain, ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("kind", r.stderr)

    def test_too_many_clusters_is_a_clear_error(self):
        r = self.kiln("train", "--algo", "kmeans", "--data", self.plain, "-p", "k=100",
                      "--output", os.path.join(self.dir, "k100.kiln"), ok=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("num_clusters = 100 but the data has only 60 rows", r.stderr)

    def test_served_clusters(self):
        models = os.path.join(self.dir, "models")
        os.makedirs(os.path.join(models, "groups", "1"))
        self.kiln("train", "--algo", "kmeans", "--data", self.plain, "-p", "k=3", "--output",
                  os.path.join(models, "groups", "1", "model.kiln"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = dict(os.environ, KILN_HOME=self.dir)
        server = subprocess.Popen([KILN, "serve", "--model-dir", models, "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        try:
            body = json.dumps({"instances": [{"x": 0.1, "y": 0.1, "shape": "round"},
                                             {"x": 20, "y": 0.2, "shape": None}]}).encode()
            answer = None
            for _ in range(100):
                try:
                    req = urllib.request.Request(
                        f"http://127.0.0.1:{port}/v1/models/groups:predict", data=body,
                        method="POST")
                    with urllib.request.urlopen(req, timeout=5) as resp:
                        answer = json.loads(resp.read())
                    break
                except OSError:
                    time.sleep(0.1)
            self.assertIsNotNone(answer, "the server did not answer")
            self.assertEqual(len(answer["predictions"]), 2)
            self.assertNotEqual(answer["predictions"][0], answer["predictions"][1])
            self.assertEqual(len(answer["distances"]), 2)
            self.assertLess(answer["distances"][0], 1.0)
            # predict --url writes the same CSV as a local predict.
            local = self.kiln("predict", "--model", os.path.join(models, "groups", "1",
                                                                 "model.kiln"),
                              "--data", self.plain).stdout
            remote = self.kiln("predict", "--url", f"http://127.0.0.1:{port}", "groups",
                               "--data", self.plain).stdout
            self.assertEqual(remote, local)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    unittest.main(verbosity=2)
