#!/usr/bin/python3
"""Writes a large XGBoost JSON model (the format of Booster.save_model("m.json"), XGBoost 1.7)
without training, for memory benchmarks and tests of `kiln serve`.

The model is a reg:squarederror gbtree of full binary trees of one depth over `features` numeric
features f0..f{n-1}, with every array XGBoost writes (children, parents, split indices and
conditions, default_left, split_type, base_weights, loss_changes, sum_hessian), so the file is as
heavy to parse as a real one. Trees are drawn from a small seeded set and repeated (the text is
the same size and cost to parse as distinct trees; writing stays fast). Trees are added until the
file reaches `size_mb` MiB.

    bench/serve/big_xgboost_model.py OUT.json --size-mb 1024 [--depth 8] [--features 100]
"""
import argparse
import json
import os
import random


def tree_text(rng, depth, features, tree_id_placeholder="@ID@"):
    n = 2 ** (depth + 1) - 1
    internal = 2 ** depth - 1
    left = [2 * i + 1 if i < internal else -1 for i in range(n)]
    right = [2 * i + 2 if i < internal else -1 for i in range(n)]
    parents = [2147483647] + [(i - 1) // 2 for i in range(1, n)]
    split_indices = [rng.randrange(features) if i < internal else 0 for i in range(n)]
    conditions = [round(rng.uniform(-1, 1), 7) if i < internal else round(rng.gauss(0, 0.1), 8)
                  for i in range(n)]
    default_left = [rng.randrange(2) if i < internal else 0 for i in range(n)]
    tree = {
        "base_weights": [round(rng.gauss(0, 0.1), 8) for _ in range(n)],
        "categories": [], "categories_nodes": [], "categories_segments": [],
        "categories_sizes": [],
        "default_left": default_left,
        "id": 0,
        "left_children": left,
        "loss_changes": [round(rng.uniform(0, 50), 6) if i < internal else 0.0
                         for i in range(n)],
        "parents": parents,
        "right_children": right,
        "split_conditions": conditions,
        "split_indices": split_indices,
        "split_type": [0] * n,
        "sum_hessian": [round(rng.uniform(1, 1000), 5) for _ in range(n)],
        "tree_param": {"num_deleted": "0", "num_feature": str(features), "num_nodes": str(n),
                       "size_leaf_vector": "0"},
    }
    return json.dumps(tree, separators=(",", ":")).replace('"id":0', '"id":' + tree_id_placeholder)


def write_model(path, size_mb, depth=8, features=100, seed=1, distinct=16):
    """Writes the model; returns (trees, bytes)."""
    rng = random.Random(seed)
    templates = [tree_text(rng, depth, features) for _ in range(distinct)]
    budget = int(size_mb * (1 << 20))
    head = '{"learner":{"attributes":{},"feature_names":[],"feature_types":[],' \
           '"gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1",' \
           '"num_trees":"@NUM_TREES@"},"trees":['
    trees = []
    size = len(head) + 400
    while size < budget or not trees:
        text = templates[len(trees) % distinct].replace("@ID@", str(len(trees)))
        trees.append(text)
        size += len(text) + 1 + 2
    tail = ('],"tree_info":[' + ",".join("0" for _ in trees) + ']},"name":"gbtree"},'
            '"learner_model_param":{"base_score":"5E-1","num_class":"0","num_feature":"'
            + str(features) + '","num_target":"1"},'
            '"objective":{"name":"reg:squarederror","reg_loss_param":{"scale_pos_weight":"1"}}},'
            '"version":[1,7,4]}')
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(head.replace("@NUM_TREES@", str(len(trees))))
        for i, text in enumerate(trees):
            if i:
                f.write(",")
            f.write(text)
        f.write(tail)
    os.replace(tmp, path)
    return len(trees), os.path.getsize(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--size-mb", type=float, default=1024)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    trees, size = write_model(args.out, args.size_mb, args.depth, args.features, args.seed)
    print(f"big_xgboost_model: {args.out}: {trees} trees of depth {args.depth}, "
          f"{size / (1 << 20):.1f} MiB")


if __name__ == "__main__":
    main()
