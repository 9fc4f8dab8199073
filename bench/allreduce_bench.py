#!/usr/bin/python3
"""AllReduce logistic regression over MPI: 1 rank against N ranks on the same data.

Generates a HIGGS-like dense CSV with bench/gen_dense (28 numeric features, seeded), then trains
`logistic_regression` (-p solver=lbfgs: over 5M non-zeros, auto would pick FTRL, which does not
run data-parallel; other parameters default) under `mpirun -np K kiln train --dist mpi`:

  1 rank      the whole file, --threads 1
  N ranks     one file per rank (--data part-{rank}.csv: each rank reads only its rows), and the
              one file split into row ranges (each rank reads the whole file, trains on its share)

every configuration with --threads 1 per rank, so N ranks use N cores. Wall time is the whole
command (mpirun start, read, fit, save); fit time is the model's recorded training seconds.
Test AUC from `kiln evaluate`. Prints a table and the N-rank / 1-rank ratios.

  bench/allreduce_bench.py --kiln build/bin/kiln --gen build/bin/gen_dense --rows 500000
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import time

MPI_ENV = {
    "OMPI_MCA_btl": "self,tcp", "OMPI_MCA_btl_tcp_if_include": "lo",
    "OMPI_MCA_oob_tcp_if_include": "lo", "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
    "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
}


def run(cmd, env):
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if r.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    return seconds, r.stdout


def split(path, parts, workdir):
    """Writes the CSV's rows as `parts` files part-0.csv ... with contiguous rows each."""
    with open(path) as f:
        header = f.readline()
        lines = f.readlines()
    for r in range(parts):
        with open(os.path.join(workdir, f"part-{r}.csv"), "w") as g:
            g.write(header)
            g.writelines(lines[len(lines) * r // parts:len(lines) * (r + 1) // parts])
    return os.path.join(workdir, "part-{rank}.csv")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kiln", default="build/bin/kiln")
    ap.add_argument("--gen", default="build/bin/gen_dense")
    ap.add_argument("--workdir", default="/tmp/kiln-allreduce-bench")
    ap.add_argument("--rows", type=int, default=500000)
    ap.add_argument("--test-rows", type=int, default=100000)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    env = dict(os.environ, KILN_HOME=os.path.join(args.workdir, "home"), **MPI_ENV)
    train = os.path.join(args.workdir, f"train-{args.rows}.csv")
    test = os.path.join(args.workdir, f"test-{args.test_rows}.csv")
    if not os.path.exists(train) or not os.path.exists(test):
        subprocess.run([args.gen, "--rows", str(args.rows), "--seed", "1", "--out", train,
                        "--test-rows", str(args.test_rows), "--out-test", test], check=True,
                       capture_output=True)
    pattern = split(train, args.ranks, args.workdir)
    n = args.ranks
    configs = [
        ("1 rank", 1, train),
        (f"{n} ranks, file per rank", n, pattern),
        (f"{n} ranks, row ranges of one file", n, train),
    ]
    results = []
    for name, np, data in configs:
        model = os.path.join(args.workdir, f"model-{np}-{'p' if data == pattern else 'f'}.kiln")
        walls, fits = [], []
        for _ in range(args.repeat):
            wall, _ = run(["mpirun", "-np", str(np), "--oversubscribe", args.kiln, "train",
                           "--algo", "logistic_regression", "--data", data, "--dist", "mpi",
                           "--threads", "1", "--no-track", "--no-cache", "-p", "solver=lbfgs",
                           "--output", model], env)
            _, info = run([args.kiln, "inspect", model, "--json"], env)
            walls.append(wall)
            fits.append(json.loads(info)["training"]["seconds"])
        _, metrics = run([args.kiln, "evaluate", "--model", model, "--data", test, "--json",
                          "--no-track"], env)
        extra = json.loads(info)["training"]["extra"]
        results.append((name, statistics.median(walls), statistics.median(fits),
                        json.loads(metrics)["auc"], extra["iterations"], walls))
    print(f"rows {args.rows} train / {args.test_rows} test, 28 features, load average "
          f"{os.getloadavg()[0]:.2f}, {args.repeat} runs each (median)")
    print(f"| configuration | wall s | fit s | L-BFGS iterations | test AUC | runs (wall s) |")
    print(f"|---|---|---|---|---|---|")
    for name, wall, fit, auc, iters, walls in results:
        print(f"| {name} | {wall:.2f} | {fit:.2f} | {iters} | {auc:.6f} | "
              f"{' '.join(f'{w:.2f}' for w in walls)} |")
    base = results[0]
    for name, wall, fit, auc, _, _ in results[1:]:
        print(f"{name} / 1 rank: wall {wall / base[1]:.2f}x, fit {fit / base[2]:.2f}x, "
              f"AUC {auc - base[3]:+.2g}")


if __name__ == "__main__":
    main()
