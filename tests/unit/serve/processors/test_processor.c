/* A processor for custom_processor_test.cc, built three times: as is (libtest_processor.so),
 * with TEST_ABI_VERSION=999 (a version mismatch) and with TEST_OMIT_TABLE (a missing symbol).
 *
 * It declares an input "segment" (the processor's own: dropped before the model) and an output
 * "doubled"; pre_process adds 1 to the feature "x" (set_numbers); post_process writes
 * doubled = 2 * predictions and echo = segment. config {"mode": M} changes that: "fail_init",
 * "misuse" (set_numbers with a wrong length), "fail_post" (post_process fails). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/serve/processor_abi.h"

#ifndef TEST_ABI_VERSION
#define TEST_ABI_VERSION KILN_PROCESSOR_ABI_VERSION
#endif

typedef struct State {
  int misuse;
  int fail_post;
} State;

static int has(const char* config, size_t len, const char* text) {
  const size_t n = strlen(text);
  for (size_t i = 0; i + n <= len; ++i)
    if (memcmp(config + i, text, n) == 0) return 1;
  return 0;
}

static int init(const char* config, size_t len, void** state, char* err, size_t err_len) {
  if (has(config, len, "fail_init")) {
    snprintf(err, err_len, "config.mode: told to fail");
    return KILN_PROCESSOR_FAILED;
  }
  State* s = calloc(1, sizeof *s);
  if (s == NULL) return KILN_PROCESSOR_FAILED;
  s->misuse = has(config, len, "misuse");
  s->fail_post = has(config, len, "fail_post");
  *state = s;
  return KILN_PROCESSOR_OK;
}

static int describe(void* state, const KilnDescribeSinkV1* sink, char* err, size_t err_len) {
  (void)state;
  (void)err;
  (void)err_len;
  const int64_t shape[1] = {-1};
  sink->add_input(sink->host, "segment", KILN_DATATYPE_BYTES, shape, 1);
  sink->add_output(sink->host, "doubled", KILN_DATATYPE_FP64, shape, 1);
  return KILN_PROCESSOR_OK;
}

static const KilnColumnV1* column(const KilnBatchV1* batch, const char* name) {
  for (size_t c = 0; c < batch->num_columns; ++c)
    if (strcmp(batch->columns[c].name, name) == 0) return &batch->columns[c];
  return NULL;
}

static int pre_process(void* state, const KilnBatchV1* batch, const KilnBatchEditorV1* editor,
                       char* err, size_t err_len) {
  const State* s = state;
  const KilnColumnV1* x = column(batch, "x");
  if (x == NULL || x->is_text) {
    snprintf(err, err_len, "feature x is required");
    return KILN_PROCESSOR_BAD_REQUEST;
  }
  double* plus = malloc((batch->rows + 1) * sizeof *plus);
  if (plus == NULL) return KILN_PROCESSOR_FAILED;
  for (size_t r = 0; r < batch->rows; ++r) plus[r] = x->numbers[r] + 1;
  const size_t count = s->misuse ? batch->rows + 1 : batch->rows;
  const int rc = editor->set_numbers(editor->host, "x", plus, count);
  free(plus);
  return rc;
}

static int post_process(void* state, const KilnBatchV1* batch, const KilnOutputsV1* outputs,
                        const KilnOutputEditorV1* editor, char* err, size_t err_len) {
  const State* s = state;
  if (s->fail_post) {
    snprintf(err, err_len, "told to fail");
    return KILN_PROCESSOR_FAILED;
  }
  const KilnTensorV1* pred = NULL;
  for (size_t i = 0; i < outputs->num_tensors; ++i)
    if (strcmp(outputs->tensors[i].name, "predictions") == 0) pred = &outputs->tensors[i];
  if (pred == NULL || pred->numbers == NULL) return KILN_PROCESSOR_FAILED;
  double* doubled = malloc((pred->count + 1) * sizeof *doubled);
  if (doubled == NULL) return KILN_PROCESSOR_FAILED;
  for (size_t r = 0; r < pred->count; ++r) doubled[r] = 2 * pred->numbers[r];
  const int64_t shape[1] = {(int64_t)pred->count};
  int rc = editor->set_numbers(editor->host, "doubled", KILN_DATATYPE_FP64, shape, 1, doubled,
                               pred->count);
  free(doubled);
  const KilnColumnV1* segment = column(batch, "segment");
  if (rc == 0 && segment != NULL && segment->is_text)
    rc = editor->set_texts(editor->host, "echo", shape, 1, segment->texts, batch->rows);
  return rc;
}

static void free_state(void* state) { free(state); }

uint32_t kiln_processor_abi_version(void) { return TEST_ABI_VERSION; }

/* Not static: the TEST_OMIT_TABLE build keeps it (hidden) without exporting the getter. */
const KilnProcessorV1 test_table = {
    "test_processor", init, describe, pre_process, post_process, free_state,
};

#ifndef TEST_OMIT_TABLE
const KilnProcessorV1* kiln_processor_v1(void) { return &test_table; }
#endif
