#!/usr/bin/python3
"""A custom processor in `kiln serve`: the churn model trained by `kiln train`, served from a
model directory whose config.json names the example processor library
(examples/processors/churn_rules). Answers carry the processor's "action" (row format and Open
Inference Protocol), the metadata lists it, and a negative tenure is a 400 naming the processor
and the problem."""
import csv
import json
import os
import tempfile
import unittest

from serve_util import DATA, Server, fresh_env, kiln

LIBRARY = os.environ.get("KILN_EXAMPLE_PROCESSOR", "")
THRESHOLD = 0.4


@unittest.skipUnless(LIBRARY and os.path.exists(LIBRARY),
                     "KILN_EXAMPLE_PROCESSOR (the built libchurn_rules.so) not set")
class CustomProcessor(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(os.path.join(DATA, "wa_churn")):
            raise unittest.SkipTest("dataset wa_churn missing; run scripts/fetch_datasets.py")
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_serve_processor_")
        cls.dir = cls.tmp.name
        cls.env = fresh_env(cls.dir)
        models = os.path.join(cls.dir, "models")
        os.makedirs(os.path.join(models, "churn", "1"))
        kiln(cls.env, cls.dir, "train", "--algo", "logistic_regression", "--data",
             os.path.join(DATA, "wa_churn", "train.csv"), "--label", "churn", "-o",
             os.path.join(models, "churn", "1", "churn.kiln"), "-q", "--no-track")
        with open(os.path.join(models, "churn", "config.json"), "w") as f:
            json.dump({"processor": {"library": LIBRARY, "platform": "kiln",
                                     "config": {"threshold": THRESHOLD}}}, f)
        with open(os.path.join(DATA, "wa_churn", "test.csv")) as f:
            rows = list(csv.DictReader(f))[:50]
        cls.instances = []
        for row in rows:
            row.pop("churn")
            inst = {}
            for k, v in row.items():
                try:
                    inst[k] = float(v)
                except ValueError:
                    inst[k] = v
            cls.instances.append(inst)
        cls.server = Server(cls.env, cls.dir, "--model-dir", models)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def test_row_format_answer_has_the_action(self):
        code, out, _ = self.server.request("POST", "/v1/models/churn:predict",
                                           {"instances": self.instances})
        self.assertEqual(code, 200, out)
        self.assertEqual(len(out["action"]), len(self.instances))
        self.assertEqual(len(out["probabilities"]), len(self.instances))
        for action, probs in zip(out["action"], out["probabilities"]):
            self.assertEqual(action, "call_customer" if probs["Yes"] > THRESHOLD else "none")
        self.assertIn("call_customer", out["action"])
        self.assertIn("none", out["action"])

    def test_metadata_lists_the_processor_and_its_output(self):
        code, meta, _ = self.server.request("GET", "/v2/models/churn")
        self.assertEqual(code, 200, meta)
        self.assertEqual(meta["platform"], "custom:churn_rules")
        self.assertIn({"name": "action", "datatype": "BYTES", "shape": [-1]}, meta["outputs"])

    def test_open_inference_protocol_answer_has_the_action(self):
        code, meta, _ = self.server.request("GET", "/v2/models/churn")
        self.assertEqual(code, 200, meta)
        inputs = []
        for t in meta["inputs"]:
            values = [inst[t["name"]] for inst in self.instances[:3]]
            if t["datatype"] == "BYTES":
                values = [str(v) if not isinstance(v, float) else f"{v:g}" for v in values]
            inputs.append({"name": t["name"], "datatype": t["datatype"], "shape": [3],
                           "data": values})
        code, out, _ = self.server.request("POST", "/v2/models/churn/infer", {"inputs": inputs})
        self.assertEqual(code, 200, out)
        action = [o for o in out["outputs"] if o["name"] == "action"]
        self.assertEqual(len(action), 1, out)
        self.assertEqual(action[0]["datatype"], "BYTES")
        self.assertEqual(action[0]["shape"], [3])
        self.assertTrue(set(action[0]["data"]) <= {"call_customer", "none"}, action)

    def test_negative_tenure_is_a_bad_request_naming_the_processor(self):
        bad = [dict(self.instances[0]), dict(self.instances[1], tenure=-5)]
        code, out, _ = self.server.request("POST", "/v1/models/churn:predict", {"instances": bad})
        self.assertEqual(code, 400, out)
        self.assertIn("processor churn_rules", out["error"])
        self.assertIn("row 1: tenure is -5", out["error"])
        self.assertIn("cannot be negative", out["error"])


if __name__ == "__main__":
    unittest.main()
