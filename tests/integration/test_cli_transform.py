#!/usr/bin/python3
"""kiln transform and the transform algorithms (pca, tfidf) on bad input: every mistake a user can
make gets a clear error (exit code, a message naming what was expected and found), never a crash
or a silently wrong file. Also: a tfidf -> logistic_regression chain learns from the output.

Runs the real `kiln` binary (KILN_BIN) on KILN_DATA_DIR/<name>/{train,test}.csv.
"""
import os
import subprocess
import tempfile
import unittest

KILN = os.environ.get("KILN_BIN", "build/bin/kiln")
DATA = os.environ.get("KILN_DATA_DIR", "data")


def run(*args):
    return subprocess.run([KILN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class TransformCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        cls.pca = os.path.join(cls.dir, "pca.kiln")
        cls.tfidf = os.path.join(cls.dir, "tfidf.kiln")
        cls.lr = os.path.join(cls.dir, "lr.kiln")
        for args in (
            ["--algo", "pca", "--data", f"{DATA}/wine/train.csv", "-p", "n_components=2", "-o",
             cls.pca],
            ["--algo", "tfidf", "--data", f"{DATA}/fine_foods/train.csv", "--label", "score",
             "-p", "stop_words=english", "-o", cls.tfidf],
            ["--algo", "logistic_regression", "--data", f"{DATA}/wine/train.csv", "-o", cls.lr],
        ):
            p = run("train", *args, "--no-track")
            assert p.returncode == 0, p.stderr

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def fails(self, args, *needles, code=None):
        p = run(*args)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertLess(p.returncode, 100, p.stderr)  # an error exit, not a signal
        if code is not None:
            self.assertEqual(p.returncode, code, p.stderr)
        for n in needles:
            self.assertIn(n, p.stderr)
        return p

    def test_tfidf_output_trains_a_classifier(self):
        train, test = self.path("train.libsvm"), self.path("test.libsvm")
        for src, dst in (("train", train), ("test", test)):
            p = run("transform", "--model", self.tfidf, "--data", f"{DATA}/fine_foods/{src}.csv",
                    "-o", dst)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("0 = great, 1 = other", p.stdout)
        p = run("train", "--algo", "logistic_regression", "--data", train, "--valid", test,
                "-o", self.path("reviews.kiln"), "--no-track")
        self.assertEqual(p.returncode, 0, p.stderr)
        auc = float(next(l.split()[1] for l in p.stdout.splitlines() if l.strip().startswith("auc")))
        self.assertGreater(auc, 0.8)

    def test_train_transform_output_equals_kiln_transform(self):
        # tfidf makes the rows in its fitting pass; pca through the model's Transform. Either
        # way the file is byte for byte what kiln transform writes from the saved model.
        cases = (
            ("tfidf", f"{DATA}/fine_foods/train.csv", ["--label", "score", "-p", "ngram_max=2",
                                                       "-p", "min_df=2"], "ft.libsvm"),
            ("pca", f"{DATA}/wine/train.csv", ["-p", "n_components=3"], "ft.csv"),
        )
        for algo, data, extra, name in cases:
            with self.subTest(algo=algo):
                model, out, ref = self.path(f"{algo}_ft.kiln"), self.path(name), self.path("ref_" + name)
                p = run("train", "--algo", algo, "--data", data, *extra, "-o", model,
                        "--transform-output", out, "--no-track", "--threads", "2")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn(f"written to {out}", p.stdout)
                p = run("transform", "--model", model, "--data", data, "-o", ref, "--threads", "3")
                self.assertEqual(p.returncode, 0, p.stderr)
                with open(out, "rb") as a, open(ref, "rb") as b:
                    self.assertEqual(a.read(), b.read())

    def test_train_transform_output_mistakes(self):
        out = self.path("rows.libsvm")
        self.fails(["train", "--algo", "logistic_regression", "--data", f"{DATA}/wine/train.csv",
                    "-o", self.path("m.kiln"), "--transform-output", out, "--no-track"],
                   "not a transform algorithm", "pca and tfidf")
        self.fails(["train", "--algo", "pca", "--data", f"{DATA}/wine/train.csv", "-o",
                    self.path("m.kiln"), "--transform-format", "csv", "--no-track"],
                   "--transform-format csv needs --transform-output")
        self.fails(["train", "--algo", "pca", "--data", f"{DATA}/wine/train.csv", "-o",
                    self.path("m.kiln"), "--transform-output", self.path("m.kiln"), "--no-track"],
                   "is the model file")
        self.fails(["train", "--algo", "pca", "--data", f"{DATA}/wine/train.csv", "-o",
                    self.path("m.kiln"), "--transform-output", f"{DATA}/wine/train.csv",
                    "--no-track"], "also an input")
        self.fails(["train", "--algo", "tfidf", "--data", f"{DATA}/fine_foods/train.csv",
                    "--label", "score", "-o", self.path("t.kiln"), "--transform-output",
                    self.path("t.csv"), "--transform-format", "csv", "--no-track"],
                   "--transform-format csv", "sparse")
        self.assertFalse(os.path.exists(self.path("t.csv")))
        self.assertFalse(os.path.exists(self.path("t.kiln")))  # nothing written

    def test_not_a_transform_model(self):
        self.fails(["transform", "--model", self.lr, "--data", f"{DATA}/wine/test.csv", "-o",
                    self.path("x.csv")], "not a transform", "kiln predict")

    def test_predict_and_evaluate_refuse_transform_models(self):
        for cmd in ("predict", "evaluate"):
            self.fails([cmd, "--model", self.pca, "--data", f"{DATA}/wine/test.csv"],
                       "transform model", "kiln transform")

    def test_sparse_output_as_csv(self):
        self.fails(["transform", "--model", self.tfidf, "--data", f"{DATA}/fine_foods/test.csv",
                    "-o", self.path("x.csv"), "--output-format", "csv"], "sparse", "libsvm")

    def test_missing_input_column(self):
        data = self.write("other.csv", "text,score\nhello there,great\n")
        self.fails(["transform", "--model", self.tfidf, "--data", data, "-o", self.path("o.svm")],
                   "review")

    def test_tfidf_without_text(self):
        data = self.write("numbers.csv", "a,b,label\n1,2,0\n3,4,1\n")
        self.fails(["train", "--algo", "tfidf", "--data", data, "--label", "label", "-o",
                    self.path("t.kiln"), "--no-track"], "no text column", "-p column=NAME")
        self.fails(["train", "--algo", "tfidf", "--data", data, "-p", "column=a", "-o",
                    self.path("t.kiln"), "--no-track"], "column 'a' holds numbers")

    def test_tfidf_only_stop_words(self):
        data = self.write("stop.csv", "text\nthe and of\nto a it\n")
        self.fails(["train", "--algo", "tfidf", "--data", data, "-p", "stop_words=english",
                    "-o", self.path("t.kiln"), "--no-track"], "empty vocabulary", "stop words")

    def test_tfidf_df_bounds(self):
        self.fails(["train", "--algo", "tfidf", "--data", f"{DATA}/fine_foods/train.csv",
                    "--label", "score", "-p", "min_df=100", "-p", "max_df=10", "-o",
                    self.path("t.kiln"), "--no-track"], "max_df", "min_df")
        self.fails(["train", "--algo", "tfidf", "--data", f"{DATA}/fine_foods/train.csv",
                    "--label", "score", "-p", "min_df=3999", "-o", self.path("t.kiln"),
                    "--no-track"], "no terms remain")

    def test_tfidf_bad_ngram_range_and_stop_file(self):
        self.fails(["train", "--algo", "tfidf", "--data", f"{DATA}/fine_foods/train.csv",
                    "--label", "score", "-p", "ngram_min=3", "-p", "ngram_max=2", "-o",
                    self.path("t.kiln"), "--no-track"], "ngram_max = 2", "ngram_min = 3")
        self.fails(["train", "--algo", "tfidf", "--data", f"{DATA}/fine_foods/train.csv",
                    "--label", "score", "-p", "stop_words_file=/no/such/file", "-o",
                    self.path("t.kiln"), "--no-track"], "stop_words_file", "/no/such/file")

    def test_pca_bad_components_and_sparse(self):
        self.fails(["train", "--algo", "pca", "--data", f"{DATA}/wine/train.csv", "-p",
                    "n_components=50", "-o", self.path("p.kiln"), "--no-track"],
                   "n_components = 50", "min(rows, features)")
        data = self.write("one.csv", "a,b\n1,2\n")
        self.fails(["train", "--algo", "pca", "--data", data, "-o", self.path("p.kiln"),
                    "--no-track"], "at least 2 rows")
        svm = self.write("s.libsvm", "1 1:0.5 3:1\n0 2:1\n")
        self.fails(["train", "--algo", "pca", "--data", svm, "-o", self.path("p.kiln"),
                    "--no-track"], "dense data")
        const = self.write("const.csv", "a,b\n1,2\n1,2\n1,2\n")
        self.fails(["train", "--algo", "pca", "--data", const, "-o", self.path("p.kiln"),
                    "--no-track"], "constant")


if __name__ == "__main__":
    unittest.main(verbosity=2)
