#!/usr/bin/python3
"""Factorization machine benchmark: Kiln's fm against Kiln's logistic_regression (the CTR
baseline) on the same CTR-like sparse data from bench/gen_ctr. Debian packages no FM library
(libfm, libffm, fastFM and xLearn are not in Debian 12), so logistic regression is the peer.

For each model and repetition: read + train as one timed command under /usr/bin/time (wall
seconds, peak RSS), then test AUC from `kiln evaluate`. Prints medians and ratios fm / lr.

  /usr/bin/python3 bench/fm_bench.py --kiln build/bin/kiln --gen build/bin/gen_ctr \
      --workdir /tmp/kiln-bench --rows 1000000 --test-rows 200000 --repeat 3 \
      --models "lr=;fm=;fm_2ep=-p epochs=2"
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from linear_bench import timed  # noqa: E402


def run(binary, algo, extra, train, test, work):
    model = os.path.join(work, f"{algo}.kiln")
    cmd = [binary, "train", "--algo", algo, "--data", train, "--format", "libsvm", "--output",
           model, "--no-cache", "--no-track", "-q"] + extra
    wall, rss = timed(cmd)
    proc = subprocess.run([binary, "evaluate", "--model", model, "--data", test, "--format",
                           "libsvm", "--json", "--no-cache", "--no-track"], check=True,
                          stdout=subprocess.PIPE)
    return wall, rss, json.loads(proc.stdout)["auc"]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--gen", required=True, help="bench/gen_ctr binary")
    ap.add_argument("--workdir", default="/tmp/kiln-bench")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--test-rows", type=int, default=200_000)
    ap.add_argument("--features", type=int, default=1 << 20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gen-args", default="", help="extra gen_ctr flags")
    ap.add_argument("--models", default="lr=;fm=",
                    help="NAME=EXTRA kiln train flags, ';'-separated; lr* names train "
                         "logistic_regression, the others fm")
    args = ap.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    tag = f"ctr_{args.rows}_{args.seed}" + ("_" + "_".join(args.gen_args.split()).replace("-", "")
                                            if args.gen_args else "")
    train = os.path.join(args.workdir, f"{tag}.train.libsvm")
    test = os.path.join(args.workdir, f"{tag}.test.libsvm")
    if not (os.path.exists(train) and os.path.exists(test)):
        subprocess.run([args.gen, "--rows", str(args.rows), "--test-rows", str(args.test_rows),
                        "--features", str(args.features), "--seed", str(args.seed),
                        "--out-train", train, "--out-test", test] + args.gen_args.split(),
                       check=True)
    print(f"data: {train} ({os.path.getsize(train) / 1e6:.0f} MB, {args.rows} rows), test "
          f"{args.test_rows} rows; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    results = {}
    for spec in args.models.split(";"):
        name, _, extra = spec.partition("=")
        algo = "logistic_regression" if name.startswith("lr") else "fm"
        runs = [run(args.kiln, algo, extra.split(), train, test, args.workdir)
                for _ in range(args.repeat)]
        wall = statistics.median(r[0] for r in runs)
        rss = statistics.median(r[1] for r in runs)
        auc = statistics.median(r[2] for r in runs)
        results[name] = (wall, rss, auc)
        print(f"{name:10s} ({algo} {extra or 'defaults'}) wall {wall:7.2f} s (runs "
              f"{', '.join(f'{r[0]:.2f}' for r in runs)})  peak RSS {rss:6.0f} MB  test AUC "
              f"{auc:.4f}", flush=True)
    base = next((n for n in results if n.startswith("lr")), None)
    if base:
        b = results[base]
        for name, (wall, rss, auc) in results.items():
            if name != base:
                print(f"{name}/{base}: time {wall / b[0]:.2f}x  memory {rss / b[1]:.2f}x  "
                      f"AUC {auc - b[2]:+.4f}")
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
