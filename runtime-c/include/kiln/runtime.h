/*
 * Kiln runtime: the small C interface that generated model code and its callers share.
 *
 * Layout: tensors are dense, row-major (the last dimension varies fastest), with no padding
 * between elements or rows; activations are NCHW unless a header generated for a model says
 * otherwise. Sub-byte element types (i4, u4, i2, u2, f4e2m1) occupy one byte per element.
 *
 * Alignment: every tensor buffer is aligned to its element size. The workspace a model's run
 * function takes must be aligned to KILN_WORKSPACE_ALIGNMENT bytes; buffers the memory planner
 * places inside it start at multiples of that alignment.
 *
 * Aliasing: input, output and workspace buffers passed to one call must not overlap, except that
 * two inputs may be the same buffer (inputs are read-only).
 *
 * Everything here is freestanding C11: this header includes only <stddef.h> and <stdint.h>, and
 * the runtime's functions call nothing from libc, allocate nothing and keep no global state, so
 * they are reentrant and usable on a microcontroller.
 */
#ifndef KILN_RUNTIME_H
#define KILN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_RUNTIME_VERSION_MAJOR 0
#define KILN_RUNTIME_VERSION_MINOR 1
#define KILN_RUNTIME_VERSION_PATCH 0
/* MAJOR * 10000 + MINOR * 100 + PATCH, for comparisons in the preprocessor. */
#define KILN_RUNTIME_VERSION                                                                       \
  (KILN_RUNTIME_VERSION_MAJOR * 10000 + KILN_RUNTIME_VERSION_MINOR * 100 +                         \
   KILN_RUNTIME_VERSION_PATCH)

/* The largest tensor rank generated code handles. */
#define KILN_MAX_RANK 8

/* Alignment in bytes of the workspace and of every buffer the memory planner places in it. */
#define KILN_WORKSPACE_ALIGNMENT 64

/* What a runtime or generated function returns. Zero is success; every error is positive. */
typedef enum kiln_status {
  KILN_OK = 0,
  KILN_ERR_BAD_ARGUMENT = 1, /* a NULL pointer, a negative size or an out-of-range value */
  KILN_ERR_SHAPE = 2,        /* a tensor's shape differs from what the model was compiled for */
  KILN_ERR_ALIGNMENT = 3,    /* a buffer is not aligned as the rules above require */
  KILN_ERR_UNSUPPORTED = 4,  /* a valid request this build does not implement */
  KILN_ERR_ACCELERATOR = 5,  /* an accelerator hook reported a failure */
  KILN_ERR_INTERNAL = 6      /* a bug in Kiln */
} kiln_status_t;

/*
 * Element types, numbered in the order of the Graph IR's ElementType (dev.kiln.ir.ElementType),
 * so an element type's ordinal there is its value here.
 */
typedef enum kiln_elem_type {
  KILN_F16 = 0,
  KILN_BF16 = 1,
  KILN_F32 = 2,
  KILN_F64 = 3,
  KILN_I8 = 4,
  KILN_U8 = 5,
  KILN_I16 = 6,
  KILN_U16 = 7,
  KILN_I32 = 8,
  KILN_U32 = 9,
  KILN_I64 = 10,
  KILN_U64 = 11,
  KILN_BOOL = 12,
  KILN_F8E4M3FN = 13,
  KILN_F8E4M3FNUZ = 14,
  KILN_F8E5M2 = 15,
  KILN_F8E5M2FNUZ = 16,
  KILN_F8E8M0 = 17,
  KILN_F4E2M1 = 18,
  KILN_I4 = 19,
  KILN_U4 = 20,
  KILN_I2 = 21,
  KILN_U2 = 22
} kiln_elem_type_t;

/* One more than the largest kiln_elem_type_t value. */
#define KILN_ELEM_TYPE_COUNT 23

/*
 * Describes one model input or output: generated headers define a constant array of these.
 * Fields use fixed-width integers rather than enums so the layout is the same under every ABI
 * (some embedded ABIs shrink enums).
 */
typedef struct kiln_tensor_desc {
  const char *name;            /* the name in the source model, NUL-terminated */
  int32_t elem_type;           /* a kiln_elem_type_t */
  int32_t rank;                /* 0 .. KILN_MAX_RANK */
  int64_t dims[KILN_MAX_RANK]; /* dims[0 .. rank-1]; the rest are 0 */
} kiln_tensor_desc_t;

