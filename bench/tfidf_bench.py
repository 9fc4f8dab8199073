#!/usr/bin/python3
"""TF-IDF benchmark: scikit-learn's TfidfVectorizer and Kiln's tfidf on the same corpus of
seeded synthetic reviews (Zipf-distributed words, 20-300 words per document), same settings
(lowercase, unigrams, l2 norm, smoothed idf), throughput in MB of text per second.

Both from the same CSV file (review,label): scikit-learn reads it with Python's csv module, then
runs fit (timed alone) and fit_transform (timed alone; each with the read time added); Kiln runs `kiln train --algo tfidf` (read + fit) then
`kiln transform` (the text mapped from the dataset cache train wrote + transform + write the
LibSVM output, which scikit-learn is not asked to do), and `kiln train --transform-output`
(read + fit + the training rows' TF-IDF made in the fitting pass + write the LibSVM output), the
counterpart of fit_transform. Prints medians of --repeat runs and the ratio Kiln / scikit-learn
throughput.

  /usr/bin/python3 bench/tfidf_bench.py --kiln build/bin/kiln --workdir /tmp/kiln-tfidf-bench \
      --megabytes 100 --repeat 3
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
import time

import numpy as np

PEER = r"""
import csv, sys, time
from sklearn.feature_extraction.text import TfidfVectorizer
csv.field_size_limit(1 << 30)
t = time.perf_counter()
with open(sys.argv[1], newline="") as f:
    r = csv.reader(f)
    next(r)
    docs = [row[0] for row in r]
read = time.perf_counter() - t
t = time.perf_counter()
TfidfVectorizer().fit(docs)
fit = time.perf_counter() - t
t = time.perf_counter()
X = TfidfVectorizer().fit_transform(docs)
print(read + fit, read + time.perf_counter() - t, X.shape[1], X.nnz)
"""


def make_corpus(path, megabytes, seed=7):
    rng = np.random.RandomState(seed)
    vocab_size = 200000
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.randint(2, 12, size=vocab_size)
    words = ["".join(rng.choice(letters, size=n)) for n in lengths]
    words[:8] = ["The", "and", "was", "great", "taste", "Good", "not", "buy"]
    p = 1.0 / np.arange(1, vocab_size + 1) ** 1.07
    p /= p.sum()
    target = megabytes << 20
    written = 0
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["review", "label"])
        while written < target:
            n_docs = 2000
            lens = rng.randint(20, 300, size=n_docs)
            ids = rng.choice(vocab_size, size=int(lens.sum()), p=p)
            start = 0
            for i in range(n_docs):
                doc = " ".join(words[j] for j in ids[start:start + lens[i]])
                start += lens[i]
                if i % 7 == 0:
                    doc += ". Really, it's 100% worth it!"
                w.writerow([doc, int(rng.uniform() < 0.5)])
                written += len(doc) + 3
    return os.path.getsize(path)


def timed(cmd):
    t = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return elapsed, proc.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kiln", default="build/bin/kiln")
    ap.add_argument("--workdir", default="/tmp/kiln-tfidf-bench")
    ap.add_argument("--megabytes", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    corpus = os.path.join(a.workdir, f"reviews_{a.megabytes}mb.csv")
    if not os.path.exists(corpus):
        print(f"generating {a.megabytes} MB of text in {corpus} ...", flush=True)
        make_corpus(corpus, a.megabytes)
    size_mb = os.path.getsize(corpus) / (1 << 20)
    env_home = os.path.join(a.workdir, "home")
    os.environ["KILN_HOME"] = env_home
    model = os.path.join(a.workdir, "tfidf.kiln")
    out = os.path.join(a.workdir, "out.libsvm")
    ft_out = os.path.join(a.workdir, "out_fit_transform.libsvm")
    peer, peer_fit, kiln_fit, kiln_all, kiln_ft = [], [], [], [], []
    for r in range(a.repeat):
        t, line = timed(["/usr/bin/python3", "-c", PEER, corpus])
        peer_fit_s, peer_all_s, peer_vocab, peer_nnz = line.split()
        peer_fit.append(float(peer_fit_s))
        peer.append(float(peer_all_s))
        # Kiln's own flow: train writes the dataset cache, transform maps it instead of parsing.
        common = ["--threads", str(a.threads)]
        t_fit, _ = timed([a.kiln, "train", "--algo", "tfidf", "--data", corpus, "--label", "label",
                          "-o", model, "--no-track", *common])
        t_tr, stdout = timed([a.kiln, "transform", "--model", model, "--data", corpus, "-o", out,
                              *common])
        t_ft, _ = timed([a.kiln, "train", "--algo", "tfidf", "--data", corpus, "--label", "label",
                         "-o", model, "--no-track", "--transform-output", ft_out, *common])
        kiln_fit.append(t_fit)
        kiln_all.append(t_fit + t_tr)
        kiln_ft.append(t_ft)
        print(f"run {r + 1}: scikit-learn fit {peer_fit[-1]:.2f}s, fit_transform {peer[-1]:.2f}s "
              f"(vocabulary {peer_vocab}, nnz {peer_nnz}); kiln train {t_fit:.2f}s + transform "
              f"{t_tr:.2f}s; train --transform-output {t_ft:.2f}s", flush=True)
    p, f, k = statistics.median(peer), statistics.median(kiln_fit), statistics.median(kiln_all)
    pf = statistics.median(peer_fit)
    ft = statistics.median(kiln_ft)
    print(f"corpus {size_mb:.1f} MB, {a.threads} threads, medians of {a.repeat}:")
    print(f"  scikit-learn TfidfVectorizer read+fit            {pf:7.2f}s  {size_mb / pf:7.1f} MB/s")
    print(f"  scikit-learn TfidfVectorizer read+fit_transform  {p:7.2f}s  {size_mb / p:7.1f} MB/s")
    print(f"  kiln train (read+fit)                           {f:7.2f}s  {size_mb / f:7.1f} MB/s")
    print(f"  kiln train + transform (incl. LibSVM output)    {k:7.2f}s  {size_mb / k:7.1f} MB/s")
    print(f"  kiln train --transform-output (fit_transform)   {ft:7.2f}s  {size_mb / ft:7.1f} MB/s")
    print(f"  throughput ratio kiln / scikit-learn: {pf / f:.2f}x read+fit, {p / k:.2f}x train then "
          f"transform, {p / ft:.2f}x fit_transform (kiln also writing its output)")


if __name__ == "__main__":
    main()
