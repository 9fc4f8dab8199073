#!/usr/bin/python3
"""`kiln train --dist`: data-parallel logistic and linear regression give the single-process
model. Real MPI: `mpirun -np 1/2/4 kiln train --dist mpi` (row shards of one file, and one file
per rank with {rank}); in-process ranks: `--dist allreduce --workers N`. Coefficients from
`kiln inspect --json` must agree with plain `kiln train` within 1e-6 (relative above 1). Also the
bad-input errors: flags, an algorithm without capability 'distributed', --dist mpi outside mpirun,
an empty shard and shards with different columns (the error names the rank, every rank exits
non-zero, nothing hangs).

Needs mpirun (OpenMPI) and the fetched datasets (scripts/fetch_datasets.py). Exits non-zero on
failure.
"""
import csv
import json
import os
import shutil
import subprocess
import tempfile
import unittest

SOURCE = os.environ.get("KILN_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
KILN = os.environ.get("KILN_BIN", os.path.join(SOURCE, "build", "bin", "kiln"))
DATA = os.environ.get("KILN_DATA_DIR", os.path.join(SOURCE, "data"))
MPIRUN = shutil.which("mpirun")

EXIT_USAGE, EXIT_BAD_DATA = 2, 4
# TCP over loopback only (containers often break shared memory); root may run mpirun.
MPI_ENV = {
    "OMPI_MCA_btl": "self,tcp", "OMPI_MCA_btl_tcp_if_include": "lo",
    "OMPI_MCA_oob_tcp_if_include": "lo", "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
    "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
}

# (name, algorithm, data, extra train flags): binary, multiclass with categories and missing
# values (penguins are sorted by species, so shards see different classes), and regression with
# many categories and missing values.
CASES = [
    ("breast_cancer", "logistic_regression", "breast_cancer", []),
    ("penguins", "logistic_regression", "penguins", ["--label", "species"]),
    ("ames", "linear_regression", "ames", ["--label", "Sale_Price"]),
    ("ames_lbfgs", "linear_regression", "ames", ["--label", "Sale_Price", "-p", "solver=lbfgs",
                                                  "-p", "l2=0.1"]),
]
TOL = 1e-6


def coefficients(description):
    out = [v for row in description["weights"] for v in row]
    return out + list(description["intercept"])


class Dist(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_cli_dist_")
        cls.dir = cls.tmp.name
        cls.env = dict(os.environ, KILN_HOME=os.path.join(cls.dir, "home"), **MPI_ENV)
        cls.single = {}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_kiln(self, args, np=None, timeout=300):
        cmd = [KILN, *args]
        if np is not None:
            cmd = [MPIRUN, "-np", str(np), "--oversubscribe", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, env=self.env, timeout=timeout)

    def need(self, *paths, mpi=False):
        for p in paths:
            if not os.path.exists(p):
                self.skipTest(f"{p} is missing (run scripts/fetch_datasets.py)")
        if mpi and MPIRUN is None:
            self.skipTest("mpirun is not installed")

    def train(self, name, algo, data, flags, extra, np=None):
        out = os.path.join(self.dir, name + ".kiln")
        r = self.run_kiln(["train", "--algo", algo, "--data", data, "--no-track", "--threads", "1",
                           "--output", out, *flags, *extra], np=np)
        self.assertEqual(r.returncode, 0, f"{name}:\nstdout: {r.stdout}\nstderr: {r.stderr}")
        i = self.run_kiln(["inspect", out, "--json"])
        self.assertEqual(i.returncode, 0, i.stderr)
        return json.loads(i.stdout), r

    def expect_same(self, case, got, expected):
        a, b = coefficients(expected["description"]), coefficients(got["description"])
        self.assertEqual(got["description"]["features"], expected["description"]["features"],
                         case)
        self.assertEqual(len(a), len(b), case)
        worst = max(abs(x - y) / max(1.0, abs(x)) for x, y in zip(a, b))
        self.assertLessEqual(worst, TOL, f"{case}: largest coefficient difference {worst:.3g}")
        self.assertEqual(got["training"]["rows"], expected["training"]["rows"], case)

    def single_model(self, name, algo, data, flags):
        if name not in self.single:
            self.single[name], _ = self.train(name + "_single", algo, data, flags, [])
        return self.single[name]

    def test_mpi_row_shards_match_single_process(self):
        for name, algo, folder, flags in CASES:
            data = os.path.join(DATA, folder, "train.csv")
            self.need(data, mpi=True)
            expected = self.single_model(name, algo, data, flags)
            for np in (1, 2, 4):
                with self.subTest(case=name, np=np):
                    got, r = self.train(f"{name}_mpi{np}", algo, data, flags, ["--dist", "mpi"],
                                        np=np)
                    self.expect_same(f"{name} mpi np={np}", got, expected)
                    # Only rank 0 prints.
                    self.assertEqual(r.stdout.count("model written to"), 1, r.stdout)
                    self.assertIn(f"--dist mpi: {np} rank", r.stdout)

    def test_allreduce_workers_match_single_process(self):
        for name, algo, folder, flags in CASES:
            data = os.path.join(DATA, folder, "train.csv")
            self.need(data)
            expected = self.single_model(name, algo, data, flags)
            for workers in (2, 4):
                with self.subTest(case=name, workers=workers):
                    got, _ = self.train(f"{name}_ar{workers}", algo, data, flags,
                                        ["--dist", "allreduce", "--workers", str(workers)])
                    self.expect_same(f"{name} allreduce workers={workers}", got, expected)
                    self.assertEqual(got["training"]["extra"]["distributed"]["ranks"], workers)

    def split(self, name, parts, transform=None):
        """Writes data/breast_cancer/train.csv as `parts` files NAME-{rank}.csv; transform(rank,
        header, rows) may change a part."""
        src = os.path.join(DATA, "breast_cancer", "train.csv")
        self.need(src)
        with open(src, newline="") as f:
            rows = list(csv.reader(f))
        header, body = rows[0], rows[1:]
        for r in range(parts):
            part = body[len(body) * r // parts:len(body) * (r + 1) // parts]
            h = header
            if transform is not None:
                h, part = transform(r, header, part)
            with open(os.path.join(self.dir, f"{name}-{r}.csv"), "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(h)
                w.writerows(part)
        return os.path.join(self.dir, name + "-{rank}.csv"), src

    def test_one_file_per_rank(self):
        pattern, src = self.split("part", 2)
        expected = self.single_model("breast_cancer", "logistic_regression", src, [])
        self.need(src, mpi=True)
        got, r = self.train("bc_files_mpi", "logistic_regression", pattern, [], ["--dist", "mpi"],
                            np=2)
        self.expect_same("one file per rank, mpi", got, expected)
        got, r = self.train("bc_files_ar", "logistic_regression", pattern, [],
                            ["--dist", "allreduce", "--workers", "2"])
        self.expect_same("one file per rank, allreduce", got, expected)

    def expect_error(self, args, code, needles, np=None):
        r = self.run_kiln(args, np=np, timeout=120)
        self.assertEqual(r.returncode, code, f"kiln {' '.join(args)}\nstderr: {r.stderr}")
        for needle in needles:
            self.assertIn(needle, r.stderr)

    def test_bad_flags(self):
        data = os.path.join(DATA, "breast_cancer", "train.csv")
        self.need(data)
        base = ["train", "--algo", "logistic_regression", "--data", data, "--no-track",
                "--output", os.path.join(self.dir, "bad.kiln")]
        self.expect_error(base + ["--workers", "2"], EXIT_USAGE,
                          ["--workers 2 needs --dist allreduce"])
        self.expect_error(base + ["--dist", "allreduce"], EXIT_USAGE,
                          ["--dist allreduce needs --workers N with N >= 1, found no --workers"])
        self.expect_error(base + ["--dist", "allreduce", "--workers", "0"], EXIT_USAGE,
                          ["needs --workers N with N >= 1"])
        self.expect_error(base + ["--dist", "allreduce", "--workers", "-3"], EXIT_USAGE,
                          ["found -3"])
        self.expect_error(base + ["--dist", "ring"], EXIT_USAGE,
                          ["--dist: expected 'allreduce'", "found 'ring'"])
        self.expect_error(base + ["--dist", "mpi"], 3, ["not started by mpirun"])
        self.expect_error(base + ["--dist", "allreduce", "--workers", "2", "-p", "solver=ftrl"],
                          EXIT_USAGE, ["solver = ftrl does not train data-parallel"])
        gbdt = ["train", "--algo", "gbdt", "--data", data, "--no-track", "--output",
                os.path.join(self.dir, "bad.kiln"), "--dist", "allreduce", "--workers", "2"]
        self.expect_error(gbdt, EXIT_USAGE, ["gbdt does not train data-parallel",
                                             "linear_regression, logistic_regression"])
        self.expect_error(base[:4] + [os.path.join(self.dir, "x-{rank}.csv")] + base[5:],
                          EXIT_USAGE, ["needs --dist allreduce or --dist mpi"])
        algorithms = self.run_kiln(["algorithms"])
        self.assertIn("distributed", algorithms.stdout)

    def test_bad_shards(self):
        def drop_column(rank, header, rows):
            if rank != 1:
                return header, rows
            return header[:1] + header[2:], [r[:1] + r[2:] for r in rows]

        def empty(rank, header, rows):
            return header, (rows if rank != 1 else [])

        columns, _ = self.split("columns", 2, drop_column)
        one_row, src = self.split("tiny", 2, lambda r, h, rows: (h, rows[:1] if r == 1 else rows))
        empty_pattern, _ = self.split("empty", 2, empty)
        out = os.path.join(self.dir, "bad.kiln")
        base = ["train", "--algo", "logistic_regression", "--no-track", "--output", out]
        for np in (None, 2):
            dist = ["--dist", "mpi"] if np else ["--dist", "allreduce", "--workers", "2"]
            if np and MPIRUN is None:
                continue
            with self.subTest(np=np):
                self.expect_error(base + ["--data", columns] + dist, EXIT_USAGE,
                                  ["feature column 1 is mean_radius (numeric) on rank 0 but "
                                   "mean_texture (numeric) on rank 1"], np=np)
                self.expect_error(base + ["--data", empty_pattern] + dist, EXIT_BAD_DATA,
                                  ["rank 1", "empty-1.csv"], np=np)
                # One row on rank 1 is fine.
                r = self.run_kiln(base + ["--data", one_row] + dist, np=np)
                self.assertEqual(r.returncode, 0, r.stderr)
        # More ranks than rows: the empty rank is named.
        tiny = os.path.join(self.dir, "three.csv")
        with open(src) as f, open(tiny, "w") as g:
            g.writelines(f.readlines()[:4])
        self.expect_error(base + ["--data", tiny, "--dist", "allreduce", "--workers", "4"],
                          EXIT_BAD_DATA, ["rank 0 of 4", "shard has no training rows"])
        if MPIRUN is not None:
            self.expect_error(base + ["--data", tiny, "--dist", "mpi"], EXIT_BAD_DATA,
                              ["rank 0 of 4", "shard has no training rows"], np=4)


if __name__ == "__main__":
    unittest.main()
