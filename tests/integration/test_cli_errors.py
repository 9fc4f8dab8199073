#!/usr/bin/python3
"""Exit codes and messages of the real `kiln` binary for bad input: parameters, broken model
files, labels the model never saw, missing feature columns, malformed CSV and Ctrl-C.

Cases that need logistic_regression are skipped (with the reason printed) until it is in the
build. Exits non-zero on failure.
"""
import csv
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE = os.environ.get("KILN_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
KILN = os.environ.get("KILN_BIN", os.path.join(SOURCE, "build", "bin", "kiln"))
DATA = os.environ.get("KILN_DATA_DIR", os.path.join(SOURCE, "data"))
ALGO = "logistic_regression"

EXIT_USAGE, EXIT_NOT_FOUND, EXIT_BAD_DATA, EXIT_BAD_FILE, EXIT_CANCELLED = 2, 3, 4, 6, 130


class Errors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_cli_errors_")
        cls.dir = cls.tmp.name
        cls.env = dict(os.environ, KILN_HOME=os.path.join(cls.dir, "home"))
        r = cls.kiln("algorithms", "--json")
        cls.algorithms = {e["name"]: e for e in json.loads(r.stdout)}
        cls.train_csv = os.path.join(DATA, "breast_cancer", "train.csv")
        cls.test_csv = os.path.join(DATA, "breast_cancer", "test.csv")
        cls.model = None
        if ALGO in cls.algorithms and os.path.exists(cls.train_csv):
            cls.model = os.path.join(cls.dir, "bc.kiln")
            r = cls.kiln("train", "--algo", ALGO, "--data", cls.train_csv, "--output", cls.model)
            if r.returncode != 0:
                raise RuntimeError("training the fixture model failed:\n" + r.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def kiln(cls, *args):
        return subprocess.run([KILN, *args], capture_output=True, text=True, env=cls.env,
                              timeout=600)

    def need_model(self):
        if self.model is None:
            self.skipTest(f"'{ALGO}' is not in this build yet, or {self.train_csv} is missing")

    def expect(self, args, code, *needles):
        r = self.kiln(*args)
        self.assertEqual(r.returncode, code, f"kiln {' '.join(args)}\nstderr: {r.stderr}")
        for needle in needles:
            self.assertIn(needle, r.stderr)
        self.assertTrue(r.stderr.startswith("kiln: "), r.stderr)
        self.assertEqual(r.stderr.count("\n"), 1, "the error should be one line:\n" + r.stderr)
        return r

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", newline="") as f:
            f.write(text)
        return path

    def edited_test_csv(self, name, edit):
        with open(self.test_csv, newline="") as f:
            rows = list(csv.reader(f))
        edit(rows)
        path = os.path.join(self.dir, name)
        with open(path, "w", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
        return path

    # --- parameters ---------------------------------------------------------------------------

    def test_unknown_parameter_lists_the_valid_ones(self):
        self.need_model()
        out = os.path.join(self.dir, "unknown_param.kiln")
        self.expect(["train", "--algo", ALGO, "--data", self.train_csv, "-p", "l3=1", "--output",
                     out], EXIT_USAGE,
                    f"kiln: error: unknown parameter 'l3' for {ALGO} (did you mean 'l",
                    "valid parameters: ")
        self.assertFalse(os.path.exists(out))

    def test_bad_parameter_values_say_what_was_expected(self):
        self.need_model()
        params = self.algorithms[ALGO]["params"]
        out = os.path.join(self.dir, "bad_value.kiln")
        numeric = [p for p in params if p["type"] in ("double", "int")]
        self.assertTrue(numeric)
        p = numeric[0]
        self.expect(["train", "--algo", ALGO, "--data", self.train_csv, "-p",
                     p["name"] + "=abc", "--output", out], EXIT_USAGE,
                    f"parameter '{p['name']}' of {ALGO}: expected", "abc")
        bounded = [p for p in numeric if "min" in p]
        if bounded:
            p = bounded[0]
            self.expect(["train", "--algo", ALGO, "--data", self.train_csv, "-p",
                         f"{p['name']}={p['min'] - 1}", "--output", out], EXIT_USAGE,
                        f"parameter '{p['name']}' of {ALGO}: expected")
        choices = [p for p in params if p["type"] == "choice"]
        if choices:
            p = choices[0]
            self.expect(["train", "--algo", ALGO, "--data", self.train_csv, "-p",
                         p["name"] + "=bogus", "--output", out], EXIT_USAGE, "one of: ")
        self.expect(["train", "--algo", ALGO, "--data", self.train_csv, "-p", "novalue",
                     "--output", out], EXIT_USAGE, "novalue")
        self.assertFalse(os.path.exists(out))

    # --- model files --------------------------------------------------------------------------

    def test_broken_model_files(self):
        self.need_model()
        with open(self.model, "rb") as f:
            good = f.read()
        flipped = bytearray(good)
        flipped[len(flipped) - 5] ^= 0x40
        future = bytearray(good)
        future[8:12] = struct.pack("<I", 99)
        files = {
            "truncated.kiln": (good[: len(good) // 2], EXIT_BAD_FILE, "corrupt file"),
            "flipped.kiln": (bytes(flipped), EXIT_BAD_FILE, "corrupt file"),
            "empty.kiln": (b"", EXIT_BAD_FILE, "corrupt file"),
            "text.kiln": (b"label,x\n1,2\n", EXIT_BAD_FILE, "corrupt file"),
            "future.kiln": (bytes(future), EXIT_BAD_FILE, "version mismatch"),
        }
        for name, (content, code, prefix) in files.items():
            path = os.path.join(self.dir, name)
            with open(path, "wb") as f:
                f.write(content)
            for args in (["predict", "--model", path, "--data", self.test_csv],
                         ["evaluate", "--model", path, "--data", self.test_csv],
                         ["inspect", path]):
                with self.subTest(file=name, command=args[0]):
                    self.expect(args, code, f"kiln: {prefix}: ", path)

    # --- data that does not fit the model -----------------------------------------------------

    def test_evaluate_with_a_label_the_model_never_saw(self):
        self.need_model()

        def edit(rows):
            rows[3][rows[0].index("label")] = "borderline"
        data = self.edited_test_csv("unseen_label.csv", edit)
        self.expect(["evaluate", "--model", self.model, "--data", data], EXIT_BAD_DATA,
                    "kiln: data error: ", f"{data} line 4", "'borderline'", "never saw",
                    "benign, malignant")

    def test_predict_on_data_missing_a_feature_column(self):
        self.need_model()

        def edit(rows):
            i = rows[0].index("mean_texture")
            for row in rows:
                del row[i]
        data = self.edited_test_csv("no_texture.csv", edit)
        self.expect(["predict", "--model", self.model, "--data", data], EXIT_BAD_DATA,
                    "kiln: data error: ", data, "'mean_texture'", "trained on")

    def test_ragged_csv_row_names_file_and_line(self):
        self.need_model()

        def edit(rows):
            rows[5].append("1.5")
        data = self.edited_test_csv("ragged.csv", edit)
        for args in (["train", "--algo", ALGO, "--data", data, "--output",
                      os.path.join(self.dir, "ragged.kiln")],
                     ["predict", "--model", self.model, "--data", data],
                     ["evaluate", "--model", self.model, "--data", data]):
            with self.subTest(command=args[0]):
                r = self.expect(args, EXIT_BAD_DATA, data, "line 6")
                self.assertRegex(r.stderr, r"^kiln: (parse|data) error: ")

    def test_text_in_a_numeric_column_is_reported(self):
        self.need_model()

        def edit(rows):
            rows[2][rows[0].index("mean_radius")] = "twelve"
        data = self.edited_test_csv("text_in_numbers.csv", edit)
        self.expect(["predict", "--model", self.model, "--data", data], EXIT_BAD_DATA, data,
                    "mean_radius")

    def test_classifier_on_a_numeric_target_points_at_regression(self):
        self.need_model()
        # concrete's target has fractional values (diabetes' happens to be all integers, which
        # would be read as 200+ classes).
        data = os.path.join(DATA, "concrete", "train.csv")
        out = os.path.join(self.dir, "numeric_target.kiln")
        self.expect(["train", "--algo", ALGO, "--data", data, "--label", "compressive_strength",
                     "--output", out], EXIT_BAD_DATA, data, "compressive_strength",
                    "regression")
        self.assertFalse(os.path.exists(out))

    # --- Ctrl-C -------------------------------------------------------------------------------

    def test_sigint_cancels_training_without_writing_a_model(self):
        self.need_model()
        # Large enough that reading and training take well over the moment we interrupt.
        data = os.path.join(self.dir, "big.csv")
        with open(self.train_csv) as f:
            header, *lines = f.read().splitlines()
        with open(data, "w") as f:
            f.write(header + "\n")
            for _ in range(300):
                f.write("\n".join(lines) + "\n")
        model = os.path.join(self.dir, "interrupted.kiln")
        proc = subprocess.Popen([KILN, "train", "--algo", ALGO, "--data", data, "--no-cache",
                                 "--threads", "1", "--output", model], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        if proc.poll() is not None:
            self.skipTest("training finished before it could be interrupted")
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, EXIT_CANCELLED, stderr)
        self.assertIn("kiln: cancelled: ", stderr)
        self.assertFalse(os.path.exists(model))
        leftovers = [n for n in os.listdir(self.dir) if n.startswith("interrupted.kiln")]
        self.assertEqual(leftovers, [])


if __name__ == "__main__":
    if not os.access(KILN, os.X_OK):
        sys.exit(f"kiln binary not found at {KILN}; set KILN_BIN")
    unittest.main(verbosity=2)
