#!/usr/bin/env bash
# The README's main job on real data: list the algorithms, train logistic regression on the
# wa_churn telco data (string categoricals, missing values, Yes/No labels) and on breast_cancer,
# evaluate on the held-out test split, write predictions and inspect the model, show what tracking
# recorded, run the same job as a cached pipeline (examples/pipelines/churn.yaml), then serve the
# production churn model over HTTP and ask it about one customer.
#
# Usage: scripts/demo.sh BIN DATA_DIR        (make demo runs: scripts/demo.sh build/bin/kiln data)
# Outputs go to $KILN_DEMO_OUT (default out/demo/); running it again overwrites them. Runs,
# datasets, models and lineage are recorded in a fresh store under $KILN_DEMO_OUT/home (the
# demo's own KILN_HOME, so your ~/.kiln is left alone).
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BIN DATA_DIR   (e.g. $0 build/bin/kiln data)" >&2
  exit 2
fi
kiln=$1
data=$2
out=${KILN_DEMO_OUT:-out/demo}

if [[ ! -x $kiln ]]; then
  echo "demo: $kiln is not an executable; build it first (make build)" >&2
  exit 1
fi
for set in wa_churn breast_cancer; do
  for split in train test; do
    if [[ ! -f $data/$set/$split.csv ]]; then
      echo "demo: $data/$set/$split.csv is missing; create it with: make data" >&2
      exit 1
    fi
  done
done
mkdir -p "$out"
rm -rf "$out/home"
export KILN_HOME=$out/home
unset KILN_STORE

if [[ -t 1 ]]; then bold=$'\033[1m' reset=$'\033[0m'; else bold='' reset=''; fi
# step TITLE COMMAND...: prints the title and the command, then runs it (failing the demo if it
# fails).
step() {
  printf '\n%s== %s%s\n$ %s\n' "$bold" "$1" "$reset" "${*:2}"
  "${@:2}"
}

step "Kiln version" "$kiln" --version
step "Algorithms this build can train" "$kiln" algorithms

# Telco churn: text categoricals (contract, payment_method, ...), empty cells, labels No/Yes.
step "Train logistic regression on wa_churn (label 'churn'), validating on the test split" \
  "$kiln" train --algo logistic_regression --data "$data/wa_churn/train.csv" --label churn \
  --valid "$data/wa_churn/test.csv" --output "$out/churn.kiln"
step "Evaluate the churn model on the test split" \
  "$kiln" evaluate --model "$out/churn.kiln" --data "$data/wa_churn/test.csv"
step "Predict churn for the test split" \
  "$kiln" predict --model "$out/churn.kiln" --data "$data/wa_churn/test.csv" \
  --output "$out/churn_predictions.csv"
step "First rows of the predictions" head -n 6 "$out/churn_predictions.csv"
step "Inspect the churn model" "$kiln" inspect "$out/churn.kiln"

# Breast cancer: 30 numeric features, labels benign/malignant.
step "Train logistic regression on breast_cancer" \
  "$kiln" train --algo logistic_regression --data "$data/breast_cancer/train.csv" \
  --output "$out/breast_cancer.kiln"
step "Evaluate it on the test split" \
  "$kiln" evaluate --model "$out/breast_cancer.kiln" --data "$data/breast_cancer/test.csv"
step "Predict the test split" \
  "$kiln" predict --model "$out/breast_cancer.kiln" --data "$data/breast_cancer/test.csv" \
  --output "$out/breast_cancer_predictions.csv"

# Everything above was tracked with no extra flags.
step "Train again with a stronger penalty, registered as a new version of 'churn'" \
  "$kiln" train --algo logistic_regression --data "$data/wa_churn/train.csv" --label churn \
  --valid "$data/wa_churn/test.csv" -p l2=0.01 --register churn --experiment churn-l2 \
  --output "$out/churn_l2.kiln"
step "Runs recorded so far, best validation AUC first" \
  "$kiln" runs list --order-by "metric.auc desc"
