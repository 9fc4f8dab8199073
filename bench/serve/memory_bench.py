#!/usr/bin/python3
"""Memory of `kiln serve` across load/unload cycles (the driver of
bench/run_serve_memory_bench.sh; see its --help).

Makes a large model (Kiln: a linear model whose hashed column has enough buckets for --size-mb of
weights, grown by build/bin/gen_big_model from a tiny trained one; XGBoost: a JSON model of
--size-mb, bench/serve/big_xgboost_model.py), serves a model directory in explicit model control
with a small model loaded, then --cycles times: load the big model through the admin API,
predict once, unload it — reading the server's resident memory (/proc/PID/status VmRSS, and the
kiln_process_resident_memory_bytes gauge of /metrics) after each step.
"""
import argparse
import csv
import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import big_xgboost_model  # noqa: E402

MIB = 1 << 20


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


class Server:
    def __init__(self, kiln, env, workdir, model_dir, threads):
        port_file = os.path.join(workdir, "port")
        if os.path.exists(port_file):
            os.remove(port_file)
        self.log = open(os.path.join(workdir, "serve.log"), "w")
        self.proc = subprocess.Popen(
            [kiln, "serve", "--model-dir", model_dir, "--model-control", "explicit",
             "--load", "small", "--port", "0", "--port-file", port_file,
             "--threads", str(threads)], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise SystemExit(f"kiln serve did not start; see {self.log.name}")
            time.sleep(0.05)
        with open(port_file) as f:
            self.port = int(f.read())
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=3600)

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body)
        self.conn.request(method, path, body=data)
        r = self.conn.getresponse()
        payload = r.read()
        return r.status, payload

    def rss(self):
        return {"rss": status_kib(self.proc.pid, "VmRSS") * 1024,
                "anon": status_kib(self.proc.pid, "RssAnon") * 1024,
                "file": status_kib(self.proc.pid, "RssFile") * 1024,
                "hwm": status_kib(self.proc.pid, "VmHWM") * 1024}

    def gauge(self):
        code, text = self.call("GET", "/metrics")
        m = re.search(rb"kiln_process_resident_memory_bytes (\d+)", text)
        return int(m.group(1)) if code == 200 and m else None

    def stop(self):
        self.conn.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        return self.proc.returncode


