/* Kiln custom processor ABI, version 1: business logic around a served model, in a shared
 * library that `kiln serve` loads per model (config.json: {"processor": {"library": "...",
 * "platform": "kiln", "config": {...}}}). Pure C: no C++ types cross this boundary, so a
 * processor can be written in C, C++ (with extern "C"), Rust, Zig, ...
 *
 * A library exports two symbols:
 *   uint32_t kiln_processor_abi_version(void);         returns KILN_PROCESSOR_ABI_VERSION
 *   const KilnProcessorV1* kiln_processor_v1(void);   a table valid until the library unloads
 * Kiln refuses a library whose version it does not know, naming both versions. A future ABI adds
 * kiln_processor_v2 and a new version number; this header's structs never change.
 *
 * Life cycle of one served model version:
 *   init(config) once -> describe() once (optional) -> pre_process / post_process per request,
 *   from many threads at once -> free_state() once when the version unloads -> dlclose.
 *
 * Memory ownership:
 *  - Everything Kiln passes in (config, batch, outputs, names, value arrays, the error buffer) is
 *    owned by Kiln and valid only during the call; a processor must not keep pointers to it.
 *  - A processor changes the request or the answer only through the editor callbacks, which copy
 *    what they are given; the processor keeps ownership of its own buffers and frees them (a
 *    stack array is fine). Edits take effect after the call returns.
 *  - The state that init stores in *state is the processor's: Kiln passes it back unchanged and
 *    calls free_state(state) exactly once. If init fails, Kiln does not call free_state, so init
 *    releases whatever it allocated before returning an error.
 *  - Errors: return non-zero and write a NUL-terminated message of at most err_len bytes
 *    (truncate) into err; Kiln prefixes the processor's name.
 *
 * Thread-safety: init, describe and free_state are never called concurrently with anything
 * else for the same state. pre_process and post_process ARE called concurrently from many
 * threads with the same state: treat the state as read-only after init, or lock. Never let a
 * C++ exception or a longjmp cross this boundary.
 */
#ifndef KILN_SERVE_PROCESSOR_ABI_H_
#define KILN_SERVE_PROCESSOR_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_PROCESSOR_ABI_VERSION 1u

/* Exported even when the library is built with -fvisibility=hidden. */
#if defined(__GNUC__) || defined(__clang__)
#define KILN_PROCESSOR_EXPORT __attribute__((visibility("default")))
#else
#define KILN_PROCESSOR_EXPORT
#endif

/* Return codes. From pre_process any non-zero code except KILN_PROCESSOR_FAILED is the client's
 * fault (HTTP 400, gRPC INVALID_ARGUMENT); from post_process any non-zero code except
 * KILN_PROCESSOR_BAD_REQUEST is the processor's (HTTP 500, gRPC INTERNAL). */
#define KILN_PROCESSOR_OK 0
#define KILN_PROCESSOR_BAD_REQUEST 1
#define KILN_PROCESSOR_FAILED 2

/* Datatype names (Open Inference Protocol). */
#define KILN_DATATYPE_FP64 "FP64"
#define KILN_DATATYPE_INT64 "INT64"
#define KILN_DATATYPE_BYTES "BYTES"

/* One feature column of a request: `rows` values, numbers (NaN = missing) or NUL-terminated
 * texts ("" = missing): read numbers when !is_text, texts when is_text (NULL when rows is 0). */
typedef struct KilnColumnV1 {
  const char* name;
  int is_text;
  const double* numbers;
  const char* const* texts;
} KilnColumnV1;

/* The request's rows as named columns (the features the client sent). */
typedef struct KilnBatchV1 {
  size_t rows;
  size_t num_columns;
  const KilnColumnV1* columns;
} KilnBatchV1;

/* Changes pre_process makes to the request before the model sees it. The row count is fixed:
 * every column set here has exactly batch->rows values. Each call returns 0, or non-zero for a
 * misuse (NULL name, wrong length), which also fails the request with a 500 naming the misuse. */
