#!/usr/bin/python3
"""Writes the PMML parity fixtures under tests/data/pmml/ with Debian's scikit-learn and XGBoost.

Tree models (TreeModel):
  tree_classifier  sklearn DecisionTreeClassifier on data/penguins (species): numeric columns
                   with missing values imputed by the training median (written as the
                   MiningFields' missingValueReplacement), island and sex one-hot encoded for
                   sklearn and written back as SimpleSetPredicates on the categorical fields (a
                   missing sex takes the "not in" branch through a surrogate, as its all-zero
                   one-hot encoding does in sklearn).
  tree_regressor   sklearn DecisionTreeRegressor on data/concrete (compressive_strength).
Each has <name>.pmml, <name>.input.csv (header = fields, empty cell = missing) and
<name>.expected.csv (predict, then predict_proba columns for the classifier).

Boosted trees (MiningModel): the XGBoost fixtures of tests/data/xgboost/ (binary, multiclass,
regression, poisson; written by scripts/make-xgboost-fixtures.py) converted from their JSON
model into xgb_<name>.pmml: per output group a sum of regression TreeModels (splits x < c, a
missing value to each node's default child) plus the base margin as a Target rescaleConstant,
chained into a RegressionModel with the objective's link (logit, softmax, exp). Their inputs and
xgboost's own predictions stay in tests/data/xgboost/.

Run from the repository root after scripts/fetch_datasets.py:
  /usr/bin/python3 scripts/make-pmml-fixtures.py
"""
import csv
import json
import math
import os
from xml.sax.saxutils import quoteattr

import numpy as np
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "data", "pmml")
XGB = os.path.join(ROOT, "tests", "data", "xgboost")
DATA = os.environ.get("KILN_DATA_DIR", os.path.join(ROOT, "data"))
SEED = 11


def num(v):
    """The shortest text that reads back as the same double."""
    return repr(float(v))


def f32(v):
    """A float32 value as the double that holds it exactly."""
    return num(np.float32(v))


class Xml:
    """A small indenting XML writer (attribute values quoted and escaped)."""

    def __init__(self):
        self.lines = ['<?xml version="1.0" encoding="UTF-8"?>']
        self.depth = 0

    def _tag(self, name, attrs):
        parts = [name] + [f"{k}={quoteattr(str(v))}" for k, v in attrs.items()]
        return " ".join(parts)

    def open(self, element, **attrs):
        self.lines.append("  " * self.depth + f"<{self._tag(element, attrs)}>")
        self.depth += 1

    def close(self, element):
        self.depth -= 1
        self.lines.append("  " * self.depth + f"</{element}>")

    def empty(self, element, **attrs):
        self.lines.append("  " * self.depth + f"<{self._tag(element, attrs)}/>")

    def text(self, element, text, **attrs):
        self.lines.append("  " * self.depth + f"<{self._tag(element, attrs)}>{text}</{element}>")

    def save(self, path):
        with open(path, "w") as f:
            f.write("\n".join(self.lines) + "\n")


def header(x, description):
    x.open("PMML", xmlns="http://www.dmg.org/PMML-4_4", version="4.4")
    x.open("Header", description=description)
    x.empty("Application", name="scripts/make-pmml-fixtures.py", version="1")
    x.close("Header")


def read_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


# --- sklearn trees ---------------------------------------------------------------------------

class Encoding:
    """Numeric columns (median-imputed) and one-hot categorical columns, as sklearn sees them."""

    def __init__(self, header, rows, numeric, categorical):
        self.numeric = numeric
        self.categorical = categorical
        col = {name: i for i, name in enumerate(header)}
        self.col = col
        self.medians = {}
        for name in numeric:
            values = [float(r[col[name]]) for r in rows if r[col[name]] != ""]
            self.medians[name] = float(np.median(values))
        self.categories = {name: sorted({r[col[name]] for r in rows if r[col[name]] != ""})
                           for name in categorical}
        # sklearn feature index -> (field, None) for numeric or (field, category) for one-hot
        self.features = [(n, None) for n in numeric]
        for name in categorical:
            self.features += [(name, c) for c in self.categories[name]]

    def matrix(self, rows):
        x = np.zeros((len(rows), len(self.features)))
        for i, r in enumerate(rows):
            for j, (name, category) in enumerate(self.features):
                v = r[self.col[name]]
                if category is None:
                    x[i, j] = float(v) if v != "" else self.medians[name]
                else:
                    x[i, j] = 1.0 if v == category else 0.0
        return x


