#!/usr/bin/python3
"""Converts real datasets shipped in Debian packages into CSV files for Kiln's demo and tests.

Sources (installed by scripts/install-deps.sh):
  python3-sklearn        breast_cancer (binary), digits, iris, wine (multiclass), diabetes (regression)
  r-cran-modeldata       wa_churn, attrition (binary, string categoricals, missing values),
                         concrete, ames (regression; ames has string categoricals)
  r-cran-palmerpenguins  penguins (multiclass, string categoricals, missing values)

  (none)                 ctr: a seeded synthetic click log with raw categorical ids (binary)

Each dataset becomes DIR/<name>/train.csv and test.csv: a seeded 80/20 split (numpy
RandomState(42), stratified for classification). Idempotent: existing files are kept.
Run with Debian's /usr/bin/python3 (it has numpy and scikit-learn).
"""
import csv
import os
import subprocess
import sys
import tempfile

import numpy as np

SEED = 42


def split_indices(n, labels=None, test_fraction=0.2):
    rng = np.random.RandomState(SEED)
    if labels is None:
        perm = rng.permutation(n)
        cut = int(round(n * test_fraction))
        return np.sort(perm[cut:]), np.sort(perm[:cut])
    labels = np.asarray(labels)
    train, test = [], []
    for value in sorted(set(labels.tolist()), key=str):
        idx = np.flatnonzero(labels == value)
        idx = idx[rng.permutation(len(idx))]
        cut = int(round(len(idx) * test_fraction))
        test.extend(idx[:cut].tolist())
        train.extend(idx[cut:].tolist())
    return np.array(sorted(train)), np.array(sorted(test))


