#include "kiln/runtime.h"

void kiln_parallel_for(const kiln_thread_pool_t *pool, int64_t n, kiln_task_fn_t fn, void *arg) {
  if (fn == NULL || n <= 0) {
    return;
  }
  if (pool != NULL && pool->parallel_for != NULL && n > 1) {
    pool->parallel_for(pool->ctx, n, fn, arg);
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    fn(arg, i);
  }
}

const char *kiln_status_string(kiln_status_t status) {
  switch (status) {
  case KILN_OK:
    return "ok";
  case KILN_ERR_BAD_ARGUMENT:
    return "bad argument";
  case KILN_ERR_SHAPE:
    return "shape mismatch";
  case KILN_ERR_ALIGNMENT:
    return "misaligned buffer";
  case KILN_ERR_UNSUPPORTED:
    return "unsupported";
  case KILN_ERR_ACCELERATOR:
    return "accelerator failure";
  case KILN_ERR_INTERNAL:
    return "internal error";
  }
  return "unknown status";
}

typedef struct kiln_elem_info {
  const char *name;
  size_t size;
} kiln_elem_info_t;

static const kiln_elem_info_t *elem_info(kiln_elem_type_t type) {
  static const kiln_elem_info_t info[KILN_ELEM_TYPE_COUNT] = {
      {"f16", 2},    {"bf16", 2},       {"f32", 4},    {"f64", 8},      {"i8", 1},
      {"u8", 1},     {"i16", 2},        {"u16", 2},    {"i32", 4},      {"u32", 4},
      {"i64", 8},    {"u64", 8},        {"bool", 1},   {"f8e4m3fn", 1}, {"f8e4m3fnuz", 1},
      {"f8e5m2", 1}, {"f8e5m2fnuz", 1}, {"f8e8m0", 1}, {"f4e2m1", 1},   {"i4", 1},
      {"u4", 1},     {"i2", 1},         {"u2", 1},
  };
  int t = (int)type;
  return t >= 0 && t < KILN_ELEM_TYPE_COUNT ? &info[t] : NULL;
}

const char *kiln_elem_type_name(kiln_elem_type_t type) {
  const kiln_elem_info_t *info = elem_info(type);
  return info != NULL ? info->name : "?";
}

size_t kiln_elem_type_size(kiln_elem_type_t type) {
  const kiln_elem_info_t *info = elem_info(type);
  return info != NULL ? info->size : 0;
}

int64_t kiln_tensor_desc_elements(const kiln_tensor_desc_t *desc) {
  if (desc == NULL || desc->rank < 0 || desc->rank > KILN_MAX_RANK) {
    return -1;
  }
  int64_t n = 1;
  for (int32_t i = 0; i < desc->rank; i++) {
    int64_t d = desc->dims[i];
    if (d < 0) {
      return -1;
    }
    if (d != 0 && n > INT64_MAX / d) {
      return -1;
    }
    n *= d;
  }
  return n;
}
