#!/usr/bin/python3
"""Pipelines through the real `kiln` binary: the example pipelines on real data (validate, run,
cached re-run, one changed param), a failure resumed, Ctrl-C, the scheduler (fires, missed
fires), project isolation, and `kiln components` / `kiln pipelines`.

Every test gets a fresh KILN_HOME. Exits non-zero on failure.
"""
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

SOURCE = os.environ.get("KILN_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
KILN = os.environ.get("KILN_BIN", os.path.join(SOURCE, "build", "bin", "kiln"))
DATA = os.path.abspath(os.environ.get("KILN_DATA_DIR", os.path.join(SOURCE, "data")))
EXAMPLES = os.path.join(SOURCE, "examples", "pipelines")


class Pipelines(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="kiln_pipelines_")
        self.dir = self.tmp.name
        self.home = os.path.join(self.dir, "home")
        self.env = dict(os.environ, KILN_HOME=self.home)
        self.env.pop("KILN_STORE", None)

    def tearDown(self):
        self.tmp.cleanup()

    def kiln(self, *args, timeout=600):
        return subprocess.run([KILN, *args], capture_output=True, text=True, env=self.env,
                              cwd=self.dir, timeout=timeout)

    def ok(self, *args):
        r = self.kiln(*args)
        self.assertEqual(r.returncode, 0, f"kiln {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}")
        return r

    def fails(self, code, *args):
        r = self.kiln(*args)
        self.assertEqual(r.returncode, code,
                         f"kiln {' '.join(args)}\nstdout: {r.stdout}\nstderr: {r.stderr}")
        self.assertTrue(r.stderr.startswith("kiln: "), r.stderr)
        return r

    def json(self, *args):
        return json.loads(self.ok(*args).stdout)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def need(self, dataset):
        if not os.path.isdir(os.path.join(DATA, dataset)):
            self.skipTest(f"dataset {dataset} is missing; run scripts/fetch_datasets.py")

    def test_churn_example_runs_caches_and_reruns_only_what_changed(self):
        self.need("wa_churn")
        spec = os.path.join(EXAMPLES, "churn.yaml")
        data = ["-p", f"data_dir={DATA}/wa_churn"]
        self.assertIn("pipeline churn is valid: 9 steps", self.ok("validate", spec, *data).stdout)
        first = self.ok("run", spec, *data)
        self.assertIn("9 ran, 0 cached, 0 failed, 0 skipped", first.stdout)
        self.assertIn("step evaluate: ran in", first.stdout)
        again = self.ok("run", spec, *data)
        self.assertIn("0 ran, 9 cached", again.stdout)
        changed = self.json("run", spec, *data, "-p", "l2_strong=0.5", "--json")
        states = {s["name"]: s["state"] for s in changed["steps"]}
        self.assertEqual(states["train_strong"], "finished")
        self.assertEqual(states["train_weak"], "cached")
        self.assertEqual(states["read_train"], "cached")
        self.assertEqual(states["split"], "cached")
        evaluate = next(s for s in changed["steps"] if s["name"] == "evaluate")
        self.assertGreater(evaluate["outputs"]["metrics"]["summary"]["auc"], 0.8)
        # What tracking shows afterwards: the runs, the registered model and its lineage.
        runs = self.json("pipelines", "runs", "--json")
        self.assertEqual([r["status"] for r in runs], ["finished"] * 3)
        show = self.ok("pipelines", "show", str(runs[0]["id"])).stdout
        self.assertIn("train_strong", show)
        models = self.json("models", "list", "--json")
        churn = next(m for m in models if m["name"] == "churn")
        self.assertIn("staging", churn["aliases"])
        lineage = self.ok("lineage", "churn@staging", "--upstream").stdout
        self.assertIn("wa_churn/train.csv", lineage)
        self.assertIn("step pick of pipeline churn", lineage)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "out", "pipelines", "churn.pmml")))
        # The train steps recorded runs of their own, with params and metrics.
        trains = self.json("runs", "list", "--kind", "train", "--experiment", "churn", "--json")
        self.assertGreaterEqual(len(trains), 3)
        self.assertIn("auc", trains[0]["metrics"])

    def test_ctr_example_hashes_trains_and_registers(self):
        self.need("ctr")
        out = self.json("run", os.path.join(EXAMPLES, "ctr.yaml"), "-p",
                        f"data_dir={DATA}/ctr", "--json")
        self.assertEqual(out["status"], "finished")
        steps = {s["name"]: s for s in out["steps"]}
        self.assertTrue(steps["hash"]["outputs"]["data"]["summary"]["sparse"])
        self.assertGreater(steps["evaluate"]["outputs"]["metrics"]["summary"]["auc"], 0.7)
        self.assertEqual(steps["register"]["outputs"]["report"]["summary"]["model"], "ctr")

    def test_validation_errors_name_file_and_line(self):
        bad = self.write("bad.yaml", "name: bad\nsteps:\n  a:\n    component: noop\n"
                         "    params: {sleep: 3}\n  b:\n    component: noop\n    inputs:\n"
                         "      in: ${steps.zz.outputs.out}\n")
        r = self.fails(2, "validate", bad)
        self.assertIn("2 problems", r.stderr)
        self.assertIn("bad.yaml:5:14: step 'a': unknown param 'sleep'", r.stderr)
        self.assertIn("bad.yaml:9:11: step 'b' input 'in': no step named 'zz'", r.stderr)
        unknown = self.write("unknown.yaml", "name: u\nsteps:\n  a: {component: trian}\n")
        self.assertIn("unknown.yaml:3:18", self.fails(3, "validate", unknown).stderr)
        self.fails(3, "validate", os.path.join(self.dir, "missing.yaml"))
        yaml = self.write("yaml.yaml", "name: y\nsteps: [\n")
        self.assertIn("yaml.yaml:", self.fails(4, "validate", yaml).stderr)
        # -p for a param the pipeline does not declare
        self.assertIn("unknown parameter 'nope'",
                      self.fails(2, "run", os.path.join(EXAMPLES, "churn.yaml"), "-p",
                                 "nope=1").stderr)

    def test_failure_is_resumed_from_the_failed_step(self):
        flag = self.write("broken", "")
        spec = self.write("r.yaml", f"""name: r
steps:
  a: {{component: noop, params: {{value: a}}}}
  b:
    component: noop
    inputs: {{in: "${{steps.a.outputs.out}}"}}
    params: {{fail_if_exists: {flag}}}
  c:
    component: noop
    inputs: {{in: "${{steps.b.outputs.out}}"}}
  d: {{component: noop, params: {{value: d}}}}
""")
        r = self.kiln("run", spec, "--no-cache")
        self.assertEqual(r.returncode, 1, r.stderr)  # the step's own error code (internal)
        self.assertIn("step c: skipped (upstream step 'b' failed)", r.stdout)
        self.assertIn("step d: ran", r.stdout)
        run_id = self.json("pipelines", "runs", "--json")[0]["id"]
        self.assertIn(f"kiln run --resume {run_id}", r.stderr)
        os.remove(flag)
        resumed = self.ok("run", "--resume", str(run_id), "--no-cache")
        self.assertIn("step a: cached (resumed from run", resumed.stdout)
        self.assertIn("step b: ran", resumed.stdout)
        self.assertIn("step c: ran", resumed.stdout)
        self.assertIn("2 ran, 2 cached", resumed.stdout)

    def test_ctrl_c_cancels_the_run(self):
        spec = self.write("slow.yaml", "name: slow\nsteps:\n  s: {component: noop, params: "
                          "{sleep_ms: 60000}}\n  t:\n    component: noop\n    inputs: {in: "
                          "\"${steps.s.outputs.out}\"}\n")
        p = subprocess.Popen([KILN, "run", spec], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=self.env, cwd=self.dir)
        deadline = time.time() + 60
        while time.time() < deadline:
            if os.path.exists(os.path.join(self.home, "kiln.db")) and self.kiln(
                    "pipelines", "runs", "--json").stdout.count('"running"'):
                break
            time.sleep(0.1)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 130, err)
        self.assertIn("step s: cancelled", out)
        self.assertIn("kiln run --resume", err)
        run = self.json("pipelines", "runs", "--json")[0]
        self.assertEqual(run["status"], "killed")

    def test_scheduler_runs_due_fires_once_and_reports_missed_ones(self):
        spec = self.write("tick.yaml", "name: tick\nparams: {v: x}\nsteps:\n  s: {component: "
                          "noop, params: {value: \"${params.v}\"}}\n")
        added = self.ok("schedule", "add", spec, "--cron", "* * * * * *", "-p", "v=y").stdout
        self.assertIn("schedule 1: pipeline tick", added)
        self.fails(2, "schedule", "add", spec, "--cron", "0 2 * *")
        self.fails(3, "schedule", "remove", "7")
        # Two schedulers at once: each fire time still runs once.
        procs = [subprocess.Popen([KILN, "scheduler", "--tick", "0.2", "--run-for", "3.5"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=self.env, cwd=self.dir) for _ in range(2)]
        outs = [p.communicate(timeout=120) for p in procs]
        for p, (out, err) in zip(procs, outs):
            self.assertEqual(p.returncode, 0, err)
        started = sum(o.count("started kiln run") for o, _ in outs)
        self.assertGreaterEqual(started, 2)
        schedules = self.json("schedule", "list", "--json")
        fires = schedules[0]["fires"]
        self.assertEqual(len(fires), len({f["fire_ms"] for f in fires}))
        finished = [f for f in fires if f["status"] == "finished"]
        self.assertEqual(len(finished), started, fires)
        runs = self.json("pipelines", "runs", "--json")
        self.assertEqual(len(runs), started)
        self.assertEqual(runs[0]["schedule_id"], 1)
        self.assertEqual(runs[0]["params"], {"v": "y"})
        # While no scheduler runs, fire times pass; the next scheduler reports them missed.
        time.sleep(3)
        late = self.ok("scheduler", "--tick", "0.2", "--grace", "1", "--run-for", "0.5").stdout
        self.assertIn("missed (the scheduler was not running)", late)
        missed = [f for f in self.json("schedule", "list", "--json")[0]["fires"]
                  if f["status"] == "missed"]
        self.assertGreaterEqual(len(missed), 1)
        self.assertEqual(len(self.json("pipelines", "runs", "--json", "--limit", "1000")),
                         started + late.count("started kiln run"))
        self.ok("schedule", "remove", "1")
        self.assertIn("no schedules", self.ok("schedule", "list").stdout)

    def test_a_dev_run_cannot_touch_prod_unless_the_spec_says_so(self):
        self.need("breast_cancer")
        body = f"""steps:
  read: {{component: read, params: {{path: {DATA}/breast_cancer/train.csv}}}}
  train:
    component: train.logistic_regression
    inputs: {{train: "${{steps.read.outputs.data}}"}}
  register:
    component: register_model
    inputs: {{model: "${{steps.train.outputs.model}}"}}
    params: {{name: bc, alias: production, project: prod}}
"""
        denied = self.write("denied.yaml", "name: bc\n" + body)
        r = self.fails(9, "--project", "dev", "run", denied)
        self.assertIn("would write to project 'prod' from a run in project 'dev'", r.stderr)
        self.fails(3, "--project", "prod", "models", "list")  # nothing was created there
        allowed = self.write("allowed.yaml", "name: bc\naccess: {write: [prod]}\n" + body)
        self.ok("--project", "dev", "run", allowed)
        prod = self.json("--project", "prod", "models", "list", "--json")
        self.assertEqual([m["name"] for m in prod], ["bc"])
        self.assertEqual(self.json("--project", "dev", "models", "list", "--json"), [])

    def test_components_list_their_metadata(self):
        components = self.json("components", "--json")
        names = {c["name"] for c in components}
        for name in ("read", "split", "sample", "filter", "select", "sql", "standardize",
                     "minmax_scale", "impute", "one_hot", "feature_hashing", "discretize",
                     "select_features", "predict", "evaluate", "compare_models",
                     "register_model", "load_model", "export_model", "write",
                     "train.logistic_regression", "train.linear_regression"):
            self.assertIn(name, names)
        for c in components:
            self.assertTrue(c["description"], c["name"])
            for port in c["inputs"] + c["outputs"]:
                self.assertIn(port["type"], ("dataset", "model", "metrics", "report"))
        text = self.ok("components", "split").stdout
        self.assertIn("test_fraction", text)
        self.assertIn("outputs:", text)
        self.assertIn("did you mean 'split'", self.fails(3, "components", "splt").stderr)
        for command in ("run", "validate", "components", "pipelines", "schedule", "scheduler"):
            self.assertIn("Usage", self.ok(command, "--help").stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
