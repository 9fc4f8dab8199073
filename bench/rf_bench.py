#!/usr/bin/python3
"""Random forest benchmark: scikit-learn RandomForestClassifier(n_estimators=100, n_jobs=2) and
Kiln's random_forest on the same HIGGS-like dense data (bench/gen_dense), same hyperparameters
(100 trees, max_features sqrt, min_samples_leaf 1, unlimited depth, bootstrap), 2 threads.

Training time is measured inside each process around the fit only (scikit-learn reads a float32
.npy copy of the CSV; Kiln's time is what `kiln train` reports, which includes binning). Test
accuracy is computed on the test file. Prints medians of --repeat runs and the ratio Kiln /
scikit-learn. Run through bench/run_rf_bench.sh, or:

  /usr/bin/python3 bench/rf_bench.py --kiln build/bin/kiln --gen build/bin/gen_dense \
      --workdir /tmp/kiln-rf-bench --rows 200000 --test-rows 50000 --repeat 1
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gbdt_bench import timed  # noqa: E402

SKLEARN = r"""
import sys, time, numpy as np
from sklearn.ensemble import RandomForestClassifier
tr, te = np.load(sys.argv[1]), np.load(sys.argv[2])
t0 = time.perf_counter()
m = RandomForestClassifier(n_estimators=int(sys.argv[3]), max_features="sqrt",
                           min_samples_leaf=1, n_jobs=int(sys.argv[4]), random_state=0)
m.fit(tr[:, 1:], tr[:, 0])
t1 = time.perf_counter()
print("TRAIN_SECONDS", t1 - t0)
print("ACCURACY", float(np.mean(m.predict(te[:, 1:]) == te[:, 0])))
"""


def make_data(args):
    os.makedirs(args.workdir, exist_ok=True)
    stem = os.path.join(args.workdir, f"higgs_{args.rows}_{args.seed}")
    train, test = stem + ".train.csv", stem + ".test.csv"
    if not os.path.exists(test):
        subprocess.run([args.gen, "--rows", str(args.rows), "--test-rows", str(args.test_rows),
                        "--seed", str(args.seed), "--out", train, "--out-test", test], check=True)
    npys = []
    for path in (train, test):
        npy = path[:-4] + ".npy"
        if not os.path.exists(npy):
            np.save(npy, np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32))
        npys.append(npy)
    return train, test, npys[0], npys[1]


def sklearn(args, npy_train, npy_test):
    stdout, wall, rss = timed(["/usr/bin/python3", "-c", SKLEARN, npy_train, npy_test,
                               str(args.trees), str(args.threads)])
    seconds = float(re.search(r"TRAIN_SECONDS ([0-9.eE+-]+)", stdout).group(1))
    acc = float(re.search(r"ACCURACY ([0-9.eE+-]+)", stdout).group(1))
    return seconds, wall, rss, acc


def kiln(args, train, test):
    model = os.path.join(args.workdir, "kiln_rf.kiln")
    cmd = [args.kiln, "train", "--algo", "random_forest", "--data", train, "--label", "label",
           "--output", model, "--threads", str(args.threads), "--no-cache", "--no-track",
           "-p", f"num_trees={args.trees}", "-p", "task=classification"]
    _, wall, rss = timed(cmd)
    info = json.loads(subprocess.run([args.kiln, "inspect", model, "--json"], check=True,
                                     stdout=subprocess.PIPE, text=True).stdout)
    metrics = json.loads(subprocess.run(
        [args.kiln, "evaluate", "--model", model, "--data", test, "--label", "label", "--json",
         "--no-cache", "--no-track", "--threads", str(args.threads)],
        check=True, stdout=subprocess.PIPE, text=True).stdout)
    return info["training"]["seconds"], wall, rss, metrics["accuracy"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kiln", default="build/bin/kiln")
    ap.add_argument("--gen", default="build/bin/gen_dense")
    ap.add_argument("--workdir", default="/tmp/kiln-rf-bench")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--test-rows", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    train, test, npy_train, npy_test = make_data(args)
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    runs = {"sklearn": [], "kiln": []}
    for rep in range(args.repeat):
        for tool in runs:
            r = sklearn(args, npy_train, npy_test) if tool == "sklearn" else kiln(args, train, test)
            runs[tool].append(r)
            print(f"  run {rep + 1} {tool:8s} train {r[0]:7.2f} s  wall {r[1]:7.2f} s  "
                  f"peak RSS {r[2]:7.0f} MB  test accuracy {r[3]:.5f}", flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    med = {t: [statistics.median(x[i] for x in v) for i in range(4)] for t, v in runs.items()}
    print("\n| tool    | train s (median) | peak RSS MB | test accuracy |")
    print("|---------|------------------|-------------|---------------|")
    for t, m in med.items():
        print(f"| {t:7s} | {m[0]:16.2f} | {m[2]:11.0f} | {m[3]:13.5f} |")
    k, s = med["kiln"], med["sklearn"]
    print(f"\nKiln / scikit-learn: {k[0] / s[0]:.3f}x the train time, {k[2] / s[2]:.2f}x the peak "
          f"memory, accuracy {k[3] - s[3]:+.5f}")


if __name__ == "__main__":
    main()
