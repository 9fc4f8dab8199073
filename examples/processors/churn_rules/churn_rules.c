/* churn_rules: business rules around the churn model, as a Kiln custom processor (C ABI v1,
 * include/kiln/serve/processor_abi.h).
 *
 *  - pre_process rejects rows whose tenure is negative (HTTP 400 naming the row and the value);
 *  - post_process adds an output "action": "call_customer" when P(positive class) > threshold,
 *    else "none".
 *
 * config (processor.config in the model's config.json), every key optional:
 *   {"threshold": 0.5, "positive_class": "Yes", "tenure_feature": "tenure"}
 *
 * The state is read-only after init, so pre_process and post_process are thread-safe. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/serve/processor_abi.h"

enum { kNameBytes = 128 };

typedef struct ChurnRules {
  double threshold;
  char positive_class[kNameBytes];
  char tenure_feature[kNameBytes];
} ChurnRules;

/* --- a tiny reader for the flat config object Kiln passes (compact JSON) --- */

/* The value of top-level "key" in json[0..len), or NULL; *end is one past the text scanned. */
static const char* find_value(const char* json, size_t len, const char* key) {
  char pattern[kNameBytes + 4];
  snprintf(pattern, sizeof pattern, "\"%s\"", key);
  const size_t plen = strlen(pattern);
  for (size_t i = 0; i + plen <= len; ++i) {
    if (memcmp(json + i, pattern, plen) != 0) continue;
    size_t j = i + plen;
    while (j < len && isspace((unsigned char)json[j])) ++j;
    if (j < len && json[j] == ':') {
      ++j;
      while (j < len && isspace((unsigned char)json[j])) ++j;
      return json + j;
    }
  }
  return NULL;
}

/* Reads "text" at v into out (no escapes); 0 on success. */
static int read_string(const char* v, const char* end, char* out, size_t out_len) {
  if (v >= end || *v != '"') return 1;
  const char* close = memchr(v + 1, '"', (size_t)(end - v - 1));
  if (close == NULL || (size_t)(close - v - 1) >= out_len || close == v + 1) return 1;
  memcpy(out, v + 1, (size_t)(close - v - 1));
  out[close - v - 1] = '\0';
  return 0;
}

static int init(const char* config, size_t len, void** state, char* err, size_t err_len) {
  ChurnRules* rules = calloc(1, sizeof *rules);
  if (rules == NULL) {
    snprintf(err, err_len, "out of memory");
    return KILN_PROCESSOR_FAILED;
  }
  rules->threshold = 0.5;
  strcpy(rules->positive_class, "Yes");
  strcpy(rules->tenure_feature, "tenure");
  const char* end = config + len;
  const char* v = find_value(config, len, "threshold");
  if (v != NULL) {
    char number[64] = {0};
    size_t n = 0;
    while (v + n < end && n + 1 < sizeof number && strchr("+-.0123456789eE", v[n])) ++n;
    memcpy(number, v, n);
    char* stop = NULL;
    rules->threshold = strtod(number, &stop);
    if (n == 0 || *stop != '\0' || !(rules->threshold >= 0.0 && rules->threshold <= 1.0)) {
      snprintf(err, err_len, "config.threshold: expected a number in [0, 1], found %.*s",
               (int)(n == 0 ? 16 : n), v);
      free(rules);
      return KILN_PROCESSOR_FAILED;
    }
  }
  v = find_value(config, len, "positive_class");
  if (v != NULL && read_string(v, end, rules->positive_class, kNameBytes) != 0) {
    snprintf(err, err_len, "config.positive_class: expected a class name (a non-empty string)");
    free(rules);
    return KILN_PROCESSOR_FAILED;
  }
  v = find_value(config, len, "tenure_feature");
  if (v != NULL && read_string(v, end, rules->tenure_feature, kNameBytes) != 0) {
    snprintf(err, err_len, "config.tenure_feature: expected a feature name (a non-empty string)");
    free(rules);
    return KILN_PROCESSOR_FAILED;
  }
  *state = rules;
  return KILN_PROCESSOR_OK;
}