def write_node_predicate(x, enc, feature, threshold, left):
    """The predicate of sklearn's left (x <= t) or right child on sklearn feature `feature`."""
    name, category = enc.features[feature]
    if category is None:
        x.empty("SimplePredicate", field=name, operator="lessOrEqual" if left else "greaterThan",
                value=num(threshold))
        return
    # A one-hot column is 0/1: right (> t, t in (0, 1)) is "name is category".
    if not left:
        x.open("SimpleSetPredicate", field=name, booleanOperator="isIn")
        x.text("Array", f'"{category}"', n="1", type="string")
        x.close("SimpleSetPredicate")
        return
    # Left is "not category", which a missing value (all-zero one-hot) also takes.
    x.open("CompoundPredicate", booleanOperator="surrogate")
    x.open("SimpleSetPredicate", field=name, booleanOperator="isNotIn")
    x.text("Array", f'"{category}"', n="1", type="string")
    x.close("SimpleSetPredicate")
    x.empty("True")
    x.close("CompoundPredicate")


def write_sklearn_tree(x, tree, enc, classes, node=0, predicate=None):
    t = tree.tree_
    attrs = {"id": str(node)}
    value = t.value[node][0]
    if classes is not None:
        attrs["score"] = classes[int(np.argmax(value))]
        attrs["recordCount"] = num(value.sum())
    else:
        attrs["score"] = num(value[0])
    x.open("Node", **attrs)
    if predicate is None:
        x.empty("True")
    else:
        write_node_predicate(x, enc, *predicate)
    if classes is not None:
        total = value.sum()
        for k, c in enumerate(classes):
            x.empty("ScoreDistribution", value=c, recordCount=num(value[k]),
                    probability=num(value[k] / total))
    if t.children_left[node] != -1:
        f, thr = t.feature[node], t.threshold[node]
        write_sklearn_tree(x, tree, enc, classes, t.children_left[node], (f, thr, True))
        write_sklearn_tree(x, tree, enc, classes, t.children_right[node], (f, thr, False))
    x.close("Node")


