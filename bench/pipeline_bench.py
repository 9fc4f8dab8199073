#!/usr/bin/python3
"""Pipeline executor overhead and cached re-runs, Kiln against GNU make (a DAG executor with
up-to-date checks) on the same graphs in one run.

  overhead:  a chain of N no-op steps (kiln: noop components, --no-cache; make: N targets that
             each `touch` a file), wall time of the whole command; per-step overhead is
             (T(N) - T(1)) / (N - 1), which removes process start and store opening.
  cached:    a 10-step pipeline (a chain of noops) run once, then again with nothing changed:
             the wall time of the second `kiln run`, process start included (make: `make` with
             every target up to date).

Usage: bench/pipeline_bench.py KILN_BIN [--repeat 7] [--steps 100] [--workdir DIR]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time


def chain_yaml(n, name):
    lines = [f"name: {name}", "steps:"]
    for i in range(n):
        lines.append(f"  s{i}:")
        lines.append("    component: noop")
        if i > 0:
            lines.append(f'    inputs: {{in: "${{steps.s{i - 1}.outputs.out}}"}}')
    return "\n".join(lines) + "\n"


def makefile(n):
    lines = [f"all: t{n - 1}", "t0:", "\ttouch $@"]
    for i in range(1, n):
        lines += [f"t{i}: t{i - 1}", "\ttouch $@"]
    return "\n".join(lines) + "\n"


def timed(cmd, cwd, env):
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kiln")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    kiln = os.path.abspath(a.kiln)
    work = a.workdir or tempfile.mkdtemp(prefix="kiln_pipeline_bench_")
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, KILN_HOME=os.path.join(work, "home"))
    env.pop("KILN_STORE", None)
    n = a.steps
    for k in (1, n, 10):
        with open(os.path.join(work, f"chain{k}.yaml"), "w") as f:
            f.write(chain_yaml(k, f"chain{k}"))
        os.makedirs(os.path.join(work, f"make{k}"), exist_ok=True)
        with open(os.path.join(work, f"make{k}", "Makefile"), "w") as f:
            f.write(makefile(k))
    subprocess.run([kiln, "run", "chain10.yaml"], cwd=work, env=env, check=True,
                   stdout=subprocess.DEVNULL)  # warm the store and the cache of chain10

    def make_fresh(k):
        d = os.path.join(work, f"make{k}")
        for f in os.listdir(d):
            if f != "Makefile":
                os.remove(os.path.join(d, f))
        return timed(["make", "-s"], d, env)

    rows = {"kiln_1": [], "kiln_n": [], "make_1": [], "make_n": [], "kiln_cached": [],
            "make_cached": []}
    subprocess.run(["make", "-s"], cwd=os.path.join(work, "make10"), check=True,
                   stdout=subprocess.DEVNULL)
    for _ in range(a.repeat):  # interleaved, so both see the same machine
        rows["kiln_1"].append(timed([kiln, "run", "chain1.yaml", "--no-cache"], work, env))
        rows["make_1"].append(make_fresh(1))
        rows["kiln_n"].append(timed([kiln, "run", f"chain{n}.yaml", "--no-cache"], work, env))
        rows["make_n"].append(make_fresh(n))
        rows["kiln_cached"].append(timed([kiln, "run", "chain10.yaml"], work, env))
        rows["make_cached"].append(timed(["make", "-s"], os.path.join(work, "make10"), env))
    med = {k: statistics.median(v) for k, v in rows.items()}
    kiln_step = (med["kiln_n"] - med["kiln_1"]) / (n - 1)
    make_step = (med["make_n"] - med["make_1"]) / (n - 1)
    load = os.getloadavg()[0]
    print(f"load average {load:.2f}; {a.repeat} interleaved runs each, medians")
    for k, v in rows.items():
        print(f"  {k:12s} {med[k] * 1000:8.1f} ms   runs: " +
              " ".join(f"{x * 1000:.1f}" for x in v))
    print(f"per-step overhead ({n}-step chain): kiln {kiln_step * 1000:.2f} ms, make "
          f"{make_step * 1000:.2f} ms (a fork+exec of touch per step); ratio "
          f"{kiln_step / make_step:.2f}x   [target <= 5 ms]")
    print(f"fully cached 10-step re-run, process start included: kiln "
          f"{med['kiln_cached'] * 1000:.1f} ms, make {med['make_cached'] * 1000:.1f} ms; ratio "
          f"{med['kiln_cached'] / med['make_cached']:.1f}x   [target <= 200 ms]")
    if not a.workdir:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
