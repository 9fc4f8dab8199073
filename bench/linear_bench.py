#!/usr/bin/python3
"""Linear-model benchmark: LIBLINEAR, scikit-learn and Kiln on the same CTR-like sparse data.

For each tool and repetition it runs read + train as one timed command under /usr/bin/time
(wall seconds, peak RSS), then scores the held-out rows and reports test AUC. Prints medians
and the ratios Kiln/peer. Run through bench/run_linear_bench.sh, or:

  /usr/bin/python3 bench/linear_bench.py --kiln build/bin/kiln --gen build/bin/gen_ctr \
      --workdir /tmp/kiln-bench --rows 1000000 --test-rows 200000 --repeat 3
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.metrics import roc_auc_score

SKLEARN_TRAIN = r"""
import sys, pickle
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import SGDClassifier
X, y = load_svmlight_file(sys.argv[1], n_features=int(sys.argv[3]))
clf = SGDClassifier(loss="log_loss", max_iter=5, tol=None, random_state=0)
clf.fit(X, y)
with open(sys.argv[2], "wb") as f:
    pickle.dump(clf, f)
"""

SKLEARN_SCORE = r"""
import sys, pickle
import numpy as np
from sklearn.datasets import load_svmlight_file
with open(sys.argv[2], "rb") as f:
    clf = pickle.load(f)
X, y = load_svmlight_file(sys.argv[1], n_features=int(sys.argv[4]))
np.savetxt(sys.argv[3], np.column_stack([y, clf.decision_function(X)]), fmt="%.9g")
"""


def timed(cmd, env=None):
    """Runs cmd under /usr/bin/time; returns (wall seconds, peak RSS MB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        full = ["/usr/bin/time", "-f", "%e %M", "-o", t.name] + cmd
        proc = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        if proc.returncode != 0:
            sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.decode()[-2000:]}")
        wall, rss_kb = t.read().split()[-2:]
    return float(wall), int(rss_kb) / 1024.0


def liblinear(train, test, work, features):
    model = os.path.join(work, "liblinear.model")
    wall, rss = timed(["liblinear-train", "-s", "0", "-q", train, model])
    out = os.path.join(work, "liblinear.pred")
    subprocess.run(["liblinear-predict", "-b", "1", "-q", test, model, out], check=True,
                   stdout=subprocess.DEVNULL)
    with open(out) as f:
        header = f.readline().split()[1:]
        probs = np.loadtxt(f)
    pos = header.index("1")
    y = labels_of(test)
    return wall, rss, roc_auc_score(y, probs[:, 1 + pos])


def sklearn_sgd(train, test, work, features):
    model = os.path.join(work, "sgd.pkl")
    wall, rss = timed(["/usr/bin/python3", "-c", SKLEARN_TRAIN, train, model, str(features)])
    out = os.path.join(work, "sgd.scores")
    subprocess.run(["/usr/bin/python3", "-c", SKLEARN_SCORE, test, model, out, str(features)],
                   check=True)
    scores = np.loadtxt(out)
    return wall, rss, roc_auc_score(scores[:, 0], scores[:, 1])


def kiln(binary, extra):
    def run(train, test, work, features):
        model = os.path.join(work, "kiln.model")
        cmd = [binary, "train", "--algo", "logistic_regression", "--data", train, "--format",
               "libsvm", "--output", model, "--no-cache", "-q"] + extra
        wall, rss = timed(cmd)
        proc = subprocess.run([binary, "evaluate", "--model", model, "--data", test, "--format",
                               "libsvm", "--json", "--no-cache"], check=True,
                              stdout=subprocess.PIPE)
        return wall, rss, json.loads(proc.stdout)["auc"]
    return run


_labels = {}


def labels_of(path):
    if path not in _labels:
        with open(path) as f:
            _labels[path] = np.array([float(line.split(None, 1)[0]) for line in f])
    return _labels[path]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--gen", required=True, help="bench/gen_ctr binary")
    ap.add_argument("--workdir", default="/tmp/kiln-bench")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--test-rows", type=int, default=200_000)
    ap.add_argument("--features", type=int, default=1 << 20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tools", default="liblinear,sklearn,kiln")
    ap.add_argument("--kiln-args", default="", help="extra kiln train flags, e.g. '-p epochs=2'")
    args = ap.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    train = os.path.join(args.workdir, f"ctr_{args.rows}_{args.seed}.train.libsvm")
    test = os.path.join(args.workdir, f"ctr_{args.rows}_{args.seed}.test.libsvm")
    if not (os.path.exists(train) and os.path.exists(test)):
        subprocess.run([args.gen, "--rows", str(args.rows), "--test-rows", str(args.test_rows),
                        "--features", str(args.features), "--seed", str(args.seed),
                        "--out-train", train, "--out-test", test], check=True)
    size_mb = os.path.getsize(train) / 1e6
    print(f"data: {train} ({size_mb:.0f} MB, {args.rows} rows), test {args.test_rows} rows; "
          f"{os.cpu_count()} cores; repeat {args.repeat}")

    tools = {"liblinear": liblinear, "sklearn": sklearn_sgd,
             "kiln": kiln(args.kiln, args.kiln_args.split())}
    results = {}
    for name in args.tools.split(","):
        runs = [tools[name](train, test, args.workdir, args.features) for _ in range(args.repeat)]
        wall = statistics.median(r[0] for r in runs)
        rss = statistics.median(r[1] for r in runs)
        auc = statistics.median(r[2] for r in runs)
        results[name] = (wall, rss, auc)
        print(f"{name:10s} wall {wall:7.2f} s (runs {', '.join(f'{r[0]:.2f}' for r in runs)})  "
              f"peak RSS {rss:7.0f} MB  test AUC {auc:.4f}", flush=True)
    if "kiln" in results:
        k = results["kiln"]
        for name, (wall, rss, auc) in results.items():
            if name == "kiln":
                continue
            print(f"kiln/{name}: time {k[0] / wall:.3f}x  memory {k[1] / rss:.2f}x  "
                  f"AUC {k[2] - auc:+.4f}")


if __name__ == "__main__":
    main()