typedef struct KilnBatchEditorV1 {
  void* host; /* pass to every callback */
  /* Adds or replaces the numeric column `name` (copies `values`). */
  int (*set_numbers)(void* host, const char* name, const double* values, size_t count);
  /* Adds or replaces the text column `name` (copies the strings). */
  int (*set_texts)(void* host, const char* name, const char* const* values, size_t count);
  /* Removes the column `name` (no-op if absent). */
  int (*remove_column)(void* host, const char* name);
} KilnBatchEditorV1;

/* One output tensor of the model, row-major. FP64/INT64 tensors have `count` numbers, BYTES
 * tensors `count` NUL-terminated texts; count is the product of the shape, shape[0] the rows. */
typedef struct KilnTensorV1 {
  const char* name;
  const char* datatype; /* KILN_DATATYPE_* */
  const int64_t* shape;
  size_t rank;
  size_t count;
  const double* numbers;    /* FP64, INT64 (integral values); else NULL */
  const char* const* texts; /* BYTES; else NULL */
} KilnTensorV1;

/* What the model answered. Classifiers answer "predictions" (BYTES, [rows]) and "probabilities"
 * (FP64, [rows, num_classes], columns in class_names order); regressors "predictions" (FP64). */
typedef struct KilnOutputsV1 {
  size_t num_tensors;
  const KilnTensorV1* tensors;
  size_t num_classes;
  const char* const* class_names;
} KilnOutputsV1;

/* Changes post_process makes to the answer (same rules as KilnBatchEditorV1). */
typedef struct KilnOutputEditorV1 {
  void* host;
  /* Adds or replaces an FP64 / INT64 output; count must be the product of shape[0..rank). */
  int (*set_numbers)(void* host, const char* name, const char* datatype, const int64_t* shape,
                     size_t rank, const double* values, size_t count);
  /* Adds or replaces a BYTES output. */
  int (*set_texts)(void* host, const char* name, const int64_t* shape, size_t rank,
                   const char* const* values, size_t count);
  /* Removes the output `name` (no-op if absent). */
  int (*remove_output)(void* host, const char* name);
} KilnOutputEditorV1;

/* Where describe declares tensors for the model's metadata; shape uses -1 for the rows. */
typedef struct KilnDescribeSinkV1 {
  void* host;
  /* An input the client sends for the processor alone: Kiln accepts it, shows it to
   * pre_process and post_process, and drops it before the model runs. */
  int (*add_input)(void* host, const char* name, const char* datatype, const int64_t* shape,
                   size_t rank);
  /* An output post_process adds to every answer. */
  int (*add_output)(void* host, const char* name, const char* datatype, const int64_t* shape,
                    size_t rank);
} KilnDescribeSinkV1;

typedef struct KilnProcessorV1 {
  /* A short name for messages and metadata ("churn_rules"): [A-Za-z0-9_.-], static storage. */
  const char* name;
  /* Required. config_json is the model's "processor.config" object as JSON ("{}" if absent),
   * not NUL-terminated. Stores the processor's state (may be NULL) in *state. */
  int (*init)(const char* config_json, size_t config_len, void** state, char* err, size_t err_len);
  /* Optional (NULL = declares nothing). */
  int (*describe)(void* state, const KilnDescribeSinkV1* sink, char* err, size_t err_len);
  /* Optional (NULL = the request goes to the model unchanged). Validate, fill in or derive
   * features. */
  int (*pre_process)(void* state, const KilnBatchV1* batch, const KilnBatchEditorV1* editor,
                     char* err, size_t err_len);
  /* Optional (NULL = the model's answer unchanged). `batch` is the request after pre_process
   * (including the processor's own inputs). */
  int (*post_process)(void* state, const KilnBatchV1* batch, const KilnOutputsV1* outputs,
                      const KilnOutputEditorV1* editor, char* err, size_t err_len);
  /* Required; releases what init allocated. */
  void (*free_state)(void* state);
} KilnProcessorV1;

/* The two exported symbols (declared here so a C++ processor gets C linkage by including this
 * header). */
KILN_PROCESSOR_EXPORT uint32_t kiln_processor_abi_version(void);
KILN_PROCESSOR_EXPORT const KilnProcessorV1* kiln_processor_v1(void); /* NOLINT */

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_SERVE_PROCESSOR_ABI_H_ */
