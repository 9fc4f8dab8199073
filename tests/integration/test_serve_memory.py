#!/usr/bin/python3
"""`kiln serve` gives a model's memory back: a 64 MiB XGBoost JSON model (parsed into the
heap, several times its size while parsing) loaded, used and unloaded 5 times through the admin
API leaves the server's resident memory where the first cycle left it (within 5 %) and near
where it started (within 10 %), and a loaded model does not keep its parse buffers. The CI-sized
version of bench/run_serve_memory_bench.sh (docs/benchmarks.md, "Serving: memory")."""
import json
import os
import re
import sys
import tempfile
import time
import unittest

from serve_util import SOURCE, Server, fresh_env

sys.path.insert(0, os.path.join(SOURCE, "bench", "serve"))
import big_xgboost_model  # noqa: E402

MIB = 1 << 20
FEATURES = 100


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) * 1024


class Memory(unittest.TestCase):
    def test_load_unload_cycles_return_memory(self):
        with tempfile.TemporaryDirectory(prefix="kiln_serve_memory_") as tmp:
            models = os.path.join(tmp, "models")
            for name, mb in (("small", 0.05), ("big", 64)):
                os.makedirs(os.path.join(models, name, "1"))
                big_xgboost_model.write_model(os.path.join(models, name, "1", "model.json"), mb,
                                              features=FEATURES)
            size = os.path.getsize(os.path.join(models, "big", "1", "model.json"))
            row = json.dumps({"instances": [{f"f{j}": 0.1 * (j % 7) for j in range(FEATURES)}]})
            server = Server(fresh_env(tmp), tmp, "--model-dir", models, "--model-control",
                            "explicit", "--load", "small", "--threads", "2")
            try:
                conn = server.connection()

                def call(path, body=""):
                    code, out, _ = server.request("POST", path, body, conn=conn)
                    self.assertEqual(code, 200, f"{path}: {out}")
                    return out

                call("/v1/models/small:predict", row)
                time.sleep(0.3)
                start = rss(server.proc.pid)
                after_unload = []
                started = time.time()
                for _ in range(5):
                    call("/v2/repository/models/big/load")
                    loaded = rss(server.proc.pid)
                    self.assertLess(loaded - start, size,
                                    f"a loaded model holds {(loaded - start) / MIB:.0f} MiB for a "
                                    f"{size / MIB:.0f} MiB file: its parse buffers were kept")
                    call("/v1/models/big:predict", row)
                    call("/v2/repository/models/big/unload")
                    call("/v1/models/small:predict", row)
                    after_unload.append(rss(server.proc.pid))
                elapsed = time.time() - started
                _, metrics, _ = server.request("GET", "/metrics", conn=conn)
                gauge = int(re.search(r"kiln_process_resident_memory_bytes (\d+)",
                                      metrics).group(1))
                conn.close()
            finally:
                self.assertEqual(server.stop(), 0)
            first, end = after_unload[0], after_unload[-1]
            report = (f"start {start / MIB:.1f} MiB, after each unload "
                      f"{[round(r / MIB, 1) for r in after_unload]} MiB, 5 cycles in "
                      f"{elapsed:.1f} s")
            print(report)
            self.assertLess(abs(end / first - 1), 0.05, report)
            self.assertLess(abs(end / start - 1), 0.10, report)
            self.assertLess(abs(gauge / end - 1), 0.10, f"/metrics says {gauge}, /proc {end}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
