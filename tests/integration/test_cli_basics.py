#!/usr/bin/python3
"""The `kiln` binary's help, version, `algorithms` listing and usage errors.

Needs only the binary (KILN_BIN); runs before any algorithm exists. Exits non-zero on failure.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ.get("KILN_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
KILN = os.environ.get("KILN_BIN", os.path.join(SOURCE, "build", "bin", "kiln"))
COMMANDS = ["train", "predict", "evaluate", "inspect", "algorithms"]


def kiln(*args, home):
    env = dict(os.environ, KILN_HOME=home)
    return subprocess.run([KILN, *args], capture_output=True, text=True, env=env, timeout=300)


class CliBasics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_cli_basics_")
        cls.home = cls.tmp.name

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_kiln(self, *args):
        return kiln(*args, home=self.home)

    def test_main_help_lists_every_command(self):
        r = self.run_kiln("--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        for command in COMMANDS:
            self.assertIn(command, r.stdout)
        self.assertIn("Examples:", r.stdout)

    def test_every_command_has_help_with_examples(self):
        for command in COMMANDS:
            with self.subTest(command=command):
                r = self.run_kiln(command, "--help")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("Usage: kiln " + command, r.stdout)
                self.assertIn("Examples:", r.stdout)
                self.assertEqual(r.stderr, "")

    def test_version(self):
        r = self.run_kiln("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^kiln \d+\.\d+\.\d+\n$")

    def test_algorithms_json_matches_the_table(self):
        r = self.run_kiln("algorithms", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        entries = json.loads(r.stdout)
        self.assertIsInstance(entries, list)
        table = self.run_kiln("algorithms")
        self.assertEqual(table.returncode, 0, table.stderr)
        for entry in entries:
            for key in ("name", "description", "tasks", "capabilities", "params"):
                self.assertIn(key, entry)
            self.assertIn(entry["name"], table.stdout)
            for param in entry["params"]:
                for key in ("name", "type", "default", "help"):
                    self.assertIn(key, param)
            one = self.run_kiln("algorithms", entry["name"], "--json")
            self.assertEqual(one.returncode, 0, one.stderr)
            self.assertEqual(json.loads(one.stdout), entry)
            text = self.run_kiln("algorithms", entry["name"])
            self.assertEqual(text.returncode, 0, text.stderr)
            for param in entry["params"]:
                self.assertIn(param["name"], text.stdout)

    def test_usage_errors_exit_2_with_a_message(self):
        cases = [
            ([], "a command is required"),
            (["frobnicate"], "frobnicate"),
            (["train", "--data", "x.csv", "--output", "m.kiln"], "--algo"),
            (["train", "--algo", "x", "--data", "x.csv", "--output", "m", "--bogus"], "--bogus"),
            (["predict", "--model", "m.kiln"], "--data"),
            (["evaluate", "--model", "m", "--data", "d", "--threads", "many"], "--threads"),
            (["inspect"], "model"),
        ]
        for args, needle in cases:
            with self.subTest(args=args):
                r = self.run_kiln(*args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(needle, r.stderr)
                self.assertIn("kiln: error:", r.stderr)

    def test_unknown_algorithm_is_not_found(self):
        data = os.path.join(self.home, "tiny.csv")
        with open(data, "w") as f:
            f.write("x,label\n1,a\n2,b\n")
        r = self.run_kiln("train", "--algo", "no_such_algorithm", "--data", data, "--output",
                          os.path.join(self.home, "m.kiln"))
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("kiln: not found: unknown algorithm 'no_such_algorithm'", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.home, "m.kiln")))

    def test_missing_data_file_is_not_found(self):
        missing = os.path.join(self.home, "missing.csv")
        cases = [["predict", "--model", "m.kiln", "--data", missing],
                 ["evaluate", "--model", "m.kiln", "--data", missing]]
        names = [e["name"] for e in json.loads(self.run_kiln("algorithms", "--json").stdout)]
        if names:  # train checks the algorithm name before the files
            cases.append(["train", "--algo", names[0], "--data", missing, "--output", "m.kiln"])
        for args in cases:
            with self.subTest(command=args[0]):
                r = self.run_kiln(*args)
                self.assertEqual(r.returncode, 3, r.stderr)
                self.assertIn(missing + ": no such file", r.stderr)


if __name__ == "__main__":
    if not os.access(KILN, os.X_OK):
        sys.exit(f"kiln binary not found at {KILN}; set KILN_BIN")
    unittest.main(verbosity=2)