def write_split(out_dir, name, header, rows, label_index, classification):
    target = os.path.join(out_dir, name)
    if os.path.exists(os.path.join(target, "test.csv")):
        return False
    os.makedirs(target, exist_ok=True)
    labels = [r[label_index] for r in rows] if classification else None
    train, test = split_indices(len(rows), labels)
    for part, idx in (("train", train), ("test", test)):
        tmp = os.path.join(target, part + ".csv.tmp")
        with open(tmp, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            for i in idx:
                w.writerow(rows[i])
        os.replace(tmp, os.path.join(target, part + ".csv"))
    return True


def fmt(v):
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return str(v)


def sklearn_sets(out_dir):
    from sklearn import datasets

    for name, loader, classification in (
        ("breast_cancer", datasets.load_breast_cancer, True),
        ("digits", datasets.load_digits, True),
        ("iris", datasets.load_iris, True),
        ("wine", datasets.load_wine, True),
        ("diabetes", datasets.load_diabetes, False),
    ):
        kwargs = {"scaled": False} if name == "diabetes" else {}
        bunch = loader(**kwargs)
        features = [str(f).replace(" ", "_") for f in bunch.feature_names]
        rows = []
        for x, y in zip(bunch.data, bunch.target):
            label = str(bunch.target_names[y]) if classification and name != "digits" else fmt(y)
            rows.append([label] + [fmt(v) for v in x])
        if write_split(out_dir, name, ["label"] + features, rows, 0, classification):
            print(f"fetch-datasets: wrote {out_dir}/{name} ({len(rows)} rows, python3-sklearn)")


def read_csv_rows(path, na_tokens=("NA",)):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [["" if v in na_tokens else v for v in r] for r in reader]
    return header, rows


def r_sets(out_dir):
    r_objects = (
        ("wa_churn", "modeldata", "wa_churn", "churn", True),
        ("attrition", "modeldata", "attrition", "Attrition", True),
        ("concrete", "modeldata", "concrete", "compressive_strength", False),
        ("ames", "modeldata", "ames", "Sale_Price", False),
    )
    for name, package, obj, label, classification in r_objects:
        if os.path.exists(os.path.join(out_dir, name, "test.csv")):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            raw = os.path.join(tmp, name + ".csv")
            script = (f"suppressMessages(library({package})); data({obj}); "
                      f"write.csv(as.data.frame({obj}), '{raw}', row.names=FALSE, na='NA')")
            subprocess.run(["Rscript", "-e", script], check=True)
            header, rows = read_csv_rows(raw)
        li = header.index(label)
        if write_split(out_dir, name, header, rows, li, classification):
            print(f"fetch-datasets: wrote {out_dir}/{name} ({len(rows)} rows, r-cran-{package})")

    penguins = "/usr/lib/R/site-library/palmerpenguins/extdata/penguins.csv"
    header, rows = read_csv_rows(penguins)
    rows = [r for r in rows if r[header.index("species")] != ""]
    if write_split(out_dir, "penguins", header, rows, header.index("species"), True):
        print(f"fetch-datasets: wrote {out_dir}/penguins ({len(rows)} rows, r-cran-palmerpenguins)")


def fine_foods_set(out_dir):
    """Amazon fine-food reviews (r-cran-modeldata's small_fine_foods: 4,000 training and 1,000
    test reviews, score great/other) with the package's own split: the text data of tfidf."""
    target = os.path.join(out_dir, "fine_foods")
    if os.path.exists(os.path.join(target, "test.csv")):
        return
    os.makedirs(target, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for part, obj in (("train", "training_data"), ("test", "testing_data")):
            raw = os.path.join(tmp, part + ".csv")
            script = ("suppressMessages(library(modeldata)); data(small_fine_foods); "
                      f"d <- as.data.frame({obj})[, c('review', 'score')]; "
                      f"write.csv(d, '{raw}', row.names=FALSE, na='NA')")
            subprocess.run(["Rscript", "-e", script], check=True)
            header, rows = read_csv_rows(raw)
            out = os.path.join(target, part + ".csv.tmp")
            with open(out, "w", newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(header)
                w.writerows(rows)
            os.replace(out, os.path.join(target, part + ".csv"))
    print(f"fetch-datasets: wrote {target} (5000 reviews, r-cran-modeldata small_fine_foods)")


def ctr_set(out_dir, rows=60000):
    """A seeded synthetic click log with raw categorical ids (no Debian package ships one): the
    input of examples/pipelines/ctr.yaml, which hashes the ids and trains on the sparse result.
    Clicks follow a logistic model over per-value effects of each column and two crosses."""
    if os.path.exists(os.path.join(out_dir, "ctr", "test.csv")):
        return
    rng = np.random.RandomState(SEED)
    columns = {"hour": 24, "site_id": 300, "app_id": 200, "device_type": 5, "banner_pos": 7,
               "ad_id": 2000, "advertiser": 150, "user_id": 20000}
    names = list(columns)
    values, effects = {}, {}
    for name, cardinality in columns.items():
        weights = 1.0 / np.arange(1, cardinality + 1) ** 1.1  # Zipf-like popularity
        values[name] = rng.choice(cardinality, size=rows, p=weights / weights.sum())
        effects[name] = rng.normal(0, 0.6 if cardinality < 1000 else 0.3, cardinality)
    logit = -2.2 + sum(effects[n][values[n]] for n in names)
    cross = rng.normal(0, 0.8, (24, 5))
    logit += cross[values["hour"], values["device_type"]]
    clicks = (rng.uniform(size=rows) < 1 / (1 + np.exp(-logit))).astype(int)
    prefix = {"site_id": "s", "app_id": "a", "ad_id": "ad", "advertiser": "adv", "user_id": "u"}
    out_rows = []
    for i in range(rows):
        row = [str(clicks[i])]
        for n in names:
            v = int(values[n][i])
            row.append(f"{prefix[n]}{v:05d}" if n in prefix else str(v))
        out_rows.append(row)
    if write_split(out_dir, "ctr", ["click"] + names, out_rows, 0, True):
        print(f"fetch-datasets: wrote {out_dir}/ctr ({rows} rows, seeded synthetic click log)")


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "data"
    os.makedirs(out_dir, exist_ok=True)
    sklearn_sets(out_dir)
    r_sets(out_dir)
    fine_foods_set(out_dir)
    ctr_set(out_dir)


if __name__ == "__main__":
    main()