def sklearn_fixture(name, dataset, label, numeric, categorical, model, description):
    head, train = read_csv(os.path.join(DATA, dataset, "train.csv"))
    _, test = read_csv(os.path.join(DATA, dataset, "test.csv"))
    enc = Encoding(head, train, numeric, categorical)
    # Blank some test cells so the replacement of missing values is exercised.
    for i, r in enumerate(test):
        if i % 4 == 0:
            r[head.index(numeric[(i // 4) % len(numeric)])] = ""
    y_index = head.index(label)
    classification = isinstance(model, DecisionTreeClassifier)
    y = [r[y_index] for r in train]
    model.fit(enc.matrix(train).astype(np.float32), y if classification else
              np.array([float(v) for v in y]))
    classes = [str(c) for c in model.classes_] if classification else None

    x = Xml()
    header(x, description)
    x.open("DataDictionary", numberOfFields=str(len(numeric) + len(categorical) + 1))
    for n in numeric:
        x.empty("DataField", name=n, optype="continuous", dataType="float")
    for n in categorical:
        x.open("DataField", name=n, optype="categorical", dataType="string")
        for c in enc.categories[n]:
            x.empty("Value", value=c)
        x.close("DataField")
    if classification:
        x.open("DataField", name=label, optype="categorical", dataType="string")
        for c in classes:
            x.empty("Value", value=c)
        x.close("DataField")
    else:
        x.empty("DataField", name=label, optype="continuous", dataType="double")
    x.close("DataDictionary")
    x.open("TreeModel", modelName=name,
           functionName="classification" if classification else "regression",
           missingValueStrategy="none", noTrueChildStrategy="returnNullPrediction",
           splitCharacteristic="binarySplit")
    x.open("MiningSchema")
    x.empty("MiningField", name=label, usageType="target")
    for n in numeric:
        x.empty("MiningField", name=n, missingValueTreatment="asMedian",
                missingValueReplacement=num(enc.medians[n]))
    for n in categorical:
        x.empty("MiningField", name=n)
    x.close("MiningSchema")
    write_sklearn_tree(x, model, enc, classes)
    x.close("TreeModel")
    x.close("PMML")
    x.save(os.path.join(OUT, f"{name}.pmml"))

    fields = numeric + categorical
    with open(os.path.join(OUT, f"{name}.input.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(fields)
        for r in test:
            w.writerow([r[head.index(n)] for n in fields])
    xt = enc.matrix(test).astype(np.float32)
    with open(os.path.join(OUT, f"{name}.expected.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        if classification:
            w.writerow(["prediction"] + [f"probability_{c}" for c in classes])
            for p, proba in zip(model.predict(xt), model.predict_proba(xt)):
                w.writerow([p] + [num(v) for v in proba])
        else:
            w.writerow(["prediction"])
            for p in model.predict(xt):
                w.writerow([num(p)])


# --- XGBoost boosters ------------------------------------------------------------------------

def write_xgb_tree(x, tree, names, node, predicate=None):
    left, right = tree["left_children"][node], tree["right_children"][node]
    leaf = left == -1
    attrs = {"id": str(node)}
    if leaf:
        attrs["score"] = f32(tree["split_conditions"][node])
    else:
        attrs["defaultChild"] = str(left if tree["default_left"][node] else right)
    x.open("Node", **attrs)
    if predicate is None:
        x.empty("True")
    else:
        name, op, value = predicate
        x.empty("SimplePredicate", field=name, operator=op, value=value)
    if not leaf:
        name = names[tree["split_indices"][node]]
        cond = f32(tree["split_conditions"][node])
        write_xgb_tree(x, tree, names, left, (name, "lessThan", cond))
        write_xgb_tree(x, tree, names, right, (name, "greaterOrEqual", cond))
    x.close("Node")


def used_features(tree, names):
    return {names[f] for f, l in zip(tree["split_indices"], tree["left_children"]) if l != -1}


def write_margin(x, trees, names, base_margin, output=None, **attrs):
    """A regression MiningModel summing `trees` plus base_margin (a Target rescaleConstant)."""
    x.open("MiningModel", functionName="regression", **attrs)
    x.open("MiningSchema")
    for n in names:
        x.empty("MiningField", name=n)
    x.close("MiningSchema")
    if output is not None:
        x.open("Output")
        x.empty("OutputField", name=output, optype="continuous", dataType="double",
                feature="predictedValue", isFinalResult="false")
        x.close("Output")
    x.open("Targets")
    x.empty("Target", rescaleConstant=num(base_margin))
    x.close("Targets")
    x.open("Segmentation", multipleModelMethod="sum")
    for i, tree in trees:
        x.open("Segment", id=str(i))
        x.empty("True")
        x.open("TreeModel", functionName="regression", missingValueStrategy="defaultChild",
               noTrueChildStrategy="returnNullPrediction", splitCharacteristic="binarySplit")
        x.open("MiningSchema")
        for n in sorted(used_features(tree, names), key=names.index):
            x.empty("MiningField", name=n)
        x.close("MiningSchema")
        write_xgb_tree(x, tree, names, 0)
        x.close("TreeModel")
        x.close("Segment")
    x.close("Segmentation")
    x.close("MiningModel")


def xgboost_fixture(name):
    with open(os.path.join(XGB, f"{name}.model.json")) as f:
        learner = json.load(f)["learner"]
    params = learner["learner_model_param"]
    base_score = float(params["base_score"].strip("[]"))
    num_feature = int(params["num_feature"])
    names = learner.get("feature_names") or [f"f{i}" for i in range(num_feature)]
    objective = learner["objective"]["name"]
    model = learner["gradient_booster"]["model"]
    trees = list(enumerate(model["trees"]))
    groups = model["tree_info"]
    if objective == "binary:logistic":
        kind, classes, margin = "binary", ["0", "1"], -math.log(1 / base_score - 1)
    elif objective in ("multi:softprob", "multi:softmax"):
        k = int(params["num_class"])
        kind, classes, margin = "multiclass", [str(c) for c in range(k)], base_score
    elif objective == "count:poisson":
        kind, classes, margin = "poisson", None, math.log(base_score)
    elif objective == "reg:squarederror":
        kind, classes, margin = "regression", None, base_score
    else:
        raise SystemExit(f"{name}: objective {objective} is not converted")
    margin = float(np.float32(margin))  # XGBoost keeps the base margin as a float

    x = Xml()
    header(x, f"XGBoost {objective} model tests/data/xgboost/{name}.model.json")
    x.open("DataDictionary", numberOfFields=str(len(names) + 1))
    for n in names:
        x.empty("DataField", name=n, optype="continuous", dataType="float")
    if classes:
        x.open("DataField", name="label", optype="categorical", dataType="string")
        for c in classes:
            x.empty("Value", value=c)
        x.close("DataField")
    else:
        x.empty("DataField", name="label", optype="continuous", dataType="double")
    x.close("DataDictionary")

    if kind == "regression":
        write_margin(x, trees, names, margin, modelName="xgboost")  # the sum is the whole model
        x.close("PMML")
        x.save(os.path.join(OUT, f"xgb_{name}.pmml"))
        return

    x.open("MiningModel", functionName="classification" if classes else "regression",
           modelName="xgboost")
    x.open("MiningSchema")
    x.empty("MiningField", name="label", usageType="target")
    for n in names:
        x.empty("MiningField", name=n)
    x.close("MiningSchema")
    x.open("Segmentation", multipleModelMethod="modelChain")
    outputs = []
    ngroups = len(classes) if kind == "multiclass" else 1
    for g in range(ngroups):
        output = f"margin({g})" if kind == "multiclass" else "margin"
        outputs.append(output)
        x.open("Segment", id=f"margin{g}")
        x.empty("True")
        write_margin(x, [t for t in trees if groups[t[0]] == g], names, margin, output)
        x.close("Segment")
    x.open("Segment", id="link")
    x.empty("True")
    x.open("RegressionModel", functionName="classification" if classes else "regression",
           normalizationMethod={"binary": "logit", "multiclass": "softmax",
                                "poisson": "exp"}[kind])
    x.open("MiningSchema")
    x.empty("MiningField", name="label", usageType="target")
    for o in outputs:
        x.empty("MiningField", name=o)
    x.close("MiningSchema")
    if kind == "binary":
        x.open("RegressionTable", intercept="0", targetCategory="1")
        x.empty("NumericPredictor", name="margin", coefficient="1")
        x.close("RegressionTable")
        x.empty("RegressionTable", intercept="0", targetCategory="0")
    elif kind == "multiclass":
        for g, c in enumerate(classes):
            x.open("RegressionTable", intercept="0", targetCategory=c)
            x.empty("NumericPredictor", name=outputs[g], coefficient="1")
            x.close("RegressionTable")
    else:
        x.open("RegressionTable", intercept="0")
        x.empty("NumericPredictor", name="margin", coefficient="1")
        x.close("RegressionTable")
    x.close("RegressionModel")
    x.close("Segment")
    x.close("Segmentation")
    x.close("MiningModel")
    x.close("PMML")
    x.save(os.path.join(OUT, f"xgb_{name}.pmml"))


def main():
    os.makedirs(OUT, exist_ok=True)
    sklearn_fixture(
        "tree_classifier", "penguins", "species",
        ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year"],
        ["island", "sex"],
        DecisionTreeClassifier(max_depth=5, min_samples_leaf=3, random_state=SEED),
        "sklearn DecisionTreeClassifier on penguins (species)")
    sklearn_fixture(
        "tree_regressor", "concrete", "compressive_strength",
        ["cement", "blast_furnace_slag", "fly_ash", "water", "superplasticizer",
         "coarse_aggregate", "fine_aggregate", "age"], [],
        DecisionTreeRegressor(max_depth=6, min_samples_leaf=5, random_state=SEED),
        "sklearn DecisionTreeRegressor on concrete (compressive_strength)")
    for name in ("binary", "multiclass", "regression", "poisson"):
        xgboost_fixture(name)
    print(f"make-pmml-fixtures: wrote {OUT}")


if __name__ == "__main__":
    main()