static int describe(void* state, const KilnDescribeSinkV1* sink, char* err, size_t err_len) {
  (void)state;
  const int64_t shape[1] = {-1};
  if (sink->add_output(sink->host, "action", KILN_DATATYPE_BYTES, shape, 1) != 0) {
    snprintf(err, err_len, "cannot declare the output \"action\"");
    return KILN_PROCESSOR_FAILED;
  }
  return KILN_PROCESSOR_OK;
}

static int pre_process(void* state, const KilnBatchV1* batch, const KilnBatchEditorV1* editor,
                       char* err, size_t err_len) {
  const ChurnRules* rules = state;
  (void)editor; /* the request goes to the model unchanged */
  for (size_t c = 0; c < batch->num_columns; ++c) {
    const KilnColumnV1* col = &batch->columns[c];
    if (strcmp(col->name, rules->tenure_feature) != 0) continue;
    for (size_t r = 0; r < batch->rows; ++r) {
      double tenure = NAN;
      if (col->is_text) {
        if (col->texts[r][0] != '\0') tenure = strtod(col->texts[r], NULL);
      } else {
        tenure = col->numbers[r];
      }
      if (tenure < 0) {
        snprintf(err, err_len, "row %zu: %s is %g; a customer's tenure (months) cannot be negative",
                 r, rules->tenure_feature, tenure);
        return KILN_PROCESSOR_BAD_REQUEST;
      }
    }
  }
  return KILN_PROCESSOR_OK;
}

static int post_process(void* state, const KilnBatchV1* batch, const KilnOutputsV1* outputs,
                        const KilnOutputEditorV1* editor, char* err, size_t err_len) {
  const ChurnRules* rules = state;
  const KilnTensorV1* probs = NULL;
  for (size_t i = 0; i < outputs->num_tensors; ++i)
    if (strcmp(outputs->tensors[i].name, "probabilities") == 0) probs = &outputs->tensors[i];
  if (probs == NULL || probs->rank != 2 || probs->numbers == NULL) {
    snprintf(err, err_len, "the model answers no [rows, classes] \"probabilities\" output");
    return KILN_PROCESSOR_FAILED;
  }
  size_t positive = outputs->num_classes;
  for (size_t k = 0; k < outputs->num_classes; ++k)
    if (strcmp(outputs->class_names[k], rules->positive_class) == 0) positive = k;
  if (positive == outputs->num_classes) {
    snprintf(err, err_len, "the model has no class \"%s\" (config.positive_class)",
             rules->positive_class);
    return KILN_PROCESSOR_FAILED;
  }
  const size_t rows = (size_t)probs->shape[0];
  const size_t classes = (size_t)probs->shape[1];
  (void)batch;
  const char** actions = malloc((rows ? rows : 1) * sizeof *actions);
  if (actions == NULL) {
    snprintf(err, err_len, "out of memory");
    return KILN_PROCESSOR_FAILED;
  }
  for (size_t r = 0; r < rows; ++r)
    actions[r] =
        probs->numbers[r * classes + positive] > rules->threshold ? "call_customer" : "none";
  const int64_t shape[1] = {(int64_t)rows};
  const int rc = editor->set_texts(editor->host, "action", shape, 1, actions, rows);
  free(actions); /* set_texts copied the strings */
  if (rc != 0) {
    snprintf(err, err_len, "cannot set the output \"action\"");
    return KILN_PROCESSOR_FAILED;
  }
  return KILN_PROCESSOR_OK;
}

static void free_state(void* state) { free(state); }

static const KilnProcessorV1 kTable = {
    "churn_rules", init, describe, pre_process, post_process, free_state,
};

uint32_t kiln_processor_abi_version(void) { return KILN_PROCESSOR_ABI_VERSION; }

const KilnProcessorV1* kiln_processor_v1(void) { return &kTable; }
