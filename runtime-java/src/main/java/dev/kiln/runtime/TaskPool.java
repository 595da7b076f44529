package dev.kiln.runtime;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

/**
 * The workers behind a compiled model's {@code parallel_for}: {@link #run} runs {@code task(i)} for
 * every {@code i} in {@code [0, n)} on the calling thread and the workers, taking indices from one
 * counter, and returns when all have returned. A model's kernels call it many times per inference
 * with microseconds between calls, so an idle worker spins for {@link #SPIN_NANOS} before it
 * parks: waking a parked thread costs tens of microseconds, more than a small kernel's share of
 * work. One {@code run} at a time; the workers are daemon threads.
 */
final class TaskPool implements AutoCloseable {

  /** How long an idle worker polls for the next job before parking. */
  static final long SPIN_NANOS = 50_000;

  private record Job(long n, LongConsumer task, AtomicLong next, AtomicLong done) {}

  private final Thread[] workers;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile Job job;
  private volatile long generation;
  private volatile boolean closed;

  /** A pool with {@code workers} threads besides the caller's, named after {@code name}. */
  TaskPool(int workers, String name) {
    this.workers = new Thread[workers];
    for (int i = 0; i < workers; i++) {
      Thread t = new Thread(this::work, "kiln-" + name + "-worker-" + i);
      t.setDaemon(true);
      this.workers[i] = t;
      t.start();
    }
  }

  int workers() {
    return workers.length;
  }

  /**
   * Runs {@code task} for every index in {@code [0, n)}; returns the first failure of a task (after
   * every task has returned), or null.
   */
  synchronized Throwable run(long n, LongConsumer task) {
    failure.set(null);
    Job j = new Job(n, task, new AtomicLong(), new AtomicLong());
    job = j;
    generation++;
    for (Thread t : workers) {
      LockSupport.unpark(t);
    }
    take(j);
    while (j.done().get() < n) {
      Thread.onSpinWait();
    }
    job = null;
    return failure.get();
  }

  private void take(Job j) {
    for (long i = j.next().getAndIncrement(); i < j.n(); i = j.next().getAndIncrement()) {
      try {
        j.task().accept(i);
      } catch (Throwable t) {
        failure.compareAndSet(null, t);
      } finally {
        j.done().incrementAndGet();
      }
    }
  }

  private void work() {
    long seen = 0;
    while (!closed) {
      long deadline = System.nanoTime() + SPIN_NANOS;
      while (generation == seen && !closed && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      if (generation == seen) {
        LockSupport.park(this);
        continue;
      }
      seen = generation;
      Job j = job;
      if (j != null) {
        take(j);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Thread t : workers) {
      LockSupport.unpark(t);
    }
  }
}
