#!/usr/bin/python3
"""GBDT benchmark: XGBoost (hist), scikit-learn HistGradientBoostingClassifier and Kiln's gbdt
on the same HIGGS-like dense data (bench/gen_dense), same hyperparameters, 2 threads.

Every tool runs in its own process under /usr/bin/time (peak RSS). Training time is measured
inside the process around the fit only (XGBoost: DMatrix construction + train; scikit-learn:
fit; Kiln: what `kiln train` reports, which includes binning), so CSV parsing is not counted
for anyone: the peers read a float32 .npy copy of the CSV made once, Kiln its own CSV reader.
Test AUC is computed from each tool's predicted probabilities on the test file. Prints medians
of --repeat runs and the ratios Kiln / peer. Run through bench/run_gbdt_bench.sh, or:

  /usr/bin/python3 bench/gbdt_bench.py --kiln build/bin/kiln --gen build/bin/gen_dense \
      --workdir /tmp/kiln-gbdt-bench --rows 1000000 --test-rows 200000 --repeat 3
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.metrics import roc_auc_score

# Shared by the peer scripts: argv = train.npy test.npy trees depth lr bins threads out.
XGB = r"""
import sys, time, numpy as np, xgboost as xgb
tr, te = np.load(sys.argv[1]), np.load(sys.argv[2])
trees, depth, lr, bins, threads = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
t0 = time.perf_counter()
d = xgb.DMatrix(tr[:, 1:], label=tr[:, 0], nthread=threads)
b = xgb.train({"tree_method": "hist", "objective": "binary:logistic", "max_depth": depth,
               "eta": lr, "max_bin": bins, "nthread": threads, "lambda": 1.0,
               "min_child_weight": 1.0}, d, num_boost_round=trees)
t1 = time.perf_counter()
p = b.predict(xgb.DMatrix(te[:, 1:], nthread=threads))
np.save(sys.argv[8], p)
print("TRAIN_SECONDS", t1 - t0)
"""

SKLEARN = r"""
import os, sys, time, numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
tr, te = np.load(sys.argv[1]), np.load(sys.argv[2])
trees, depth, lr, bins = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
t0 = time.perf_counter()
m = HistGradientBoostingClassifier(max_iter=trees, max_depth=depth, max_leaf_nodes=None,
                                   learning_rate=lr, max_bins=bins, l2_regularization=1.0,
                                   early_stopping=False, random_state=0)
m.fit(tr[:, 1:], tr[:, 0])
t1 = time.perf_counter()
np.save(sys.argv[8], m.predict_proba(te[:, 1:])[:, 1])
print("TRAIN_SECONDS", t1 - t0)
"""


def timed(cmd, env=None):
    """Runs cmd under /usr/bin/time; returns (stdout, wall seconds, peak RSS MB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        full = ["/usr/bin/time", "-f", "%e %M", "-o", t.name] + cmd
        proc = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                              text=True)
        if proc.returncode != 0:
            sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
        wall, rss_kb = t.read().split()[-2:]
    return proc.stdout, float(wall), int(rss_kb) / 1024.0


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
            m = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
            np.save(npy, m)
        npys.append(npy)
    return train, test, npys[0], npys[1]


def peer(script, args, npy_train, npy_test, env_threads):
    out = os.path.join(args.workdir, "peer_pred.npy")
    env = dict(os.environ, OMP_NUM_THREADS=str(env_threads))
    stdout, wall, rss = timed(["/usr/bin/python3", "-c", script, npy_train, npy_test,
                               str(args.trees), str(args.depth), str(args.lr), str(args.bins),
                               str(args.threads), out], env=env)
    seconds = float(re.search(r"TRAIN_SECONDS ([0-9.eE+-]+)", stdout).group(1))
    y = np.load(npy_test, mmap_mode="r")[:, 0]
    return seconds, wall, rss, roc_auc_score(y, np.load(out))


def kiln(args, train, test):
    model = os.path.join(args.workdir, "kiln_gbdt.kiln")
    cmd = [args.kiln, "train", "--algo", "gbdt", "--data", train, "--label", "label",
           "--output", model, "--threads", str(args.threads), "--no-cache", "--no-track",
           "-p", f"num_trees={args.trees}", "-p", f"max_depth={args.depth}",
           "-p", f"learning_rate={args.lr}", "-p", f"max_bins={args.bins}"]
    _, wall, rss = timed(cmd)
    info = json.loads(subprocess.run([args.kiln, "inspect", model, "--json"], check=True,
                                     stdout=subprocess.PIPE, text=True).stdout)
    seconds = info["training"]["seconds"]
    metrics = json.loads(subprocess.run(
        [args.kiln, "evaluate", "--model", model, "--data", test, "--label", "label", "--json",
         "--no-cache", "--no-track", "--threads", str(args.threads)],
        check=True, stdout=subprocess.PIPE, text=True).stdout)
    return seconds, wall, rss, metrics["auc"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kiln", default="build/bin/kiln")
    ap.add_argument("--gen", default="build/bin/gen_dense")
    ap.add_argument("--workdir", default="/tmp/kiln-gbdt-bench")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--test-rows", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--depth", type=int, default=6)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--bins", type=int, default=255)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tools", default="xgboost,sklearn,kiln")
    args = ap.parse_args()

    train, test, npy_train, npy_test = make_data(args)
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    tools = args.tools.split(",")
    runs = {t: [] for t in tools}
    for rep in range(args.repeat):
        for tool in tools:
            if tool == "xgboost":
                r = peer(XGB, args, npy_train, npy_test, args.threads)
            elif tool == "sklearn":
                r = peer(SKLEARN, args, npy_train, npy_test, args.threads)
            else:
                r = kiln(args, train, test)
            runs[tool].append(r)
            print(f"  run {rep + 1} {tool:8s} train {r[0]:7.2f} s  wall {r[1]:7.2f} s  "
                  f"peak RSS {r[2]:7.0f} MB  test AUC {r[3]:.5f}", flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    med = {}
    print(f"\n| tool    | train s (median) | runs (train s)           | peak RSS MB | test AUC |")
    print(f"|---------|------------------|--------------------------|-------------|----------|")
    for tool in tools:
        rs = runs[tool]
        med[tool] = (statistics.median(r[0] for r in rs), statistics.median(r[2] for r in rs),
                     statistics.median(r[3] for r in rs))
        times = " ".join(f"{r[0]:.2f}" for r in rs)
        print(f"| {tool:7s} | {med[tool][0]:16.2f} | {times:24s} | {med[tool][1]:11.0f} | "
              f"{med[tool][2]:.5f}  |")
    if "kiln" in med:
        k = med["kiln"]
        for peer_name in ("xgboost", "sklearn"):
            if peer_name in med:
                p = med[peer_name]
                print(f"Kiln / {peer_name}: {k[0] / p[0]:.3f}x the train time, "
                      f"{k[1] / p[1]:.2f}x the peak memory, AUC {k[2] - p[2]:+.5f}")


if __name__ == "__main__":
    main()
