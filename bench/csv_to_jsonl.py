#!/usr/bin/python3
"""Writes the first ROWS records of a CSV made by gen_dense as JSON Lines, for the JSONL parse
benchmark: empty fields become null, columns named c* stay strings, the rest become numbers.

Usage: bench/csv_to_jsonl.py IN.csv OUT.jsonl ROWS
"""
import csv
import json
import sys


def value(name, text):
    if text == "":
        return None
    if name.startswith("c"):
        return text
    return float(text) if any(ch in text for ch in ".eE") else int(text)


def main():
    src, dst, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(src, newline="") as f, open(dst, "w") as out:
        reader = csv.reader(f)
        header = next(reader)
        for i, row in enumerate(reader):
            if i >= rows:
                break
            record = {name: value(name, text) for name, text in zip(header, row)}
            out.write(json.dumps(record, separators=(", ", ": ")) + "\n")


if __name__ == "__main__":
    main()
