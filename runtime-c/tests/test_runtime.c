#include <string.h>

#include "harness.h"
#include "kiln/runtime.h"

static void mark(void *arg, int64_t index) {
  int *seen = arg;
  seen[index]++;
}

typedef struct fake_pool {
  int calls;
} fake_pool_t;

static void fake_parallel_for(void *ctx, int64_t n, kiln_task_fn_t fn, void *arg) {
  fake_pool_t *pool = ctx;
  pool->calls++;
  for (int64_t i = n - 1; i >= 0; i--) {
    fn(arg, i);
  }
}

void test_runtime(void) {
  test_check(KILN_RUNTIME_VERSION == KILN_RUNTIME_VERSION_MAJOR * 10000 +
                                         KILN_RUNTIME_VERSION_MINOR * 100 +
                                         KILN_RUNTIME_VERSION_PATCH,
             "version macro");
  test_check(strcmp(kiln_status_string(KILN_OK), "ok") == 0, "status string of KILN_OK");
  test_check(strcmp(kiln_status_string(KILN_ERR_SHAPE), "shape mismatch") == 0,
             "status string of KILN_ERR_SHAPE");
  test_check(strcmp(kiln_status_string((kiln_status_t)99), "unknown status") == 0,
             "status string out of range");

  test_check(kiln_elem_type_size(KILN_F32) == 4 && kiln_elem_type_size(KILN_F16) == 2 &&
                 kiln_elem_type_size(KILN_I64) == 8 && kiln_elem_type_size(KILN_BOOL) == 1 &&
                 kiln_elem_type_size(KILN_I4) == 1 && kiln_elem_type_size(KILN_U2) == 1,
             "element sizes");
  test_check(kiln_elem_type_size((kiln_elem_type_t)KILN_ELEM_TYPE_COUNT) == 0,
             "element size out of range");
  test_check(strcmp(kiln_elem_type_name(KILN_F8E5M2FNUZ), "f8e5m2fnuz") == 0 &&
                 strcmp(kiln_elem_type_name(KILN_U2), "u2") == 0 &&
                 strcmp(kiln_elem_type_name(KILN_BF16), "bf16") == 0,
             "element names follow the IR");
  test_check(strcmp(kiln_elem_type_name((kiln_elem_type_t)-1), "?") == 0,
             "element name out of range");

  kiln_tensor_desc_t d = {"x", KILN_F32, 4, {2, 3, 4, 5, 0, 0, 0, 0}};
  test_check(kiln_tensor_desc_elements(&d) == 120, "elements of 2x3x4x5");
  kiln_tensor_desc_t scalar = {"s", KILN_I64, 0, {0}};
  test_check(kiln_tensor_desc_elements(&scalar) == 1, "elements of a scalar");
  kiln_tensor_desc_t empty = {"e", KILN_F32, 2, {0, INT64_MAX}};
  test_check(kiln_tensor_desc_elements(&empty) == 0, "elements with a zero dimension");
  kiln_tensor_desc_t huge = {"h", KILN_F32, 2, {INT64_MAX / 2, 3}};
  test_check(kiln_tensor_desc_elements(&huge) == -1, "elements overflow");
  kiln_tensor_desc_t negative = {"n", KILN_F32, 1, {-1}};
  test_check(kiln_tensor_desc_elements(&negative) == -1, "negative dimension");
  kiln_tensor_desc_t deep = {"r", KILN_F32, KILN_MAX_RANK + 1, {1}};
  test_check(kiln_tensor_desc_elements(&deep) == -1, "rank over the limit");
  test_check(kiln_tensor_desc_elements(NULL) == -1, "NULL descriptor");

  int seen[10] = {0};
  kiln_parallel_for(NULL, 10, mark, seen);
  bool once = true;
  for (int i = 0; i < 10; i++) {
    once &= seen[i] == 1;
  }
  test_check(once, "serial parallel_for visits every index once");

  fake_pool_t fake = {0};
  kiln_thread_pool_t pool = {&fake, fake_parallel_for, 4};
  memset(seen, 0, sizeof seen);
  kiln_parallel_for(&pool, 10, mark, seen);
  once = fake.calls == 1;
  for (int i = 0; i < 10; i++) {
    once &= seen[i] == 1;
  }
  test_check(once, "pooled parallel_for hands the work to the pool");

  kiln_thread_pool_t no_fn = {&fake, NULL, 4};
  memset(seen, 0, sizeof seen);
  kiln_parallel_for(&no_fn, 3, mark, seen);
  test_check(seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && seen[3] == 0,
             "a pool without parallel_for runs serially");
  kiln_parallel_for(&pool, 0, mark, seen);
  test_check(fake.calls == 1, "an empty range calls nothing");
}
