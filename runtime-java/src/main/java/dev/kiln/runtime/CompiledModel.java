package dev.kiln.runtime;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A model compiled by Kiln to a shared object, loaded through the FFM API.
 *
 * <p>{@link #load(Path, String)} opens the library with {@link SymbolLookup#libraryLookup(Path,
 * Arena)} and reads {@code const kiln_model_info_t *NAME_info(void)} (see {@code
 * kiln/runtime.h}): the inputs and outputs ({@link TensorInfo}) and the workspace size. {@code
 * run} calls {@code int NAME_run(const void *const *inputs, void *const *outputs, void
 * *workspace)}.
 *
 * <p>Threads: {@code run} may be called from any number of threads at once. Each calling thread
 * gets its own 64-byte aligned workspace, allocated on its first call and reused by its later calls
 * (grown once if a larger thread count needs more). When the library also exports {@code
 * NAME_run_parallel}, {@code run(threads, ...)} with {@code threads > 1} passes it a {@code
 * kiln_thread_pool_t} of {@code threads} threads whose {@code parallel_for} runs the tasks on the
 * calling thread and this model's {@link TaskPool} workers (one {@code parallel_for} at a time), and a
 * workspace of {@code workspace_size + (threads - 1) * workspace_per_thread} bytes; without {@code
 * NAME_run_parallel}, every thread count runs {@code NAME_run}.
 *
 * <p>{@link #close()} unloads the library and stops the pool; it must not overlap a run.
 *
 * <p>Loading native code is a restricted operation: run the JVM with {@code
 * --enable-native-access=ALL-UNNAMED} (or this module's name) to avoid the JDK's warning.
 */
@SuppressWarnings("restricted")
public final class CompiledModel implements AutoCloseable {

  /** {@code KILN_MODEL_ABI_VERSION} this binding reads. */
  public static final int ABI_VERSION = 1;

  private static final int MAX_RANK = 8;
  private static final long WORKSPACE_ALIGNMENT = 64;

  private static final StructLayout TENSOR_DESC = MemoryLayout.structLayout(
    ADDRESS.withName("name"),
    JAVA_INT.withName("elem_type"),
    JAVA_INT.withName("rank"),
    MemoryLayout.sequenceLayout(MAX_RANK, JAVA_LONG).withName("dims")
  );
  private static final StructLayout MODEL_INFO = MemoryLayout.structLayout(
    JAVA_INT.withName("abi_version"),
    JAVA_INT.withName("num_inputs"),
    JAVA_INT.withName("num_outputs"),
    JAVA_INT.withName("reserved"),
    JAVA_LONG.withName("workspace_size"),
    JAVA_LONG.withName("workspace_per_thread"),
    ADDRESS.withName("inputs"),
    ADDRESS.withName("outputs")
  );
  private static final StructLayout THREAD_POOL = MemoryLayout.structLayout(
    ADDRESS.withName("ctx"),
    ADDRESS.withName("parallel_for"),
    JAVA_INT.withName("num_threads"),
    MemoryLayout.paddingLayout(ADDRESS.byteSize() - JAVA_INT.byteSize())
  );

  private static final Linker LINKER = Linker.nativeLinker();
  private static final FunctionDescriptor RUN = FunctionDescriptor.of(
    JAVA_INT,
    ADDRESS,
    ADDRESS,
    ADDRESS
  );
  private static final FunctionDescriptor RUN_PARALLEL = FunctionDescriptor.of(
    JAVA_INT,
    ADDRESS,
    ADDRESS,
    ADDRESS,
    ADDRESS
  );
  private static final FunctionDescriptor PARALLEL_FOR = FunctionDescriptor.ofVoid(
    ADDRESS,
    JAVA_LONG,
    ADDRESS,
    ADDRESS
  );
  /** {@code void fn(void *arg, int64_t index)} called through its address. */
  private static final MethodHandle TASK = LINKER.downcallHandle(
    FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG)
  );

  private final String name;
  private final Arena arena;
  private final List<TensorInfo> inputs;
  private final List<TensorInfo> outputs;
  private final long workspaceSize;
  private final long workspacePerThread;
  private final MethodHandle run;
  private final MethodHandle runParallel;
  private final MemorySegment parallelFor;
  private final ThreadLocal<Slot> slots = ThreadLocal.withInitial(Slot::new);
  private final ThreadLocal<Throwable> taskFailure = new ThreadLocal<>();
  private TaskPool workers;

  private CompiledModel(
    Path so,
    String name,
    Arena arena,
    SymbolLookup library,
    MemorySegment info
  ) {
    this.name = name;
    this.arena = arena;
    MemorySegment table = info.reinterpret(MODEL_INFO.byteSize());
    int abi = table.get(JAVA_INT, offset(MODEL_INFO, "abi_version"));
    if (abi != ABI_VERSION) {
      throw new IllegalArgumentException(
        name + "_info: abi_version " + abi + ", this binding reads " + ABI_VERSION
      );
    }
    this.inputs = tensors(table, "num_inputs", "inputs");
    this.outputs = tensors(table, "num_outputs", "outputs");
    this.workspaceSize = table.get(JAVA_LONG, offset(MODEL_INFO, "workspace_size"));
    this.workspacePerThread = table.get(JAVA_LONG, offset(MODEL_INFO, "workspace_per_thread"));
    if (workspaceSize < 0 || workspacePerThread < 0) {
      throw new IllegalArgumentException(
        name + "_info: negative workspace size " + workspaceSize + " or " + workspacePerThread
      );
    }
    this.run = LINKER.downcallHandle(symbol(library, name + "_run", so), RUN);
    Optional<MemorySegment> parallel = library.find(name + "_run_parallel");
    this.runParallel = parallel.map(p -> LINKER.downcallHandle(p, RUN_PARALLEL)).orElse(null);
    this.parallelFor = runParallel == null ? MemorySegment.NULL : parallelForStub(arena);
  }

  /**
   * Loads {@code so}, a model compiled under the name of the file's stem ({@code net.so}: {@code
   * net_info}, {@code net_run}).
   */
  public static CompiledModel load(Path so) {
    String file = so.getFileName().toString();
    int dot = file.indexOf('.');
    return load(so, dot > 0 ? file.substring(0, dot) : file);
  }

  /**
   * Loads {@code so}, a model compiled as {@code name} (its symbols are {@code name_info} and
   * {@code name_run}). A file that cannot be loaded, lacks those symbols or describes itself
   * inconsistently is an {@link IllegalArgumentException}.
   */
  public static CompiledModel load(Path so, String name) {
    Arena arena = Arena.ofShared();
    try {
      SymbolLookup library;
      try {
        library = SymbolLookup.libraryLookup(so, arena);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("cannot load " + so + ": " + e.getMessage(), e);
      }
      MemorySegment infoFn = symbol(library, name + "_info", so);
      MemorySegment info;
      try {
        info = (MemorySegment) LINKER.downcallHandle(
          infoFn,
          FunctionDescriptor.of(ADDRESS)
        ).invokeExact();
      } catch (Throwable t) {
        throw new IllegalStateException("calling " + name + "_info of " + so + " failed", t);
      }
      if (info.equals(MemorySegment.NULL)) {
        throw new IllegalArgumentException(name + "_info of " + so + " returned NULL");
      }
      return new CompiledModel(so, name, arena, library, info);
    } catch (RuntimeException | Error e) {
      arena.close();
      throw e;
    }
  }

  /** The name the model was compiled under: the prefix of its symbols. */
  public String name() {
    return name;
  }

  /** The inputs, in the order {@code run} takes them. */
  public List<TensorInfo> inputs() {
    return inputs;
  }

  /** The outputs, in the order {@code run} writes them. */
  public List<TensorInfo> outputs() {
    return outputs;
  }

  /** Bytes of workspace one thread needs ({@code workspace_size}). */
  public long workspaceSize() {
    return workspaceSize;
  }

  /** Bytes of workspace each thread after the first needs ({@code workspace_per_thread}). */
  public long workspacePerThread() {
    return workspacePerThread;
  }

  /** Whether the library exports {@code NAME_run_parallel}, so that threads above 1 are used. */
  public boolean parallel() {
    return runParallel != null;
  }

  /** Runs on the calling thread: {@link #run(int, float[]...)} with one thread. */
  public float[][] run(float[]... inputs) {
    return run(1, inputs);
  }

  /**
   * Runs a model whose inputs and outputs are all {@link ElementType#F32}: {@code inputs[i]} holds
   * input {@code i}'s elements in row-major order; the result holds every output's. A wrong number
   * of inputs or of elements, or a tensor of another type, is an {@link IllegalArgumentException}.
   */
  public float[][] run(int threads, float[]... inputs) {
    checkCallable(threads);
    checkCount("inputs", inputs.length, this.inputs.size());
    requireF32(this.inputs, "input");
    requireF32(this.outputs, "output");
    Slot slot = slots.get();
    MemorySegment[] in = slot.floatBuffers(this.inputs, true);
    MemorySegment[] out = slot.floatBuffers(this.outputs, false);
    for (int i = 0; i < inputs.length; i++) {
      TensorInfo t = this.inputs.get(i);
      if (inputs[i] == null || inputs[i].length != t.elements()) {
        throw new IllegalArgumentException(
          "input " +
          i +
          " '" +
          t.name() +
          "' " +
          t.dims() +
          " needs " +
          t.elements() +
          " floats, got " +
          (inputs[i] == null ? "null" : inputs[i].length)
        );
      }
      MemorySegment.copy(inputs[i], 0, in[i], JAVA_FLOAT, 0, inputs[i].length);
    }
    call(slot, threads, in, out);
    float[][] result = new float[out.length][];
    for (int i = 0; i < out.length; i++) {
      result[i] = out[i].toArray(JAVA_FLOAT);
    }
    return result;
  }

  /** Runs on the calling thread: {@link #run(int, MemorySegment[], MemorySegment[])} with one. */
  public void run(MemorySegment[] inputs, MemorySegment[] outputs) {
    run(1, inputs, outputs);
  }

  /**
   * Runs the model on native segments: {@code inputs[i]} and {@code outputs[i]} hold at least
   * {@link TensorInfo#byteSize()} bytes, aligned to the element size, dense and row-major; no
   * output may overlap another buffer. A wrong count, a heap segment, a short or misaligned
   * segment is an {@link IllegalArgumentException}.
   */
  public void run(int threads, MemorySegment[] inputs, MemorySegment[] outputs) {
    checkCallable(threads);
    checkCount("inputs", inputs.length, this.inputs.size());
    checkCount("outputs", outputs.length, this.outputs.size());
    checkSegments("input", this.inputs, inputs);
    checkSegments("output", this.outputs, outputs);
    call(slots.get(), threads, inputs, outputs);
  }

  /** Unloads the library and stops the worker threads; later calls fail. */
  @Override
  public synchronized void close() {
    if (workers != null) {
      workers.close();
      workers = null;
    }
    if (arena.scope().isAlive()) {
      arena.close();
    }
  }

  @Override
  public String toString() {
    return "CompiledModel[" + name + ", inputs " + inputs + ", outputs " + outputs + "]";
  }

  private void call(Slot slot, int threads, MemorySegment[] in, MemorySegment[] out) {
    boolean pooled = threads > 1 && runParallel != null;
    MemorySegment workspace = slot.workspace(pooled ? threads : 1);
    for (int i = 0; i < in.length; i++) {
      slot.inputs.setAtIndex(ADDRESS, i, in[i]);
    }
    for (int i = 0; i < out.length; i++) {
      slot.outputs.setAtIndex(ADDRESS, i, out[i]);
    }
    int status;
    try {
      if (pooled) {
        ensureWorkers(threads);
        slot.pool.set(ADDRESS, offset(THREAD_POOL, "ctx"), MemorySegment.NULL);
        slot.pool.set(ADDRESS, offset(THREAD_POOL, "parallel_for"), parallelFor);
        slot.pool.set(JAVA_INT, offset(THREAD_POOL, "num_threads"), threads);
        taskFailure.remove();
        status = (int) runParallel.invokeExact(slot.inputs, slot.outputs, workspace, slot.pool);
      } else {
        status = (int) run.invokeExact(slot.inputs, slot.outputs, workspace);
      }
    } catch (Throwable t) {
      throw new IllegalStateException("calling " + name + "_run failed", t);
    }
    Throwable failure = taskFailure.get();
    if (failure != null) {
      taskFailure.remove();
      throw new IllegalStateException("a parallel task of " + name + " failed", failure);
    }
    if (status != 0) {
      throw new IllegalStateException(name + "_run returned status " + status);
    }
  }

  private void checkCallable(int threads) {
    if (!arena.scope().isAlive()) {
      throw new IllegalStateException("model " + name + " is closed");
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
  }

  /** Makes sure the worker pool has at least {@code threads - 1} threads; it never shrinks. */
  private synchronized void ensureWorkers(int threads) {
    if (workers == null || workers.workers() < threads - 1) {
      if (workers != null) {
        workers.close();
      }
      workers = new TaskPool(threads - 1, name);
    }
  }

  private synchronized TaskPool workers() {
    return workers;
  }

  /**
   * {@code parallel_for(ctx, n, fn, arg)}: the tasks on the calling thread and the workers,
   * returning once all have returned. A failure is kept for {@link #call} (an exception must not
   * leave an upcall).
   */
  private void parallelFor(MemorySegment ctx, long n, MemorySegment fn, MemorySegment arg) {
    Throwable failure;
    try {
      failure = workers().run(n, index -> task(fn, arg, index));
    } catch (Throwable t) {
      failure = t;
    }
    if (failure != null) {
      taskFailure.set(failure);
    }
  }

  private static void task(MemorySegment fn, MemorySegment arg, long index) {
    try {
      TASK.invokeExact(fn, arg, index);
    } catch (Throwable t) {
      throw new IllegalStateException("task " + index + " failed", t);
    }
  }

  private MemorySegment parallelForStub(Arena arena) {
    try {
      MethodHandle target = MethodHandles.lookup()
        .findVirtual(
          CompiledModel.class,
          "parallelFor",
          MethodType.methodType(
            void.class,
            MemorySegment.class,
            long.class,
            MemorySegment.class,
            MemorySegment.class
          )
        )
        .bindTo(this);
      return LINKER.upcallStub(target, PARALLEL_FOR, arena);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What one calling thread reuses: pointer arrays, pool struct, workspace, float buffers. */
  private final class Slot {

    final MemorySegment inputs = arena.allocate(
      ADDRESS,
      Math.max(1, CompiledModel.this.inputs.size())
    );
    final MemorySegment outputs = arena.allocate(
      ADDRESS,
      Math.max(1, CompiledModel.this.outputs.size())
    );
    final MemorySegment pool = arena.allocate(THREAD_POOL);
    MemorySegment workspace = MemorySegment.NULL;
    long workspaceBytes;
    MemorySegment[] floatInputs;
    MemorySegment[] floatOutputs;

    /** A workspace for {@code threads} threads, null when none is needed. */
    MemorySegment workspace(int threads) {
      long need = workspaceSize + (threads - 1) * workspacePerThread;
      if (need > workspaceBytes) {
        workspace = arena.allocate(need, WORKSPACE_ALIGNMENT);
        workspaceBytes = need;
      }
      return workspace;
    }

    MemorySegment[] floatBuffers(List<TensorInfo> tensors, boolean in) {
      MemorySegment[] buffers = in ? floatInputs : floatOutputs;
      if (buffers == null) {
        buffers = new MemorySegment[tensors.size()];
        for (int i = 0; i < buffers.length; i++) {
          buffers[i] = arena.allocate(Math.max(1, tensors.get(i).byteSize()), WORKSPACE_ALIGNMENT);
          buffers[i] = buffers[i].asSlice(0, tensors.get(i).byteSize());
        }
        if (in) {
          floatInputs = buffers;
        } else {
          floatOutputs = buffers;
        }
      }
      return buffers;
    }
  }

  private List<TensorInfo> tensors(MemorySegment table, String count, String array) {
    int n = table.get(JAVA_INT, offset(MODEL_INFO, count));
    if (n < 0) {
      throw new IllegalArgumentException(name + "_info: " + count + " is " + n);
    }
    MemorySegment descs = table
      .get(ADDRESS, offset(MODEL_INFO, array))
      .reinterpret(n * TENSOR_DESC.byteSize());
    List<TensorInfo> result = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      MemorySegment d = descs.asSlice(i * TENSOR_DESC.byteSize(), TENSOR_DESC);
      int rank = d.get(JAVA_INT, offset(TENSOR_DESC, "rank"));
      if (rank < 0 || rank > MAX_RANK) {
        throw new IllegalArgumentException(
          name + "_info: " + array + "[" + i + "] has rank " + rank
        );
      }
      List<Long> dims = new ArrayList<>();
      for (int k = 0; k < rank; k++) {
        long dim = d.get(JAVA_LONG, offset(TENSOR_DESC, "dims") + k * JAVA_LONG.byteSize());
        if (dim < 0) {
          throw new IllegalArgumentException(
            name + "_info: " + array + "[" + i + "] has dim " + dim
          );
        }
        dims.add(dim);
      }
      String tensorName = d
        .get(ADDRESS, offset(TENSOR_DESC, "name"))
        .reinterpret(Long.MAX_VALUE)
        .getString(0);
      ElementType type = ElementType.of(d.get(JAVA_INT, offset(TENSOR_DESC, "elem_type")));
      result.add(new TensorInfo(tensorName, type, dims));
    }
    return List.copyOf(result);
  }

  private void checkCount(String what, int got, int want) {
    if (got != want) {
      throw new IllegalArgumentException(name + " takes " + want + " " + what + ", got " + got);
    }
  }

  private void requireF32(List<TensorInfo> tensors, String what) {
    for (int i = 0; i < tensors.size(); i++) {
      if (tensors.get(i).type() != ElementType.F32) {
        throw new IllegalArgumentException(
          what +
          " " +
          i +
          " '" +
          tensors.get(i).name() +
          "' is " +
          tensors.get(i).type() +
          ": run(float[]...) takes f32 models only, use run(MemorySegment[], MemorySegment[])"
        );
      }
    }
  }

  private static void checkSegments(
    String what,
    List<TensorInfo> tensors,
    MemorySegment[] segments
  ) {
    for (int i = 0; i < segments.length; i++) {
      TensorInfo t = tensors.get(i);
      MemorySegment s = segments[i];
      String label = what + " " + i + " '" + t.name() + "' " + t.type() + t.dims();
      if (s == null || !s.isNative()) {
        throw new IllegalArgumentException(label + ": needs a native segment, got " + s);
      }
      if (s.byteSize() < t.byteSize()) {
        throw new IllegalArgumentException(
          label + " needs " + t.byteSize() + " bytes, the segment has " + s.byteSize()
        );
      }
      if (s.address() % t.type().bytes() != 0) {
        throw new IllegalArgumentException(
          label + ": address " + s.address() + " is not aligned to " + t.type().bytes()
        );
      }
    }
  }

  private static MemorySegment symbol(SymbolLookup library, String symbol, Path so) {
    return library
      .find(symbol)
      .orElseThrow(() ->
        new IllegalArgumentException(
          so +
          " does not export " +
          symbol +
          ": not a Kiln model compiled under that name (CompiledModel.load(path, name) names it)"
        )
      );
  }

  private static long offset(StructLayout layout, String field) {
    return layout.byteOffset(MemoryLayout.PathElement.groupElement(field));
  }
}
