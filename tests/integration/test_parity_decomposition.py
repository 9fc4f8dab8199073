#!/usr/bin/python3
"""Parity of pca and tfidf with scikit-learn (Debian's python3-sklearn) on real data from Debian
packages (scripts/fetch_datasets.py).

  - pca: components equal PCA's up to sign (within 1e-6), explained variance ratios within 1e-6
    (relative), and `kiln transform` coordinates equal PCA.transform's up to the same signs
    (within 1e-4 relative to the coordinates' scale: Kiln writes float32), on wine, breast_cancer
    and digits.
  - tfidf: on the fine-food reviews (r-cran-modeldata), the TF-IDF matrix `kiln transform`
    writes for the test reviews equals TfidfVectorizer's within 1e-6 on the same tokenisation
    (Kiln's: ASCII lowercasing, runs of two or more word characters where every non-ASCII
    character counts as one), with n-grams, stop words, min_df/max_df and sublinear tf; and with
    scikit-learn's default token_pattern on reviews that are pure ASCII.

Runs the real `kiln` binary (KILN_BIN) on KILN_DATA_DIR/<name>/{train,test}.csv.
"""
import csv
import json
import os
import subprocess
import tempfile
import unittest

import numpy as np
from sklearn.decomposition import PCA
from sklearn.feature_extraction.text import TfidfVectorizer

KILN = os.environ.get("KILN_BIN", "build/bin/kiln")
DATA = os.environ.get("KILN_DATA_DIR", "data")
# The same tokens as Kiln's tokenizer (tokenizer.h).
KILN_TOKENS = r"(?:[A-Za-z0-9_]|[^\x00-\x7f]){2,}"
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def kiln(*args):
    proc = subprocess.run([KILN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"kiln {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


def load_table(name, part):
    with open(os.path.join(DATA, name, f"{part}.csv"), newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    li = header.index("label")
    X = np.array([[float(v) for j, v in enumerate(r) if j != li] for r in rows], dtype=np.float32)
    return X.astype(np.float64)


def read_libsvm(path, cols):
    labels, rows = [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            labels.append(parts[0])
            rows.append({int(k) - 1: float(v) for k, v in (p.split(":") for p in parts[1:])})
    m = np.zeros((len(rows), cols))
    for i, r in enumerate(rows):
        for j, v in r.items():
            m[i, j] = v
    return labels, m


class PcaParity(unittest.TestCase):
    def check(self, name, k, whiten=False):
        train, test = load_table(name, "train"), load_table(name, "test")
        ref = PCA(n_components=k, whiten=whiten, svd_solver="full").fit(train)
        with tempfile.TemporaryDirectory() as tmp:
            model = os.path.join(tmp, "pca.kiln")
            out = os.path.join(tmp, "out.csv")
            src = os.path.join(DATA, name)
            kiln("train", "--algo", "pca", "--data", f"{src}/train.csv", "--label", "label",
                 "-p", f"n_components={k}", "-p", f"whiten={str(whiten).lower()}", "-o", model,
                 "--no-track")
            described = json.loads(kiln("inspect", model, "--json"))["description"]
            kiln("transform", "--model", model, "--data", f"{src}/test.csv", "-o", out)
            with open(out, newline="") as f:
                rows = list(csv.reader(f))
        self.assertEqual(rows[0], [f"pc{c + 1}" for c in range(k)] + ["label"])
        coords = np.array([[float(v) for v in r[:k]] for r in rows[1:]])
        axes = np.array(described["axes"])
        self.assertEqual(axes.shape, ref.components_.shape)
        signs = np.sign(np.sum(axes * ref.components_, axis=1))
        np.testing.assert_allclose(axes * signs[:, None], ref.components_, atol=1e-6, rtol=0)
        np.testing.assert_allclose(described["explained_variance_ratio"],
                                   ref.explained_variance_ratio_, rtol=1e-6, atol=1e-12)
        expected = ref.transform(test) * signs[None, :]
        scale = np.abs(expected).max(axis=0)
        np.testing.assert_allclose(coords / scale, expected / scale, atol=1e-4, rtol=0)

    def test_wine(self):
        self.check("wine", 5)

    def test_breast_cancer_whitened(self):
        self.check("breast_cancer", 4, whiten=True)

    def test_digits(self):
        self.check("digits", 10)


def reviews(part, ascii_only=False):
    with open(os.path.join(DATA, "fine_foods", f"{part}.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    if ascii_only:
        rows = [r for r in rows if r["review"].isascii()]
    return rows


class TfidfParity(unittest.TestCase):
    def check(self, kiln_params, vectorizer, ascii_only=False):
        train, test = reviews("train", ascii_only), reviews("test", ascii_only)
        ref = vectorizer.fit([r["review"] for r in train])
        expected = ref.transform([r["review"] for r in test]).toarray()
        names = list(ref.get_feature_names_out())
        with tempfile.TemporaryDirectory() as tmp:
            files = {}
            for part, rows in (("train", train), ("test", test)):
                files[part] = os.path.join(tmp, f"{part}.csv")
                with open(files[part], "w", newline="") as f:
                    w = csv.writer(f)
                    w.writerow(["review", "score"])
                    w.writerows([r["review"], r["score"]] for r in rows)
            model = os.path.join(tmp, "tfidf.kiln")
            out = os.path.join(tmp, "test.libsvm")
            args = [a for p in kiln_params for a in ("-p", p)]
            kiln("train", "--algo", "tfidf", "--data", files["train"], "--label", "score", *args,
                 "-o", model, "--no-track")
            described = json.loads(kiln("inspect", model, "--json"))["description"]
            kiln("transform", "--model", model, "--data", files["test"], "-o", out)
            labels, got = read_libsvm(out, len(names))
        self.assertEqual(described["vocabulary_size"], len(names))
        self.assertEqual([t["term"] for t in described["first_terms"]], names[:50])
        self.assertEqual(labels, ["0" if r["score"] == "great" else "1" for r in test])
        self.assertEqual(got.shape, expected.shape)
        np.testing.assert_allclose(got, expected, atol=1e-6, rtol=0)

    def test_defaults_same_tokens(self):
        self.check([], TfidfVectorizer(token_pattern=KILN_TOKENS, lowercase=False,
                                       preprocessor=lambda s: s.translate(ASCII_LOWER)))

    def test_bigrams_stop_words_df_sublinear(self):
        stop = ["the", "and", "a", "to", "of", "it", "is", "this", "i"]
        self.check(["ngram_max=2", "stop_words=" + ",".join(stop), "min_df=3", "max_df=0.5",
                    "sublinear_tf=true"],
                   TfidfVectorizer(token_pattern=KILN_TOKENS, lowercase=False,
                                   preprocessor=lambda s: s.translate(ASCII_LOWER),
                                   ngram_range=(1, 2), stop_words=stop, min_df=3, max_df=0.5,
                                   sublinear_tf=True))

    def test_sklearn_default_tokens_on_ascii_reviews(self):
        self.check(["min_df=2", "smooth_idf=false", "norm=l1"],
                   TfidfVectorizer(min_df=2, smooth_idf=False, norm="l1"), ascii_only=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
