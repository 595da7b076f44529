package dev.kiln.backend.cuda;

import dev.kiln.ir.Tensor;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopInterpreter;
import dev.kiln.ir.loop.Stmt;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs GPU-scheduled Loop IR ({@link GpuSchedule}) with GPU semantics: launches in order, the
 * threads of a launch with no order among them. The threads run one after another in the {@link
 * LoopInterpreter}, which gives the GPU's result exactly when no two threads of a launch touch the
 * same byte where one of them writes; every such race is an {@link IllegalStateException} naming
 * the launch, the threads and the buffer. (The kernels use no shared memory and no barriers, so
 * within a launch every pair of threads is unordered.)
 */
public final class GpuInterpreter {

  private GpuInterpreter() {}

  /** Runs {@code f} (every top-level statement a launch) and returns its outputs. */
  public static List<Tensor> run(LoopFunc f, List<Tensor> inputs) {
    return LoopInterpreter.run(f, inputs, new RaceCheck(f));
  }

  /** Who touched each byte of the current launch: the writer, and one reader or several. */
  private static final class RaceCheck implements LoopInterpreter.Observer {

    private static final long SEVERAL = -1;

    private final Map<Buffer, Integer> regions = new IdentityHashMap<>();
    private final Map<Long, Long> writers = new HashMap<>();
    private final Map<Long, Long> readers = new HashMap<>();
    private Stmt.For launch;
    private int launches;
    private long thread;

    RaceCheck(LoopFunc f) {
      for (Buffer b : f.inputs()) {
        regions.put(b, 1 + b.param());
      }
      for (Buffer b : f.outputs()) {
        regions.put(b, 1 + f.inputs().size() + b.param());
      }
    }

    @Override
    public void iteration(Stmt.For loop, long index) {
      if (loop != launch) {
        launch = loop;
        launches++;
        writers.clear();
        readers.clear();
      }
      thread = index;
    }

    @Override
    public void access(Buffer buffer, long index, boolean write) {
      if (launch == null || buffer.kind() == Buffer.Kind.CONSTANT) {
        return;
      }
      int size = buffer.elem().bytes();
      long base = buffer.kind() == Buffer.Kind.WORKSPACE ? buffer.offset() : 0;
      long region = (long) regions.getOrDefault(buffer, 0) << 40;
      for (long at = base + index * size; at < base + (index + 1) * size; at++) {
        long key = region | at;
        Long w = writers.get(key);
        if (w != null && w != thread) {
          throw race(buffer, index, w, write ? "writes" : "reads", "wrote");
        }
        Long r = readers.get(key);
        if (write) {
          if (r != null && r != thread) {
            throw race(buffer, index, r, "writes", "read");
          }
          writers.put(key, thread);
        } else if (r == null) {
          readers.put(key, thread);
        } else if (r != thread) {
          readers.put(key, SEVERAL);
        }
      }
    }

    private IllegalStateException race(
      Buffer buffer,
      long index,
      long other,
      String does,
      String did
    ) {
      String who = other == SEVERAL ? "other threads" : "thread " + other;
      return new IllegalStateException(
        "race in launch " +
        (launches - 1) +
        ": thread " +
        thread +
        " " +
        does +
        " " +
        buffer +
        "[" +
        index +
        "], which " +
        who +
        " " +
        did
      );
    }
  }
}