def make_kiln_models(kiln, gen, env, workdir, model_dir, size_mb):
    """A tiny linear regression with a hashed column ('small'), grown to size_mb ('big')."""
    rng = random.Random(1)
    tiny_csv = os.path.join(workdir, "tiny.csv")
    with open(tiny_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["x", "cat", "y"])
        effects = [rng.gauss(0, 1) for _ in range(100)]
        for _ in range(500):
            c = rng.randrange(100)
            x = rng.uniform(-1, 1)
            w.writerow([f"{x:.4f}", f"c{c}", f"{2 * x + effects[c] + rng.gauss(0, 0.1):.4f}"])
    tiny = os.path.join(workdir, "tiny.kiln")
    subprocess.run([kiln, "train", "--algo", "linear_regression", "--data", tiny_csv,
                    "--label", "y", "-p", "hash_buckets=16", "-o", tiny, "--no-track", "-q"],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    for name in ("small", "big"):
        os.makedirs(os.path.join(model_dir, name, "1"))
    shutil.copy(tiny, os.path.join(model_dir, "small", "1", "model.kiln"))
    buckets = int(size_mb * MIB) // 8
    subprocess.run([gen, "--in", tiny, "--buckets", str(buckets), "--out",
                    os.path.join(model_dir, "big", "1", "model.kiln")], check=True)
    return {"instances": [{"x": 0.5, "cat": "c7"}]}


def make_xgboost_models(model_dir, size_mb, features=100):
    for name, mb in (("small", 0.05), ("big", size_mb)):
        os.makedirs(os.path.join(model_dir, name, "1"))
        trees, size = big_xgboost_model.write_model(
            os.path.join(model_dir, name, "1", "model.json"), mb, features=features)
        if name == "big":
            print(f"big XGBoost model: {trees} trees of depth 8, {size / MIB:.0f} MiB")
    return {"instances": [{f"f{j}": 0.1 * (j % 7) for j in range(features)}]}


def run_cycles(server, cycles, row, verbose):
    """One server's cycles; returns the samples."""
    def sample(step):
        s = server.rss()
        s["step"] = step
        return s

    code, body = server.call("POST", "/v1/models/small:predict", row)
    if code != 200:
        raise SystemExit(f"the small model did not answer: {code} {body[:200]}")
    time.sleep(0.5)
    start = sample("start")
    start["gauge"] = server.gauge()
    samples = [start]
    if verbose:
        print(f"{'cycle':>5} {'step':>8} {'RSS MiB':>9} {'anon':>8} {'file':>8} {'load s':>7}")
        print(f"{0:>5} {'start':>8} {start['rss'] / MIB:9.1f} {start['anon'] / MIB:8.1f} "
              f"{start['file'] / MIB:8.1f}")
    for cycle in range(1, cycles + 1):
        t = time.time()
        code, body = server.call("POST", "/v2/repository/models/big/load", {})
        load_s = time.time() - t
        if code != 200:
            raise SystemExit(f"cycle {cycle}: load answered {code}: {body[:300]}")
        loaded = sample("loaded")
        loaded["load_s"] = load_s
        code, body = server.call("POST", "/v1/models/big:predict", row)
        if code != 200:
            raise SystemExit(f"cycle {cycle}: predict answered {code}: {body[:300]}")
        predicted = sample("predict")
        code, body = server.call("POST", "/v2/repository/models/big/unload", {})
        if code != 200:
            raise SystemExit(f"cycle {cycle}: unload answered {code}: {body[:300]}")
        code, body = server.call("POST", "/v1/models/small:predict", row)
        if code != 200:
            raise SystemExit(f"cycle {cycle}: the small model answered {code}")
        unloaded = sample("unloaded")
        unloaded["gauge"] = server.gauge()
        for s in (loaded, predicted, unloaded):
            s["cycle"] = cycle
            samples.append(s)
            if verbose:
                extra = f" {s['load_s']:7.2f}" if "load_s" in s else ""
                print(f"{cycle:>5} {s['step']:>8} {s['rss'] / MIB:9.1f} {s['anon'] / MIB:8.1f} "
                      f"{s['file'] / MIB:8.1f}{extra}")
    return samples


def summarise(samples):
    start = samples[0]
    first = next(s for s in samples if s["step"] == "unloaded")
    end = samples[-1]
    loaded = [s for s in samples if s["step"] in ("loaded", "predict")]
    return {
        "start": start["rss"], "after_first": first["rss"], "end": end["rss"],
        "peak_sampled": max(s["rss"] for s in loaded), "hwm": end["hwm"],
        "loaded_median": statistics.median(s["rss"] for s in loaded),
        "load_s_median": statistics.median(s["load_s"] for s in samples if "load_s" in s),
        "end_over_start": end["rss"] / start["rss"],
        "end_over_first": end["rss"] / first["rss"],
        "gauge_end": end.get("gauge"), "gauge_start": start.get("gauge"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", nargs="?", default="build")
    parser.add_argument("--kind", choices=["kiln", "xgboost"], default="kiln")
    parser.add_argument("--size-mb", type=float, default=1024)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workdir")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="no per-step table")
    args = parser.parse_args()

    kiln = os.path.realpath(os.path.join(args.build, "bin", "kiln"))
    gen = os.path.realpath(os.path.join(args.build, "bin", "gen_big_model"))
    for binary in [kiln] + ([gen] if args.kind == "kiln" else []):
        if not os.access(binary, os.X_OK):
            raise SystemExit(f"{binary} not found; build it first (ninja -C {args.build} kiln "
                             "gen_big_model)")
    workdir = args.workdir or tempfile.mkdtemp(prefix="kiln_serve_memory_")
    os.makedirs(workdir, exist_ok=True)
    env = dict(os.environ, KILN_HOME=os.path.join(workdir, "home"))
    env.pop("KILN_STORE", None)
    env.pop("KILN_SERVE_TOKEN", None)
    env.pop("KILN_SERVE_ADMIN_TOKEN", None)
    model_dir = os.path.join(workdir, "models")
    shutil.rmtree(model_dir, ignore_errors=True)
    try:
        # Both models take the same features, so one row answers both.
        if args.kind == "kiln":
            row = make_kiln_models(kiln, gen, env, workdir, model_dir, args.size_mb)
        else:
            row = make_xgboost_models(model_dir, args.size_mb)
        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in
                   os.walk(os.path.join(model_dir, "big")) for f in fs)
        with open("/proc/loadavg") as f:
            load_avg = f.read().split()[0]
        print(f"kind {args.kind}, big model file {size / MIB:.0f} MiB, {args.cycles} cycles x "
              f"{args.repeat} runs, load average {load_avg}")
        results = []
        for run in range(args.repeat):
            server = Server(kiln, env, workdir, model_dir, args.threads)
            try:
                samples = run_cycles(server, args.cycles, row, not args.quiet)
            finally:
                code = server.stop()
            if code != 0:
                raise SystemExit(f"kiln serve exited {code}; see {workdir}/serve.log")
            r = summarise(samples)
            results.append(r)
            gauge = (f"; /metrics gauge {r['gauge_start'] / MIB:.1f} -> "
                     f"{r['gauge_end'] / MIB:.1f} MiB" if r["gauge_end"] else "")
            print(f"run {run + 1}: start {r['start'] / MIB:.1f} MiB, after cycle 1 "
                  f"{r['after_first'] / MIB:.1f}, loaded (median) {r['loaded_median'] / MIB:.1f}, "
                  f"peak sampled {r['peak_sampled'] / MIB:.1f}, peak (VmHWM) {r['hwm'] / MIB:.1f}, "
                  f"end {r['end'] / MIB:.1f} MiB; end/start {r['end_over_start']:.3f}, "
                  f"end/after-cycle-1 {r['end_over_first']:.3f}; load {r['load_s_median']:.2f} s"
                  f"{gauge}")
        def med(key):
            return statistics.median(r[key] for r in results)
        ratio = med("end_over_start")
        print(f"median of {len(results)}: start {med('start') / MIB:.1f} MiB, peak (VmHWM) "
              f"{med('hwm') / MIB:.1f} MiB, end {med('end') / MIB:.1f} MiB, end/start "
              f"{ratio:.3f} ({'within' if abs(ratio - 1) <= 0.05 else 'NOT within'} 5 %), "
              f"end/after-cycle-1 {med('end_over_first'):.3f}")
        return 0 if abs(ratio - 1) <= 0.05 else 1
    finally:
        with open("/proc/loadavg") as f:
            print(f"load average at the end {f.read().split()[0]}")
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
