#!/usr/bin/python3
"""k-means benchmark: Kiln against scikit-learn's KMeans on the same data and initial centres.

Data: --rows x --dims float32 points around --k Gaussian centres (seeded numpy; blobs overlap
enough that assignments keep changing, so every run makes all --iters Lloyd iterations). The
initial centres are k rows drawn by numpy (both tools start from them; seeding is not timed).

Per repetition (alternating the tools): scikit-learn KMeans(init=centres, n_init=1,
algorithm="lloyd", max_iter=--iters, tol=0) with OMP_NUM_THREADS=--threads, timing fit() alone
in its process; Kiln `kiln train --algo kmeans -p init_centers=... -p max_iter=... -p tol=0
--threads N`, timing the estimator's fit as the model records it (training.seconds: encoding,
preparing the points and the iterations; reading the CSV excluded, like sklearn's timing) and
the whole command's wall time. Prints medians, the ratio Kiln / scikit-learn, the inertias and
the load average.

  /usr/bin/python3 bench/kmeans_bench.py --kiln build/bin/kiln --workdir /tmp/kiln-kmeans \
      --rows 1000000 --dims 32 --k 100 --iters 20 --repeat 3
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

SKLEARN_FIT = r"""
import json, sys, time
import numpy as np
from sklearn.cluster import KMeans
X = np.load(sys.argv[1]).astype(np.float64)
init = np.load(sys.argv[2]).astype(np.float64)
start = time.perf_counter()
km = KMeans(n_clusters=init.shape[0], init=init, n_init=1, algorithm="lloyd",
            max_iter=int(sys.argv[3]), tol=0.0).fit(X)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "inertia": float(km.inertia_), "iterations": int(km.n_iter_)}))
"""


def generate(args):
    base = os.path.join(args.workdir, f"km_{args.rows}x{args.dims}_k{args.k}_s{args.seed}")
    paths = {"csv": base + ".csv", "npy": base + ".npy", "init_csv": base + ".init.csv",
             "init_npy": base + ".init.npy"}
    if all(os.path.exists(p) for p in paths.values()):
        return paths
    rng = np.random.RandomState(args.seed)
    centres = rng.uniform(-10, 10, size=(args.k, args.dims))
    which = rng.randint(0, args.k, size=args.rows)
    X = (centres[which] + rng.normal(scale=args.spread, size=(args.rows, args.dims))).astype(
        np.float32)
    init = X[rng.choice(args.rows, size=args.k, replace=False)]
    names = [f"x{j}" for j in range(args.dims)]
    for path, data in ((paths["csv"], X), (paths["init_csv"], init)):
        with open(path + ".tmp", "w") as f:
            f.write(",".join(names) + "\n")
            np.savetxt(f, data, fmt="%.9g", delimiter=",")
        os.replace(path + ".tmp", path)
    np.save(paths["npy"], X)
    np.save(paths["init_npy"], init)
    return paths


def run_sklearn(paths, args):
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    out = subprocess.run([sys.executable, "-c", SKLEARN_FIT, paths["npy"], paths["init_npy"],
                          str(args.iters)], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_kiln(paths, args):
    model = os.path.join(args.workdir, "km.kiln")
    start = time.perf_counter()
    subprocess.run([args.kiln, "train", "--algo", "kmeans", "--data", paths["csv"], "--output",
                    model, "-p", f"init_centers={paths['init_csv']}", "-p",
                    f"max_iter={args.iters}", "-p", "tol=0", "--threads", str(args.threads),
                    "--no-track", "-q"], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    info = json.loads(subprocess.run([args.kiln, "inspect", model, "--json"], check=True,
                                     capture_output=True, text=True).stdout)
    extra = info["training"]["extra"]
    return {"seconds": info["training"]["seconds"], "wall": wall, "inertia": extra["inertia"],
            "iterations": extra["iterations"]}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--kiln", default="build/bin/kiln")
    p.add_argument("--workdir", default="/tmp/kiln-kmeans")
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--dims", type=int, default=32)
    p.add_argument("--k", type=int, default=100)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--spread", type=float, default=4.0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    paths = generate(args)
    # Read once so that Kiln's timed runs map its dataset cache, as sklearn loads a .npy.
    run_kiln(paths, argparse.Namespace(**{**vars(args), "iters": 1}))
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    runs = {"sklearn": [], "kiln": []}
    for r in range(args.repeat):
        runs["sklearn"].append(run_sklearn(paths, args))
        runs["kiln"].append(run_kiln(paths, args))
        print(f"run {r + 1}: sklearn {runs['sklearn'][-1]['seconds']:.2f} s, kiln "
              f"{runs['kiln'][-1]['seconds']:.2f} s (wall {runs['kiln'][-1]['wall']:.2f} s)",
              flush=True)
    med = {tool: statistics.median(x["seconds"] for x in rs) for tool, rs in runs.items()}
    wall = statistics.median(x["wall"] for x in runs["kiln"])
    print(f"\n{args.rows} x {args.dims}, k = {args.k}, {args.iters} Lloyd iterations, "
          f"{args.threads} threads, {args.repeat} runs")
    print(f"{'tool':<8} {'fit s (median)':>15} {'runs':<28} {'iterations':>10} {'inertia':>14}")
    for tool, rs in runs.items():
        times = " ".join(f"{x['seconds']:.2f}" for x in rs)
        print(f"{tool:<8} {med[tool]:>15.2f} {times:<28} {rs[0]['iterations']:>10} "
              f"{rs[0]['inertia']:>14.6g}")
    print(f"kiln whole command (read cached data + fit + write): median {wall:.2f} s")
    print(f"ratio kiln / sklearn (fit): {med['kiln'] / med['sklearn']:.3f} (target <= 0.5)")
    print(f"inertia ratio kiln / sklearn: "
          f"{runs['kiln'][0]['inertia'] / runs['sklearn'][0]['inertia']:.6f}")
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
