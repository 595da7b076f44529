/*
 * A thread pool for kiln_thread_pool_t, on POSIX threads: what a hosted program (Linux, macOS, the
 * Kiln harness) hands to NAME_run_parallel. Generated code never creates threads; this file is the
 * optional, hosted part of runtime-c (it needs pthreads), outside the freestanding kernels.
 */
#ifndef KILN_POOL_H
#define KILN_POOL_H

#include "kiln/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A pool of num_threads threads counting the caller: parallel_for runs on num_threads - 1 workers
 * and the calling thread, and returns when every index has run. Returns NULL when num_threads < 1
 * or the threads cannot be created. One parallel_for at a time per pool.
 */
kiln_thread_pool_t *kiln_pool_create(int32_t num_threads);

/* Stops and joins the workers and frees the pool; NULL is ignored. */
void kiln_pool_destroy(kiln_thread_pool_t *pool);

#ifdef __cplusplus
}
#endif

#endif
