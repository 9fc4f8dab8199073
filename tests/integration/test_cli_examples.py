#!/usr/bin/python3
"""Every example the user is shown must run: the "Examples:" lines of `kiln --help` and of each
`kiln COMMAND --help`, and the README's "Using the CLI" block. Also: the help texts quoted in
docs/cli.md are the binary's current ones.

Dataset paths (data/<name>/...) are pointed at $KILN_DATA_DIR; outputs go to a temp directory
(the working directory of every run); an input the examples mention but nothing provides (such
as train.libsvm) is generated as a tiny file when its format allows, and is an error otherwise.
Examples run in command order (train before evaluate/predict/inspect) so each finds the models
the others write. Exits non-zero on failure.
"""
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

SOURCE = os.environ.get("KILN_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
KILN = os.path.abspath(os.environ.get("KILN_BIN", os.path.join(SOURCE, "build", "bin", "kiln")))
DATA = os.path.abspath(os.environ.get("KILN_DATA_DIR", os.path.join(SOURCE, "data")))
COMMANDS = ["algorithms", "train", "evaluate", "predict", "inspect", "export", "runs", "datasets",
            "lineage", "models", "deploy", "deployments", "serve", "gc", "validate", "run",
            "components", "pipelines", "schedule", "scheduler"]
INPUT_FLAGS = {"--data", "--valid", "--model"}


def help_examples(text):
    """The command lines of the help's "Examples:" section, continuation lines joined."""
    lines = text.splitlines()
    if "Examples:" not in lines:
        return []
    examples, current = [], None
    for line in lines[lines.index("Examples:") + 1:]:
        if not line.strip():
            break
        current = line.strip() if current is None else current + " " + line.strip()
        if current.endswith("\\"):
            current = current[:-1].rstrip()
            continue
        examples.append(current)
        current = None
    return examples


def readme_examples(text):
    """The command lines of the first sh block under "## Using the CLI", with $K as `kiln`."""
    section = text.split("## Using the CLI", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    examples, current = [], ""
    for line in block.splitlines():
        current += " " + line.strip()
        if current.endswith("\\"):
            current = current[:-1]
            continue
        command = " ".join(shlex.split(current, comments=True))
        current = ""
        if not command or re.fullmatch(r"K=\S+", command):
            continue
        examples.append(re.sub(r"^\$K\b", "kiln", command))
    return examples


def write_tiny_libsvm(path):
    rng = random.Random(7)
    with open(path, "w") as f:
        for i in range(200):
            y = i % 2
            feats = sorted(rng.sample(range(1, 30), 5) + [30 + y])
            f.write(f"{y} " + " ".join(f"{j}:{rng.random() + y:.3f}" for j in feats) + "\n")


class Examples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_cli_examples_")
        cls.dir = cls.tmp.name
        cls.env = dict(os.environ, KILN_HOME=os.path.join(cls.dir, "home"))
        # The example pipelines read data/<name>/ relative to where kiln runs.
        os.symlink(DATA, os.path.join(cls.dir, "data"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def help(self, *command):
        r = subprocess.run([KILN, *command, "--help"], capture_output=True, text=True,
                           env=self.env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def shell_command(self, example):
        """The example as a bash command line: real binary, real datasets, inputs present."""
        segments = []
        for segment in example.split(" | "):
            words = shlex.split(segment)
            if words[0] == "kiln":
                words = self.kiln_words(words)
            elif words[0] == "python3":
                words[0] = sys.executable  # Debian's /usr/bin/python3
            else:
                self.fail(f"unexpected program in example: {example}")
            segments.append(" ".join(shlex.quote(w) for w in words))
        return " | ".join(segments)

    def kiln_words(self, words):
        out = [KILN]
        command = words[1] if len(words) > 1 else ""
        for i, word in enumerate(words[1:], start=1):
            if word.startswith("examples/"):
                word = os.path.join(SOURCE, word)
            if word.startswith("data/"):
                word = os.path.join(DATA, word[len("data/"):])
                if not os.path.exists(word):
                    self.skipTest(f"dataset {word} is missing (run scripts/fetch_datasets.py)")
            is_input = words[i - 1] in INPUT_FLAGS or (
                command in ("inspect", "export") and i == 2 and not word.startswith("-"))
            if is_input and not os.path.exists(os.path.join(self.dir, word)):
                if word.endswith(".libsvm") and not os.path.isabs(word):
                    write_tiny_libsvm(os.path.join(self.dir, word))
                elif not os.path.isabs(word) and not word.endswith(".kiln"):
                    self.fail(f"example reads {word}, which no example provides")
            out.append(word)
        return out

    def run_examples(self, examples):
        rank = {c: i for i, c in enumerate(COMMANDS)}

        def order(example):
            words = example.split()
            return rank.get(words[1], -1) if len(words) > 1 else -1
        for example in sorted(examples, key=order):
            if example.startswith("kiln scheduler"):
                # Runs until stopped: give it a second (the schedules above are not due).
                example += " --run-for 1" if "--run-for" not in example else ""
            if example.startswith("kiln serve"):
                with self.subTest(example=example):
                    self.run_server_example(example)
                continue
            with self.subTest(example=example):
                line = self.shell_command(example)
                r = subprocess.run(["bash", "-o", "pipefail", "-c", line], cwd=self.dir,
                                   capture_output=True, text=True, env=self.env, timeout=600)
                self.assertEqual(r.returncode, 0,
                                 f"\n$ {example}\nstdout: {r.stdout[-2000:]}\nstderr: {r.stderr}")
                self.assertNotIn("warning", r.stderr.lower(), f"\n$ {example}")

    def run_server_example(self, example):
        """A serving example runs until stopped: start it on a free port, wait until it
        listens, answer a health check, then SIGTERM must stop it cleanly (exit 0)."""
        words = self.kiln_words(shlex.split(example))
        if "--port" in words:
            words[words.index("--port") + 1] = "0"
        else:
            words += ["--port", "0"]
        port_file = os.path.join(self.dir, "serve.port")
        if os.path.exists(port_file):
            os.remove(port_file)
        proc = subprocess.Popen(words + ["--port-file", port_file], cwd=self.dir, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 60
            while not os.path.exists(port_file) and proc.poll() is None and time.time() < deadline:
                time.sleep(0.05)
            self.assertTrue(os.path.exists(port_file), f"\n$ {example}\ndid not start")
            with open(port_file) as f:
                port = int(f.read())
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready") as r:
                self.assertEqual(r.status, 200)
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, f"\n$ {example}\nstderr: {err}")
        self.assertIn("listening on", err)
        self.assertNotIn("warning", err.lower(), f"\n$ {example}")

    def test_help_examples_run(self):
        examples = help_examples(self.help())
        self.assertGreaterEqual(len(examples), 3, "the main help lost its examples")
        for command in COMMANDS:
            found = help_examples(self.help(command))
            self.assertTrue(found, f"kiln {command} --help has no examples")
            for example in found:
                self.assertTrue(example.startswith("kiln " + command),
                                f"kiln {command} --help shows: {example}")
            examples += found
        self.run_examples(examples)

    def test_readme_examples_run(self):
        with open(os.path.join(SOURCE, "README.md")) as f:
            examples = readme_examples(f.read())
        self.assertGreaterEqual(len(examples), 4, "the README's CLI block was not found")
        self.run_examples(examples)

    def test_docs_show_the_current_help(self):
        """docs/cli.md quotes every `kiln [COMMAND] --help` verbatim; it must not drift."""
        with open(os.path.join(SOURCE, "docs", "cli.md")) as f:
            blocks = re.findall(r"```\n\$ kiln((?: \w+)?) --help\n(.*?)```", f.read(), re.S)
        shown = {command.strip(): text for command, text in blocks}
        self.assertEqual(sorted(shown), sorted([""] + COMMANDS))
        for command, text in shown.items():
            with self.subTest(command=command):
                actual = self.help(*([command] if command else []))
                self.assertEqual(text, actual, "regenerate the block in docs/cli.md")

    def test_the_extractors(self):
        text = ("Usage\n\nExamples:\n  kiln a --x 1\n  kiln b --y \\\n      --z 2\n\nMore\n"
                "  kiln not-an-example\n")
        self.assertEqual(help_examples(text), ["kiln a --x 1", "kiln b --y --z 2"])
        readme = ("## Using the CLI\n\n```sh\nK=build/bin/kiln\n$K algorithms     # list\n"
                  "$K train --data data/x.csv \\\n   --output out/m.kiln  # note\n```\n")
        self.assertEqual(readme_examples(readme),
                         ["kiln algorithms", "kiln train --data data/x.csv --output out/m.kiln"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