step "Compare the two churn training runs" "$kiln" runs compare 1 5
step "Point the 'production' alias at churn version 1" "$kiln" models alias churn production 1
step "The churn model's versions and aliases" "$kiln" models show churn
step "Where churn@production came from and what used it" "$kiln" lineage churn@production
step "Datasets recorded (content-hashed versions with per-column statistics)" \
  "$kiln" datasets list

# The same work as a pipeline: read, split, two candidates, pick the better, evaluate, register
# as churn@staging and export PMML; a re-run with nothing changed is answered from the cache.
step "Validate the churn pipeline (examples/pipelines/churn.yaml)" \
  "$kiln" validate examples/pipelines/churn.yaml -p "data_dir=$data/wa_churn"
step "Run it: each step is cached by its component, params and input content" \
  "$kiln" run examples/pipelines/churn.yaml -p "data_dir=$data/wa_churn"
step "Run it again: nothing changed, nothing runs" \
  "$kiln" run examples/pipelines/churn.yaml -p "data_dir=$data/wa_churn"
step "Change one param: only that branch and what depends on it run" \
  "$kiln" run examples/pipelines/churn.yaml -p "data_dir=$data/wa_churn" -p l2_strong=0.1
step "The pipeline runs" "$kiln" pipelines runs

# Serve churn@production over HTTP and ask it about one customer.
printf '\n%s== %s%s\n$ %s\n' "$bold" \
  "Serve churn@production in the background (Open Inference Protocol + row format)" "$reset" \
  "$kiln serve --models churn@production --port 0 --port-file $out/serve.port &"
rm -f "$out/serve.port"
"$kiln" serve --models churn@production --port 0 --port-file "$out/serve.port" \
  --access-log "$out/serve_access.log" 2> "$out/serve.log" &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
  [[ -s $out/serve.port ]] && break
  kill -0 $serve_pid 2>/dev/null || { cat "$out/serve.log" >&2; exit 1; }
  sleep 0.05
done
[[ -s $out/serve.port ]] || { echo "demo: kiln serve did not start" >&2; cat "$out/serve.log" >&2; exit 1; }
port=$(cat "$out/serve.port")
cat "$out/serve.log"
request='{"instances": [{"female": 0, "senior_citizen": 0, "partner": 1, "dependents": 0,
  "tenure": 2, "phone_service": 1, "multiple_lines": "No", "internet_service": "Fiber optic",
  "online_security": "No", "online_backup": "No", "device_protection": "No",
  "tech_support": "No", "streaming_tv": "Yes", "streaming_movies": "Yes",
  "contract": "Month-to-month", "paperless_billing": 1, "payment_method": "Electronic check",
  "monthly_charges": 95.5, "total_charges": 191.0}]}'
printf '\n%s== Ask the server about one customer%s\n$ curl -s -X POST http://127.0.0.1:%s/v1/models/churn:predict -d @request.json\nrequest:  %s\n' \
  "$bold" "$reset" "$port" "$(tr -s ' \n' ' ' <<< "$request")"
answer=$(curl -sS --fail-with-body -X POST "http://127.0.0.1:$port/v1/models/churn:predict" \
  -H 'Content-Type: application/json' -d "$request")
printf 'answer:   %s\n' "$answer"
step "Server health (Open Inference Protocol)" \
  curl -sS --fail "http://127.0.0.1:$port/v2/health/ready"
echo
kill -TERM $serve_pid
wait $serve_pid
trap - EXIT
tail -n 1 "$out/serve.log"

rows=$(($(wc -l < "$out/churn_predictions.csv") - 1))
cat <<SUMMARY

Demo finished.
  churn model:          $out/churn.kiln
  churn predictions:    $out/churn_predictions.csv ($rows rows)
  breast cancer model:  $out/breast_cancer.kiln
  breast cancer preds:  $out/breast_cancer_predictions.csv
  tracking store:       $out/home/kiln.db
  pipeline PMML:        out/pipelines/churn.pmml (KILN_HOME=$out/home $kiln pipelines runs)
  served answers log:   $out/serve_access.log
Try: $kiln inspect $out/churn.kiln --json
     KILN_HOME=$out/home $kiln runs show 1
SUMMARY
