#!/usr/bin/python3
"""The data readers' error messages name CLI flags; every such flag must exist and do what the
message implies. Each case triggers a message with the real `kiln` binary, checks it names the
flag, then runs the command again with the suggested flag and expects success.

A guard test greps src/data/*.cc for every `--flag` in a string literal, so a new message that
names a flag without a case here (or a flag the CLI lacks) fails. Also covers predict reading new
files the way the training file was read. Exits non-zero on failure.
"""
import glob
import os
import re
import subprocess
import tempfile
import unittest

SOURCE = os.environ.get("KILN_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
KILN = os.environ.get("KILN_BIN", os.path.join(SOURCE, "build", "bin", "kiln"))
ALGO = "logistic_regression"
EXIT_USAGE, EXIT_NOT_FOUND, EXIT_BAD_DATA, EXIT_LIMIT = 2, 3, 4, 7

# Flags the data readers' messages name -> the test methods that trigger the message and then
# run the suggested flag.
COVERED = {
    "--label": ["test_label"],
    "--weight": ["test_weight", "test_libsvm_refuses_csv_only_flags"],
    "--ignore": ["test_ignore", "test_libsvm_refuses_csv_only_flags"],
    "--categorical": ["test_categorical", "test_inferred_numeric_then_text"],
    "--na-values": ["test_na_values"],
    "--index-base": ["test_index_base_at_training", "test_index_base_at_predict"],
    "--format": ["test_format"],
    "--no-header": ["test_no_header"],
    "--max-line-bytes": ["test_max_line_bytes"],
}


def csv_text(header, rows):
    return "".join(",".join(map(str, r)) + "\n" for r in ([header] if header else []) + rows)


def numeric_rows(n, bad_value=None):
    """x (numeric), z (numeric), label (0/1); row n-1's x is `bad_value` if given."""
    rows = [[i % 7, (i * 3) % 11, i % 2] for i in range(n)]
    if bad_value is not None:
        rows[-1][0] = bad_value
    return rows


class ReadFlags(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_cli_read_flags_")
        cls.dir = cls.tmp.name
        cls.env = dict(os.environ, KILN_HOME=os.path.join(cls.dir, "home"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def kiln(self, *args):
        return subprocess.run([KILN, *args], capture_output=True, text=True, env=self.env,
                              timeout=300)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def fails(self, args, code, *needles):
        r = self.kiln(*args)
        self.assertEqual(r.returncode, code, f"kiln {' '.join(args)}\nstderr: {r.stderr}")
        for needle in needles:
            self.assertIn(needle, r.stderr)
        return r

    def succeeds(self, *args):
        r = self.kiln(*args)
        self.assertEqual(r.returncode, 0, f"kiln {' '.join(args)}\nstderr: {r.stderr}")
        return r

    def train(self, data, *extra):
        model = os.path.join(self.dir, "m.kiln")
        return ["train", "--algo", ALGO, "--data", data, "--output", model, *extra]

    # --- the guard ---------------------------------------------------------------------------

    def test_every_flag_the_readers_name_is_covered_and_exists(self):
        named = set()
        for path in glob.glob(os.path.join(SOURCE, "src", "data", "*.cc")):
            with open(path) as f:
                for line in f:
                    code = line.split("//")[0] if not line.lstrip().startswith("//") else ""
                    for literal in re.findall(r'"((?:[^"\\]|\\.)*)"', code):
                        named.update(re.findall(r"(?<![\w-])--[a-z][a-z-]*", literal))
        self.assertTrue(named, "found no flags in src/data/*.cc; has the layout changed?")
        self.assertEqual(sorted(named - set(COVERED)), [],
                         "flags named by the readers' messages without a test case here")
        helps = {c: self.succeeds(c, "--help").stdout for c in ("train", "predict", "evaluate")}
        for flag in named:
            self.assertIn(flag + " ", helps["train"], f"{flag} is not a train flag")
        for flag in ("--na-values", "--index-base", "--format", "--delimiter", "--no-header",
                     "--num-features", "--max-line-bytes"):
            for command, text in helps.items():
                self.assertIn(flag + " ", text, f"{flag} missing from kiln {command} --help")
        for name, methods in COVERED.items():
            for method in methods:
                self.assertTrue(hasattr(self, method), f"{name}: no test {method}")

    # --- one case per message ----------------------------------------------------------------

    def test_label(self):
        data = self.write("target.csv", csv_text(["x", "z", "target"], numeric_rows(20)))
        self.fails(self.train(data), EXIT_NOT_FOUND, "there is no label column 'label'",
                   "Use --label NAME", "x, z, target")
        self.succeeds(*self.train(data, "--label", "target"))

    def test_weight(self):
        rows = [r + [1 + r[0]] for r in numeric_rows(20)]
        data = self.write("weighted.csv", csv_text(["x", "z", "label", "w"], rows))
        self.fails(self.train(data, "--weight", "wt"), EXIT_NOT_FOUND,
                   "--weight names column 'wt', which is not in the file", "did you mean 'w'")
        self.succeeds(*self.train(data, "--weight", "w"))

    def test_ignore(self):
        rows = [[f"r{i}"] + r for i, r in enumerate(numeric_rows(20))]
        data = self.write("ids.csv", csv_text(["id", "x", "z", "label"], rows))
        self.fails(self.train(data, "--ignore", "idd"), EXIT_NOT_FOUND,
                   "--ignore names column 'idd'", "did you mean 'id'")
        self.succeeds(*self.train(data, "--ignore", "id"))

    def test_categorical(self):
        data = self.write("plain.csv", csv_text(["x", "z", "label"], numeric_rows(20)))
        self.fails(self.train(data, "--categorical", "zz"), EXIT_NOT_FOUND,
                   "--categorical names column 'zz'", "did you mean 'z'")
        r = self.succeeds(*self.train(data, "--categorical", "z"))
        self.assertIn("trained", r.stdout)

    def test_inferred_numeric_then_text(self):
        # Text after the rows used for type inference: the message offers --categorical.
        data = self.write("late_text.csv", csv_text(["x", "z", "label"],
                                                    numeric_rows(1200, bad_value="seven")))
        self.fails(self.train(data), EXIT_BAD_DATA, "line 1201", "'seven'",
                   "pass --categorical x", "--na-values")
        self.succeeds(*self.train(data, "--categorical", "x"))

    def test_na_values(self):
        # A missing-value marker after the inference rows: the message offers --na-values.
        data = self.write("late_na.csv", csv_text(["x", "z", "label"],
                                                  numeric_rows(1200, bad_value="-")))
        self.fails(self.train(data), EXIT_BAD_DATA, "line 1201", "add it to the NA values",
                   "(--na-values)")
        self.succeeds(*self.train(data, "--na-values", "-"))
        # The model remembers: predicting a file with '-' needs no flag.
        model = os.path.join(self.dir, "m.kiln")
        self.succeeds("predict", "--model", model, "--data", data, "--output",
                      os.path.join(self.dir, "p.csv"))

    def test_index_base_at_training(self):
        data = self.write("zero.libsvm", "1 0:1 3:2\n0 1:1 2:0.5\n1 0:2 2:1\n0 3:1\n")
        self.fails(self.train(data, "--index-base", "1"), EXIT_BAD_DATA,
                   "index 0 is below the index base 1", "pass --index-base 0")
        self.succeeds(*self.train(data, "--index-base", "0"))

    def test_index_base_at_predict(self):
        # Trained on 1-based data; a new file counting from 0 needs --index-base 0.
        train = self.write("one.libsvm", "1 1:1 3:2\n0 2:1 3:0.5\n1 1:2 2:1\n0 3:1\n")
        model = os.path.join(self.dir, "one.kiln")
        self.succeeds("train", "--algo", ALGO, "--data", train, "--output", model)
        new = self.write("new_zero.libsvm", "1 0:1 2:2\n0 1:1\n")
        args = ["predict", "--model", model, "--data", new]
        self.fails(args, EXIT_BAD_DATA, "pass --index-base 0")
        r = self.succeeds(*args, "--index-base", "0")
        self.assertEqual(len(r.stdout.splitlines()), 3)

    def test_format(self):
        data = self.write("table.dat", csv_text(["x", "z", "label"], numeric_rows(20)))
        self.fails(self.train(data), EXIT_USAGE, "cannot tell the format",
                   "pass --format csv, libsvm or jsonl")
        self.succeeds(*self.train(data, "--format", "csv"))

    def test_libsvm_refuses_csv_only_flags(self):
        data = self.write("plain.libsvm", "1 1:1\n0 2:1\n")
        for flag in ("--weight", "--ignore", "--categorical"):
            self.fails(self.train(data, flag, "x"), EXIT_USAGE,
                       "--weight, --ignore and --categorical apply to CSV and JSON Lines")

    # --- messages that imply a flag -----------------------------------------------------------

    def test_num_features(self):
        data = self.write("wide.libsvm", "1 1:1 9:2\n0 2:1\n")
        self.fails(self.train(data, "--num-features", "5"), EXIT_BAD_DATA,
                   "index 9 is beyond the declared 5 features")
        self.succeeds(*self.train(data, "--num-features", "20"))
        r = self.succeeds("inspect", os.path.join(self.dir, "m.kiln"))
        self.assertIn("20 features (sparse", r.stdout)

    def test_max_line_bytes(self):
        data = self.write("long.csv", csv_text(["x", "z", "label"], numeric_rows(20)))
        self.fails(self.train(data, "--max-line-bytes", "8"), EXIT_LIMIT,
                   "longer than the limit of 8 bytes", "(--max-line-bytes)")
        self.succeeds(*self.train(data, "--max-line-bytes", "1K"))
        wide = self.write("long.libsvm", "1 " + " ".join(f"{j}:1" for j in range(1, 40)) +
                          "\n0 1:2\n")
        self.fails(self.train(wide, "--max-line-bytes", "100"), EXIT_LIMIT, "(--max-line-bytes)")
        self.succeeds(*self.train(wide, "--max-line-bytes", "1K"))

    def test_delimiter(self):
        rows = [";".join(map(str, r)) for r in numeric_rows(20)]
        data = self.write("semi.csv", "x;z;label\n" + "\n".join(rows) + "\n")
        self.fails(self.train(data), EXIT_NOT_FOUND, "the columns are: x;z;label")
        self.succeeds(*self.train(data, "--delimiter", ";"))
        tabs = self.write("tabs.txt", "x\tz\tlabel\n" + "\n".join(
            "\t".join(map(str, r)) for r in numeric_rows(20)) + "\n")
        self.succeeds(*self.train(tabs, "--format", "csv", "--delimiter", "tab"))
        self.succeeds(*self.train(tabs, "--format", "tsv"))
        self.fails(self.train(tabs, "--format", "csv", "--delimiter", "ab"), EXIT_USAGE,
                   "--delimiter 'ab': expected one character")

    def test_no_header(self):
        data = self.write("headless.csv", csv_text(None, numeric_rows(20)))
        # The first row, read as a header, repeats a name: the message offers --no-header.
        self.fails(self.train(data), EXIT_BAD_DATA, "duplicate column name '0'",
                   "pass --no-header")
        self.fails(self.train(data, "--no-header"), EXIT_NOT_FOUND,
                   "there is no label column 'label'", "the columns are: c0, c1, c2",
                   "Use --label NAME")
        self.succeeds(*self.train(data, "--no-header", "--label", "c2"))
        # Without duplicates the header is taken for names, and the label is not found.
        distinct = self.write("headless2.csv", csv_text(None, numeric_rows(20)[2:]))
        self.fails(self.train(distinct), EXIT_NOT_FOUND, "the columns are: 2, 6, 0")

    # --- predict reads new files the way the training file was read ---------------------------

    def test_predict_reuses_the_training_read_options(self):
        rows = [[f"id{i}", "NA" if i % 5 == 0 else i % 7, (i * 3) % 11, "yes" if i % 2 else "no"]
                for i in range(40)]
        text = "".join(";".join(map(str, r)) + "\n" for r in rows)
        train = self.write("semi_train.txt", text)
        model = os.path.join(self.dir, "semi.kiln")
        self.succeeds("train", "--algo", ALGO, "--data", train, "--output", model, "--format",
                      "csv", "--delimiter", ";", "--no-header", "--na-values", "NA",
                      "--label", "c3", "--ignore", "c0")
        new = self.write("semi_new.txt", text)
        r = self.succeeds("predict", "--model", model, "--data", new)
        self.assertEqual(r.stdout.splitlines()[0], "prediction,p_no,p_yes")
        self.assertEqual(len(r.stdout.splitlines()), 41)
        self.assertNotIn("does not use", r.stderr)  # c0 was ignored at training
        r = self.succeeds("evaluate", "--model", model, "--data", new, "--json")
        self.assertIn('"accuracy"', r.stdout)
        # Flags override the record: this file is not headerless.
        self.fails(["predict", "--model", model, "--data", new, "--header"], EXIT_BAD_DATA,
                   "missing 2 feature columns")
        self.fails(["predict", "--model", model, "--data", new, "--header", "--no-header"],
                   EXIT_USAGE, "contradict")

    def test_predict_on_a_file_without_the_ignored_column(self):
        rows = [[f"id{i}", i % 7, (i * 3) % 11, i % 2] for i in range(40)]
        train = self.write("with_id.csv", csv_text(["id", "x", "z", "label"], rows))
        model = os.path.join(self.dir, "with_id.kiln")
        self.succeeds("train", "--algo", ALGO, "--data", train, "--output", model,
                      "--ignore", "id")
        for name, header, cut in (("has_id.csv", ["id", "x", "z"], 0),
                                  ("no_id.csv", ["x", "z"], 1)):
            new = self.write(name, csv_text(header, [r[cut:3] for r in rows]))
            r = self.succeeds("predict", "--model", model, "--data", new)
            self.assertEqual(len(r.stdout.splitlines()), 41)
            self.assertNotIn("does not use", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