/*
 * One unit of parallel work: called once for every index in [0, n) of a parallel_for, in any
 * order and on any thread. It must not depend on other indices having run.
 */
typedef void (*kiln_task_fn_t)(void *arg, int64_t index);

/*
 * A thread pool the caller may lend to generated code. parallel_for runs fn(arg, i) for every i
 * in [0, n) and returns once all calls have returned. num_threads is a hint for how many chunks
 * the work should be cut into. A NULL pool, or a pool whose parallel_for is NULL, means serial
 * execution on the calling thread; Kiln never creates threads itself.
 */
typedef struct kiln_thread_pool {
  void *ctx;
  void (*parallel_for)(void *ctx, int64_t n, kiln_task_fn_t fn, void *arg);
  int32_t num_threads;
} kiln_thread_pool_t;

/*
 * What a compiled model says about itself: generated code for a model NAME exports
 *   const kiln_model_info_t *NAME_info(void);
 * returning a pointer to a constant table, so a host that loads the model's shared object (the
 * Java binding in runtime-java/, a plugin loader) learns its inputs, outputs and workspace without
 * the header. A model that can use a thread pool also exports
 *   int NAME_run_parallel(const void *const *inputs, void *const *outputs, void *workspace,
 *                         const kiln_thread_pool_t *pool);
 * which computes exactly what NAME_run computes (bit for bit, for every thread count), splitting
 * its heavy kernels into pool->num_threads chunks. Its workspace must hold
 *   workspace_size + (num_threads - 1) * workspace_per_thread
 * bytes (NAME_run and a NULL pool need workspace_size). NAME_run is NAME_run_parallel with a NULL
 * pool.
 */
typedef struct kiln_model_info {
  int32_t abi_version; /* KILN_MODEL_ABI_VERSION of the generating compiler */
  int32_t num_inputs;
  int32_t num_outputs;
  int32_t reserved;                   /* zero */
  int64_t workspace_size;             /* bytes, for one thread; a multiple of 64 or 0 */
  int64_t workspace_per_thread;       /* bytes more for every thread after the first */
  const kiln_tensor_desc_t *inputs;   /* num_inputs entries */
  const kiln_tensor_desc_t *outputs;  /* num_outputs entries */
} kiln_model_info_t;

/*
 * What a caller may lend one run of NAME_run_ctx (generated code for a model NAME exports
 *   int NAME_run_ctx(const void *const *inputs, void *const *outputs, void *workspace,
 *                    const kiln_run_ctx_t *ctx);
 * which is NAME_run_parallel on ctx->pool offering each heavy kernel call to ctx->accel first; see
 * kiln/accel.h). pool and accel may be NULL, and so may ctx unless the model's weights are a
 * separate blob.
 */
typedef struct kiln_run_ctx {
  const kiln_thread_pool_t *pool;
  const struct kiln_accel *accel;
  const void *weights; /* C code compiled with --weights-file: its NAME_weights.bin, 64-byte
                          aligned (NAME_run_ctx returns KILN_ERR_BAD_ARGUMENT or
                          KILN_ERR_ALIGNMENT otherwise); NULL for all other code */
} kiln_run_ctx_t;

/* The version of kiln_model_info_t and of the NAME_run / NAME_run_parallel calling convention. */
#define KILN_MODEL_ABI_VERSION 1

/* Runs fn(arg, i) for i in [0, n) on pool, or serially when pool or its parallel_for is NULL. */
void kiln_parallel_for(const kiln_thread_pool_t *pool, int64_t n, kiln_task_fn_t fn, void *arg);

/* A static English description of status, never NULL. */
const char *kiln_status_string(kiln_status_t status);

/* The IR's text name of an element type ("f32", "i8", ...), or "?" when out of range. */
const char *kiln_elem_type_name(kiln_elem_type_t type);

/* Bytes one element occupies in a dense buffer (sub-byte types take one), or 0 when out of range.
 */
size_t kiln_elem_type_size(kiln_elem_type_t type);

/*
 * The number of elements desc describes, or -1 when its rank is outside [0, KILN_MAX_RANK], a
 * dimension is negative, or the product overflows int64_t.
 */
int64_t kiln_tensor_desc_elements(const kiln_tensor_desc_t *desc);

#ifdef __cplusplus
}
#endif

#endif
