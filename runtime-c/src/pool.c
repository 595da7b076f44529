#include "kiln/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

typedef struct kiln_pool {
  kiln_thread_pool_t api; /* first, so the public pointer is the pool */
  pthread_mutex_t lock;
  pthread_cond_t work;     /* a new job (or stop) for the workers */
  pthread_cond_t finished; /* the last worker left the job */
  uint64_t generation;     /* bumped for every job */
  int stop;
  int32_t busy; /* workers still inside the current job */
  kiln_task_fn_t fn;
  void *arg;
  int64_t n;
  atomic_llong next; /* the next index to run */
  int32_t workers;
  pthread_t threads[];
} kiln_pool_t;

static void run_indices(kiln_pool_t *p) {
  for (;;) {
    const int64_t i = atomic_fetch_add(&p->next, 1);
    if (i >= p->n) {
      return;
    }
    p->fn(p->arg, i);
  }
}

static void *worker(void *arg) {
  kiln_pool_t *p = (kiln_pool_t *)arg;
  uint64_t seen = 0;
  pthread_mutex_lock(&p->lock);
  for (;;) {
    while (!p->stop && p->generation == seen) {
      pthread_cond_wait(&p->work, &p->lock);
    }
    if (p->stop) {
      break;
    }
    seen = p->generation;
    pthread_mutex_unlock(&p->lock);
    run_indices(p);
    pthread_mutex_lock(&p->lock);
    if (--p->busy == 0) {
      pthread_cond_signal(&p->finished);
    }
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

static void pool_parallel_for(void *ctx, int64_t n, kiln_task_fn_t fn, void *arg) {
  kiln_pool_t *p = (kiln_pool_t *)ctx;
  if (n <= 0) {
    return;
  }
  if (p->workers == 0 || n == 1) {
    for (int64_t i = 0; i < n; i++) {
      fn(arg, i);
    }
    return;
  }
  pthread_mutex_lock(&p->lock);
  p->fn = fn;
  p->arg = arg;
  p->n = n;
  atomic_store(&p->next, 0);
  p->busy = p->workers;
  p->generation++;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->lock);
  run_indices(p);
  pthread_mutex_lock(&p->lock);
  while (p->busy > 0) {
    pthread_cond_wait(&p->finished, &p->lock);
  }
  pthread_mutex_unlock(&p->lock);
}

kiln_thread_pool_t *kiln_pool_create(int32_t num_threads) {
  if (num_threads < 1) {
    return NULL;
  }
  const int32_t workers = num_threads - 1;
  kiln_pool_t *p = (kiln_pool_t *)calloc(1, sizeof(kiln_pool_t) + (size_t)workers * sizeof(pthread_t));
  if (p == NULL) {
    return NULL;
  }
  p->api.ctx = p;
  p->api.parallel_for = pool_parallel_for;
  p->api.num_threads = num_threads;
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->work, NULL);
  pthread_cond_init(&p->finished, NULL);
  atomic_init(&p->next, 0);
  for (int32_t i = 0; i < workers; i++) {
    if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
      p->workers = i;
      kiln_pool_destroy(&p->api);
      return NULL;
    }
  }
  p->workers = workers;
  return &p->api;
}

void kiln_pool_destroy(kiln_thread_pool_t *pool) {
  if (pool == NULL) {
    return;
  }
  kiln_pool_t *p = (kiln_pool_t *)pool->ctx;
  pthread_mutex_lock(&p->lock);
  p->stop = 1;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->lock);
  for (int32_t i = 0; i < p->workers; i++) {
    pthread_join(p->threads[i], NULL);
  }
  pthread_cond_destroy(&p->work);
  pthread_cond_destroy(&p->finished);
  pthread_mutex_destroy(&p->lock);
  free(p);
}
