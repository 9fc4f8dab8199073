#!/usr/bin/python3
"""Tracking through the real `kiln` binary: train twice and evaluate on breast_cancer, then
`kiln runs`, `models`, `datasets`, `lineage` and `gc` read (and prune) what was recorded.

Every test gets a fresh KILN_HOME (its own store and blobs). Exits non-zero on failure.
"""
import json
import os
import subprocess
import tempfile
import unittest

SOURCE = os.environ.get("KILN_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
KILN = os.environ.get("KILN_BIN", os.path.join(SOURCE, "build", "bin", "kiln"))
DATA = os.environ.get("KILN_DATA_DIR", os.path.join(SOURCE, "data"))


class Tracking(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="kiln_cli_tracking_")
        self.dir = self.tmp.name
        self.home = os.path.join(self.dir, "home")
        self.env = dict(os.environ, KILN_HOME=self.home)
        self.env.pop("KILN_STORE", None)
        data = os.path.join(DATA, "breast_cancer")
        if not os.path.isdir(data):
            self.skipTest(f"dataset {data} is missing; run scripts/fetch_datasets.py")
        self.train_csv = os.path.abspath(os.path.join(data, "train.csv"))
        self.test_csv = os.path.abspath(os.path.join(data, "test.csv"))

    def tearDown(self):
        self.tmp.cleanup()

    def kiln(self, *args):
        return subprocess.run([KILN, *args], capture_output=True, text=True, env=self.env,
                              cwd=self.dir, timeout=600)

    def ok(self, *args):
        r = self.kiln(*args)
        self.assertEqual(r.returncode, 0, f"kiln {' '.join(args)} failed:\n{r.stderr}")
        return r

    def fails(self, code, *args):
        r = self.kiln(*args)
        self.assertEqual(r.returncode, code,
                         f"kiln {' '.join(args)}\nstdout: {r.stdout}\nstderr: {r.stderr}")
        self.assertTrue(r.stderr.startswith("kiln: "), r.stderr)
        return r

    def json(self, *args):
        return json.loads(self.ok(*args).stdout)

    def train(self, l2, *extra):
        return self.ok("train", "--algo", "logistic_regression", "--data", self.train_csv,
                       "--valid", self.test_csv, "-p", f"l2={l2}", "--output", "bc.kiln", *extra)

    def history(self):
        """Runs 1 and 2 train bc/1 and bc/2 (different l2); run 3 evaluates bc/2."""
        self.train("0.1")
        self.train("0.0001")
        self.ok("evaluate", "--model", "bc.kiln", "--data", self.test_csv)
        return self.json("runs", "list", "--json")

    def test_runs_list_filters_orders_and_pages(self):
        runs = self.history()
        self.assertEqual(len(runs), 3)
        self.assertEqual([r["id"] for r in runs], [3, 2, 1])  # newest first
        for r in runs:
            self.assertEqual(set(r) >= {"id", "experiment", "project", "kind", "status",
                                        "start_ms", "end_ms", "command", "params", "metrics"},
                             True, r)
            self.assertEqual(r["status"], "finished")
            self.assertEqual(r["project"], "default")
        self.assertEqual(sorted(r["kind"] for r in runs), ["evaluate", "train", "train"])

        trains = self.json("runs", "list", "--kind", "train", "--json")
        self.assertEqual([r["id"] for r in trains], [2, 1])
        self.assertEqual(self.json("runs", "list", "--status", "failed", "--json"), [])
        l2 = self.json("runs", "list", "--param", "l2=0.1", "--json")
        self.assertEqual([r["id"] for r in l2], [1])
        good = self.json("runs", "list", "--metric", "auc>0.5", "--json")
        self.assertEqual(len(good), 3)
        self.assertEqual(self.json("runs", "list", "--metric", "auc>1.5", "--json"), [])

        by_auc = self.json("runs", "list", "--order-by", "metric.auc desc", "--json")
        aucs = [r["metrics"]["auc"] for r in by_auc]
        self.assertEqual(aucs, sorted(aucs, reverse=True))
        ascending = self.json("runs", "list", "--order-by", "metric.auc", "--asc", "--json")
        self.assertEqual([r["metrics"]["auc"] for r in ascending], sorted(aucs))

        table = self.ok("runs", "list", "--order-by", "metric.auc desc").stdout
        self.assertIn("auc", table.splitlines()[0])
        self.assertIn("finished", table)

        seen, token = [], None
        for _ in range(5):
            args = ["runs", "list", "--limit", "1", "--json"]
            if token:
                args += ["--page-token", token]
            r = self.ok(*args)
            page = json.loads(r.stdout)
            seen += [p["id"] for p in page]
            more = [line for line in r.stderr.splitlines() if line.startswith("more: ")]
            if not more:
                break
            token = more[0].split("--page-token ", 1)[1]
        self.assertEqual(seen, [3, 2, 1])
        paged = self.ok("runs", "list", "--limit", "2").stdout
        self.assertIn("more: --page-token o:2", paged)

    def test_runs_show_compare_and_delete(self):
        self.history()
        show = self.json("runs", "show", "run:1", "--json")
        self.assertEqual(show["id"], 1)
        self.assertEqual(show["params"]["l2"], "0.1")
        self.assertIn("auc", show["metrics"])
        self.assertEqual([a["name"] for a in show["artifacts"]], ["model"])
        self.assertTrue(any(e["relation"] == "train_data" and self.train_csv in e["label"]
                            for e in show["inputs"]), show["inputs"])
        self.assertTrue(any(e["relation"] == "produced" and "bc/1" in e["label"]
                            for e in show["outputs"]), show["outputs"])
        text = self.ok("runs", "show", "1").stdout
        self.assertIn("train_data", text)
        self.assertIn("model bc/1", text)

        compare = self.json("runs", "compare", "1", "2", "--json")
        self.assertEqual([r["id"] for r in compare["runs"]], [1, 2])
        self.assertIn("l2", compare["differing_params"])
        self.assertNotIn("algo", compare["differing_params"])
        table = self.ok("runs", "compare", "1", "run:2").stdout
        self.assertTrue(any(line.startswith("*") and "param.l2" in line
                            for line in table.splitlines()), table)

        r = self.ok("runs", "delete", "3")
        self.assertIn("kiln gc", r.stdout)
        self.assertEqual([r["id"] for r in self.json("runs", "list", "--json")], [2, 1])
        self.fails(3, "runs", "show", "3")

    def test_models_list_show_and_aliases(self):
        self.history()
        models = self.json("models", "list", "--json")
        self.assertEqual([m["name"] for m in models], ["bc"])
        self.assertEqual(models[0]["latest_version"], 2)
        shown = self.json("models", "show", "bc", "--json")
        self.assertEqual([v["version"] for v in shown["versions"]], [1, 2])
        self.assertEqual({v["run_id"] for v in shown["versions"]}, {1, 2})
        self.assertEqual(shown["versions"][0]["algorithm"], "logistic_regression")
        self.assertIn("auc", shown["versions"][0]["metrics"])

        self.ok("models", "alias", "bc", "production", "1")
        self.assertEqual(self.json("models", "show", "bc@production", "--json")["version"], 1)
        moved = self.ok("models", "alias", "bc", "production", "2").stdout
        self.assertIn("was 1", moved)
        self.assertEqual(self.json("models", "show", "bc@production", "--json")["version"], 2)
        self.assertIn("production", self.ok("models", "show", "bc").stdout)
        self.ok("models", "alias", "bc", "production", "--delete")
        self.fails(3, "models", "show", "bc@production")

    def test_datasets_and_lineage(self):
        self.history()
        datasets = self.json("datasets", "list", "--json")
        self.assertEqual(sorted(d["source_path"] for d in datasets),
                         sorted([self.train_csv, self.test_csv]))
        shown = self.json("datasets", "show", self.train_csv, "--json")
        self.assertGreater(shown["num_rows"], 100)
        self.assertTrue(shown["stats"])
        self.assertEqual({u["id"] for u in shown["used_by"]}, {1, 2})
        text = self.ok("datasets", "show", str(shown["id"])).stdout
        self.assertIn("column statistics", text)

        tree = self.ok("lineage", "bc/1").stdout
        self.assertTrue(tree.startswith("model bc/1"), tree)
        self.assertIn(self.train_csv, tree)
        self.assertIn("run 1", tree)
        self.assertIn("upstream:", tree)
        latest = self.ok("lineage", "bc").stdout
        self.assertIn("evaluated_by", latest)  # run 3 evaluated bc/2
        dot = self.ok("lineage", "bc", "--format", "dot").stdout
        self.assertTrue(dot.startswith("digraph"), dot)
        self.assertTrue(dot.rstrip().endswith("}"))
        graph = self.json("lineage", "bc", "--format", "json")
        self.assertTrue(graph["nodes"] and graph["edges"])
        self.assertEqual(graph["root"]["kind"], "model_version")

        down = self.ok("lineage", "dataset:" + self.train_csv, "--downstream").stdout
        self.assertIn("model bc/1", down)
        self.assertIn("model bc/2", down)
        self.assertNotIn("upstream:", down)
        shallow = self.ok("lineage", "dataset:" + self.train_csv, "--downstream", "--depth",
                          "1").stdout
        self.assertNotIn("model bc/", shallow)
        up = self.ok("lineage", "run:3", "--upstream").stdout
        self.assertIn("eval_data", up)

    def test_gc_frees_only_unreferenced_blobs(self):
        self.history()
        r = self.json("gc", "--min-age", "0", "--dry-run", "--json")
        self.assertEqual(r["deleted"], [])
        model_v1 = self.json("models", "show", "bc/1", "--json")["artifact_uri"]
        model_v2 = self.json("models", "show", "bc/2", "--json")["artifact_uri"]
        self.assertNotEqual(model_v1, model_v2)

        self.ok("runs", "delete", "1")
        self.ok("models", "delete", "bc/1")
        dry = self.json("gc", "--min-age", "0", "--dry-run", "--json")
        self.assertEqual([b["uri"] for b in dry["deleted"]], [model_v1])
        self.assertTrue(dry["dry_run"])
        # A dry run deletes nothing; the default grace period keeps the fresh blob.
        self.assertEqual(len(self.json("gc", "--min-age", "0", "--dry-run", "--json")["deleted"]),
                         1)
        self.assertEqual(self.json("gc", "--json")["deleted"], [])
        # Below 60 s a concurrent train could lose its model: --force is required.
        r = self.fails(2, "gc", "--min-age", "0")
        self.assertIn("--force", r.stderr)
        text = self.ok("gc", "--min-age", "0", "--force").stdout
        self.assertIn("deleted " + model_v1, text)
        self.assertEqual(self.json("gc", "--min-age", "0", "--force", "--json")["deleted"], [])
        blob = model_v2.split(":")[-1]
        stores = os.listdir(os.path.join(self.home, "artifacts"))
        self.assertEqual(len(stores), 1, stores)  # one store, one blob directory
        self.assertTrue(os.path.isfile(os.path.join(self.home, "artifacts", stores[0], "blobs",
                                                    blob[:2], blob[2:])))
        self.ok("evaluate", "--model", "bc.kiln", "--data", self.test_csv)

    def test_gc_of_one_store_never_touches_another_stores_blobs(self):
        other = os.path.join(self.home, "other.db")
        self.ok("--store", other, "train", "--algo", "logistic_regression", "--data",
                self.train_csv, "-p", "l2=0.5", "--output", "other.kiln")
        other_uri = self.json("--store", other, "models", "show", "other/1", "--json")[
            "artifact_uri"]
        # The default store has no records at all: everything of its own would be garbage.
        self.ok("gc", "--min-age", "0", "--force")
        self.assertEqual(self.json("--store", other, "gc", "--min-age", "0", "--dry-run",
                                   "--json")["deleted"], [])
        self.ok("--store", other, "evaluate", "--model", "other.kiln", "--data", self.test_csv)
        self.assertIn(other_uri, self.ok("--store", other, "runs", "show", "2").stdout)

    def test_passwords_stay_out_of_messages_and_records(self):
        r = self.fails(5, "--store", "postgresql://u:secretpw@127.0.0.1:1/db", "runs", "list")
        self.assertNotIn("secretpw", r.stderr)
        self.assertIn("postgresql://u@127.0.0.1:1/db", r.stderr)
        r = self.fails(2, "--store", "host=127.0.0.1 password=secretpw", "runs", "list")
        self.assertNotIn("secretpw", r.stderr)
        self.assertIn("postgresql://", r.stderr)
        # A store named explicitly must exist for commands that only read.
        r = self.fails(3, "--store", os.path.join(self.home, "typo.db"), "runs", "list")
        self.assertIn("no store at", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.home, "typo.db")))

    def test_projects_are_separate(self):
        self.train("0.1", "--project", "dev")
        self.assertEqual(self.json("runs", "list", "--json"), [])
        dev = self.json("runs", "list", "--project", "dev", "--json")
        self.assertEqual([r["project"] for r in dev], ["dev"])
        self.assertEqual(self.json("models", "list", "--json"), [])
        r = self.fails(3, "runs", "show", "1")
        self.assertIn("--project dev", r.stderr)
        # Reading a project that does not exist is an error naming the ones that do; it does
        # not create it.
        r = self.fails(3, "runs", "list", "--project", "typo")
        self.assertIn("no project 'typo'", r.stderr)
        self.assertIn("default, dev", r.stderr)
        self.fails(2, "runs", "list", "--project", "bad name")
        # A dataset version of dev is not visible from the default project by id either.
        dev_dataset = self.json("datasets", "list", "--project", "dev", "--json")[0]["id"]
        self.fails(3, "datasets", "show", str(dev_dataset))
        self.fails(3, "lineage", f"dataset:{dev_dataset}")
        self.ok("datasets", "show", str(dev_dataset), "--project", "dev")

    def test_models_and_datasets_lists_filter_order_and_page(self):
        for name in ("alpha", "beta", "gamma"):
            self.train("0.1", "--register", name)
        self.ok("models", "alias", "beta", "production", "1")
        names = [m["name"] for m in self.json("models", "list", "--json")]
        self.assertEqual(names, ["alpha", "beta", "gamma"])
        desc = [m["name"] for m in self.json("models", "list", "--order-by", "name desc",
                                              "--json")]
        self.assertEqual(desc, ["gamma", "beta", "alpha"])
        self.assertEqual([m["name"] for m in self.json("models", "list", "--alias", "production",
                                                       "--json")], ["beta"])
        first = self.kiln("models", "list", "--limit", "2", "--json")
        self.assertEqual([m["name"] for m in json.loads(first.stdout)], ["alpha", "beta"])
        token = first.stderr.split("--page-token ")[1].strip()
        rest = self.json("models", "list", "--limit", "2", "--page-token", token, "--json")
        self.assertEqual([m["name"] for m in rest], ["gamma"])
        self.assertIn("more: --page-token", self.ok("models", "list", "--limit", "1").stdout)
        self.fails(2, "models", "list", "--order-by", "size")
        self.fails(2, "models", "list", "--alias", "Not An Alias")

        versions = self.json("datasets", "list", "--json")
        self.assertEqual(len(versions), 2)  # train and valid files, one version each
        by_rows = self.json("datasets", "list", "--order-by", "rows desc", "--json")
        self.assertGreaterEqual(by_rows[0]["num_rows"], by_rows[1]["num_rows"])
        self.assertEqual(len(self.json("datasets", "list", "--limit", "1", "--json")), 1)
        self.assertEqual(self.json("datasets", "list", "--format", "libsvm", "--json"), [])
        self.fails(2, "datasets", "list", "--order-by", "metric.auc")
        self.fails(2, "datasets", "list", "--page-token", "nonsense")

    def test_tags_are_recorded(self):
        self.train("0.1", "--tag", "owner=ana", "--tag", "ticket=KILN-7")
        run = self.json("runs", "show", "1", "--json")
        self.assertEqual(run["tags"], {"owner": "ana", "ticket": "KILN-7"})
        r = self.fails(2, "train", "--algo", "logistic_regression", "--data", self.train_csv,
                       "--tag", "no-equals-sign", "--output", "x.kiln")
        self.assertIn("--tag no-equals-sign", r.stderr)

    def test_no_track_records_nothing(self):
        self.train("0.1", "--no-track")
        self.ok("evaluate", "--model", "bc.kiln", "--data", self.test_csv, "--no-track")
        self.assertEqual(self.json("runs", "list", "--json"), [])
        self.assertEqual(self.json("models", "list", "--json"), [])
        self.assertEqual(self.json("datasets", "list", "--json"), [])

    def test_bad_inputs(self):
        self.history()
        r = self.fails(3, "runs", "show", "99")
        self.assertIn("run 99", r.stderr)
        self.fails(2, "runs", "show", "abc")
        r = self.fails(2, "runs", "list", "--metric", "auc>>high")
        self.assertIn("auc>>high", r.stderr)
        self.fails(2, "runs", "list", "--order-by", "metric.auc sideways")
        self.fails(2, "runs", "list", "--page-token", "garbage")
        self.fails(2, "runs", "list", "--param", "l2")
        self.fails(2, "runs", "list", "--status", "sleeping")
        r = self.fails(3, "runs", "list", "--experiment", "nope")
        self.assertIn("nope", r.stderr)
        self.fails(2, "runs", "compare", "1")
        r = self.fails(2, "models", "alias", "bc", "Not An Alias", "1")
        self.assertIn("Not An Alias", r.stderr)
        self.fails(2, "models", "alias", "bc", "latest", "1")
        self.fails(2, "models", "alias", "bc", "production")
        r = self.fails(3, "models", "show", "nomodel")
        self.assertIn("nomodel", r.stderr)
        self.fails(3, "models", "delete", "nomodel")
        self.fails(2, "models", "delete", "bc/x")
        self.fails(3, "lineage", "nomodel")
        self.fails(2, "lineage", "run:x")
        self.fails(3, "lineage", "dataset:/no/such.csv")
        self.fails(2, "lineage", "bc", "--format", "png")
        self.fails(2, "runs", "list", "--store", "mysql://x")
        self.fails(2, "runs")

    def test_group_help_lists_subcommands(self):
        for group, subs in [("runs", ["list", "show", "compare", "delete"]),
                            ("models", ["list", "show", "alias", "delete"]),
                            ("datasets", ["list", "show"])]:
            text = self.ok(group, "--help").stdout
            for sub in subs:
                self.assertIn(sub, text, group)
            self.assertIn("Examples:", self.ok(group, subs[0], "--help").stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
