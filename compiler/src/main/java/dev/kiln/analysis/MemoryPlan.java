package dev.kiln.analysis;

import dev.kiln.ir.Block;
import dev.kiln.ir.BlockArgument;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Func;
import dev.kiln.ir.Location;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpResult;
import dev.kiln.ir.Region;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Use;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Concat;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.Elementwise;
import dev.kiln.ir.op.If;
import dev.kiln.ir.op.Return;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The static memory plan of a function: where every intermediate tensor lives in one workspace
 * arena that the caller allocates once, and how large that arena must be.
 *
 * <p><b>Schedule.</b> The nodes of the entry block run in their order (after whatever passes ran);
 * node {@code i} is step {@code i}.
 *
 * <p><b>What the workspace holds.</b> The results of the entry block's nodes, except constants
 * (read-only data) and the values the function returns (they are written straight into the
 * caller's output buffers). Function arguments are the caller's input buffers. Every workspace
 * tensor needs a static shape; {@link #of} reports the first one that has none.
 *
 * <p><b>Liveness.</b> A tensor defined at step {@code d} is live from {@code d} to the last step
 * that reads it, both included (an unread one only at {@code d}); a read inside a nested region
 * counts as a read by the entry-block node that holds the region. Two tensors live at one step
 * never share bytes: a node's result is written while its operands are still read.
 *
 * <p><b>In place.</b> The result of an {@link Elementwise} node takes over the buffer of an operand
 * that has the same number of elements and the same element width and whose last read is this
 * node, the first such operand in operand order. Element {@code k} of the result depends only on
 * element {@code k} of that operand, so writing over it is safe. The tensors that share a buffer
 * this way form a chain whose lifetime is the union of theirs.
 *
 * <p><b>Concatenation in place.</b> An {@code nn.concat} whose operands are contiguous slices of
 * its result (every axis before the concatenation axis has extent 1) has its operands written
 * straight into their slices: an operand that is the result of an entry-block node (not a
 * constant, a fused node or another concatenation), is read by nothing else, and starts at a byte
 * offset of the result that is a multiple of 64, lives inside the result's buffer, whose lifetime
 * then starts at the first such operand's definition. When every operand is placed so, the
 * concatenation itself copies nothing ({@link #concatInPlace}).
 *
 * <p><b>Nested regions</b> ({@code nn.if}, {@code nn.loop}, {@code nn.scan}) are planned
 * conservatively: one scratch buffer, live only at the step of the node that holds them, holds
 * every block argument and every non-constant node result of its regions, each at its own aligned
 * offset, with no reuse inside (this also covers loop-carried values, whose old and new versions
 * never share bytes). The two branches of an {@code nn.if} start at the same offset, since only one
 * runs; the regions of any other op are laid out one after the other. Region values whose shapes
 * are not static make the function unplannable, like top-level ones.
 *
 * <p><b>Offsets.</b> {@link ArenaAllocator}: greedy by size with best fit over the buffers'
 * lifetimes, tried in several placement orders, the smallest arena kept; every offset and the
 * arena size are multiples of 64 bytes.
 *
 * <p><b>Lower bound.</b> {@link #arenaLowerBound()} is the largest sum, over steps, of the sizes
 * (rounded up to 64 bytes) of the buffers live at that step, with the same in-place and region
 * rules. No plan with aligned offsets fits in less, so {@code arenaBytes / arenaLowerBound} says how
 * much the plan loses to fragmentation.
 */
public final class MemoryPlan {

  /** Alignment of every offset and of the arena size, in bytes. */
  public static final long ALIGNMENT = ArenaAllocator.ALIGNMENT;

  /**
   * One workspace buffer at {@code offset}, of {@code bytes}, live from step {@code first} to step
   * {@code last}. A tensor buffer holds {@code values}, a chain of in-place tensors (usually one);
   * a region scratch buffer ({@code scratchFor} not null) holds every value of the regions of that
   * node, each at its own offset inside.
   */
  public record Buffer(
    int id,
    List<Value> values,
    long bytes,
    int first,
    int last,
    long offset,
    Node scratchFor
  ) {
    public Buffer {
      values = List.copyOf(values);
    }

    /** True when this buffer and {@code o} are live at a common step. */
    public boolean overlapsInTime(Buffer o) {
      return first <= o.last && o.first <= last;
    }
  }

  private final Func func;
  private final List<Buffer> buffers;
  private final Map<Value, Long> offsets;
  private final Map<Value, Buffer> bufferOf;
  private final long arenaBytes;
  private final long arenaLowerBound;
  private final String order;
  private final Set<Node> concatsInPlace;

  private MemoryPlan(
    Func func,
    List<Buffer> buffers,
    Map<Value, Long> offsets,
    long arenaBytes,
    long arenaLowerBound,
    String order,
    Set<Node> concatsInPlace
  ) {
    this.func = func;
    this.concatsInPlace = concatsInPlace;
    this.buffers = List.copyOf(buffers);
    this.offsets = offsets;
    this.bufferOf = new IdentityHashMap<>();
    for (Buffer b : buffers) {
      for (Value v : b.values()) {
        bufferOf.put(v, b);
      }
    }
    this.arenaBytes = arenaBytes;
    this.arenaLowerBound = arenaLowerBound;
    this.order = order;
  }

  /**
   * Plans {@code f}.
   *
   * @throws DiagnosticException at the node that defines the first tensor (in schedule order,
   *     regions included) whose shape is not static
   */
  public static MemoryPlan of(Func f) {
    return of(f, Set.of());
  }

  /**
   * Plans {@code f} for code that never materializes the results of the {@code fused} nodes: each
   * is an elementwise node computed inside the loop nest of its one user. A fused node gets no
   * buffer, and its reads happen when its user (or that user's user, if fused too) runs.
   */
  public static MemoryPlan of(Func f, Set<Node> fused) {
    return new Planner(f, fused).plan();
  }

  public Func func() {
    return func;
  }

  /** The arena size: the largest end of a buffer, rounded up to {@link #ALIGNMENT}. */
  public long arenaBytes() {
    return arenaBytes;
  }

  /** The largest sum of aligned live buffer sizes at one step; see the class comment. */
  public long arenaLowerBound() {
    return arenaLowerBound;
  }

  /** The placement order of {@link ArenaAllocator} that gave the smallest arena. */
  public String order() {
    return order;
  }

  /** Every buffer, tensor buffers in schedule order of their first value, then scratch buffers. */
  public List<Buffer> buffers() {
    return buffers;
  }

  /** The buffer that holds {@code v}, empty for inputs, outputs, constants and region values. */
  public Optional<Buffer> buffer(Value v) {
    return Optional.ofNullable(bufferOf.get(v));
  }

  /**
   * The arena offset of {@code v}, region values included; empty for inputs, outputs and
   * constants.
   */
  public OptionalLong offset(Value v) {
    Long o = offsets.get(v);
    return o == null ? OptionalLong.empty() : OptionalLong.of(o);
  }

  /**
   * Whether every operand of the {@code nn.concat} node {@code n} lives in its slice of the
   * result's buffer, so that the concatenation has nothing left to copy.
   */
  public boolean concatInPlace(Node n) {
    return concatsInPlace.contains(n);
  }

  /** Number of tensors that write over an operand's buffer instead of a buffer of their own. */
  public int inPlaceCount() {
    int n = 0;
    for (Buffer b : buffers) {
      if (b.scratchFor() == null) {
        n += b.values().size() - 1;
      }
    }
    return n;
  }

  /**
   * A table, one buffer a line: offset, bytes, lifetime, and the op and name of each value in it.
   */
  public String report() {
    StringBuilder s = new StringBuilder();
    s.append(
      String.format(
        Locale.ROOT,
        "memory plan @%s: arena %d bytes, lower bound %d bytes, %d buffers, %d in place, order %s%n",
        func.name(),
        arenaBytes,
        arenaLowerBound,
        buffers.size(),
        inPlaceCount(),
        order
      )
    );
    s.append(
      String.format(Locale.ROOT, "  %12s %12s  %-11s %s%n", "offset", "bytes", "steps", "values")
    );
    List<Buffer> sorted = new ArrayList<>(buffers);
    sorted.sort((a, b) ->
      a.first() != b.first() ? Integer.compare(a.first(), b.first()) : a.id() - b.id()
    );
    for (Buffer b : sorted) {
      List<String> names = new ArrayList<>();
      if (b.scratchFor() != null) {
        names.add(
          "regions of " + b.scratchFor().op().name() + " (" + b.values().size() + " values)"
        );
      } else {
        for (Value v : b.values()) {
          names.add(describe(v));
        }
      }
      s.append(
        String.format(
          Locale.ROOT,
          "  %12d %12d  %-11s %s%n",
          b.offset(),
          b.bytes(),
          b.first() + ".." + b.last(),
          String.join(" <- ", names)
        )
      );
    }
    return s.toString();
  }

  private static String describe(Value v) {
    String op = v.definingNode() == null ? "arg" : v.definingNode().op().name();
    return v.nameHint() == null ? op : op + " %" + v.nameHint();
  }

  /** One planning run. */
  private static final class Planner {

    private final Func f;
    private final Map<Node, Integer> step = new IdentityHashMap<>();
    private final List<List<Value>> chains = new ArrayList<>();
    private final List<Long> chainBytes = new ArrayList<>();
    private final List<int[]> chainSteps = new ArrayList<>();
    private final Map<Value, Integer> chainOf = new IdentityHashMap<>();
    private final List<Node> scratchNodes = new ArrayList<>();
    private final List<Long> scratchBytes = new ArrayList<>();
    private final Map<Value, Long> scratchOffsets = new IdentityHashMap<>();
    private final Set<Node> fused;
    /** Concatenation operands placed in their slice: the concatenation's result and the offset. */
    private final Map<Value, OpResult> sliceOf = new IdentityHashMap<>();
    private final Map<Value, Long> sliceOffset = new IdentityHashMap<>();
    private final Set<Node> concatsInPlace = new java.util.HashSet<>();

    Planner(Func f, Set<Node> fused) {
      this.f = f;
      this.fused = fused;
    }

    MemoryPlan plan() {
      Block entry = f.entry();
      List<Node> nodes = entry.nodes();
      for (int i = 0; i < nodes.size(); i++) {
        step.put(nodes.get(i), i);
      }
      Map<Value, Boolean> returned = new IdentityHashMap<>();
      Node term = entry.terminator();
      if (term != null && term.op() instanceof Return) {
        for (Value v : term.operands()) {
          returned.put(v, true);
        }
      }
      for (Node n : nodes) {
        if (n.op() instanceof Concat c && !returned.containsKey(n.result())) {
          slices(n, c);
        }
      }
      for (int i = 0; i < nodes.size(); i++) {
        Node n = nodes.get(i);
        if (n.op() instanceof Constant || n.op() instanceof Return || fused.contains(n)) {
          continue;
        }
        for (OpResult r : n.results()) {
          if (returned.containsKey(r) || sliceOf.containsKey(r)) {
            continue;
          }
          long bytes = bytes(r);
          int last = lastRead(r, i);
          int joined = n.op() instanceof Elementwise ? inPlaceTarget(n, r, bytes, i) : -1;
          if (joined >= 0) {
            chains.get(joined).add(r);
            chainSteps.get(joined)[1] = Math.max(chainSteps.get(joined)[1], last);
            chainOf.put(r, joined);
          } else {
            chainOf.put(r, chains.size());
            chains.add(new ArrayList<>(List.of(r)));
            chainBytes.add(bytes);
            chainSteps.add(new int[] { i, last });
          }
        }
        if (!n.regions().isEmpty()) {
          Map<Value, Long> inside = new IdentityHashMap<>();
          long size = regions(n, 0, inside);
          scratchNodes.add(n);
          scratchBytes.add(size);
          scratchOffsets.putAll(inside);
        }
      }
      for (var e : sliceOf.entrySet()) {
        int c = chainOf.get(e.getValue());
        int def = step.get(((OpResult) e.getKey()).owner());
        chainSteps.get(c)[0] = Math.min(chainSteps.get(c)[0], def);
        chains.get(c).add(e.getKey());
      }
      List<ArenaAllocator.Interval> items = new ArrayList<>();
      for (int c = 0; c < chains.size(); c++) {
        items.add(
          new ArenaAllocator.Interval(chainBytes.get(c), chainSteps.get(c)[0], chainSteps.get(c)[1])
        );
      }
      for (int s = 0; s < scratchNodes.size(); s++) {
        int at = step.get(scratchNodes.get(s));
        items.add(new ArenaAllocator.Interval(scratchBytes.get(s), at, at));
      }
      ArenaAllocator.Assignment a = ArenaAllocator.assign(items);
      List<Buffer> buffers = new ArrayList<>();
      Map<Value, Long> offsets = new IdentityHashMap<>();
      for (int c = 0; c < chains.size(); c++) {
        long off = a.offsets()[c];
        buffers.add(
          new Buffer(
            c,
            chains.get(c),
            chainBytes.get(c),
            items.get(c).first(),
            items.get(c).last(),
            off,
            null
          )
        );
        for (Value v : chains.get(c)) {
          offsets.put(v, off + sliceOffset.getOrDefault(v, 0L));
        }
      }
      for (int s = 0; s < scratchNodes.size(); s++) {
        int id = chains.size() + s;
        long base = a.offsets()[id];
        Node holder = scratchNodes.get(s);
        List<Value> inside = new ArrayList<>();
        collectRegionValues(holder, inside);
        for (Value v : inside) {
          offsets.put(v, base + scratchOffsets.get(v));
        }
        int at = step.get(holder);
        buffers.add(new Buffer(id, inside, scratchBytes.get(s), at, at, base, holder));
      }
      return new MemoryPlan(
        f,
        buffers,
        offsets,
        a.arenaBytes(),
        ArenaAllocator.lowerBound(items),
        a.order().name().toLowerCase(Locale.ROOT).replace('_', '-'),
        Set.copyOf(concatsInPlace)
      );
    }

    /** Places the operands of the concatenation {@code n} that may live in their slices. */
    private void slices(Node n, Concat c) {
      long[] dims = n.result().type().shape().sizes();
      int axis = (int) (c.axis() < 0 ? c.axis() + dims.length : c.axis());
      for (int d = 0; d < axis; d++) {
        if (dims[d] != 1) {
          return;
        }
      }
      long inner = 1;
      for (int d = axis + 1; d < dims.length; d++) {
        inner *= dims[d];
      }
      long elem = n.result().type().elementType().byteSize();
      long at = 0;
      boolean all = true;
      for (Value v : n.operands()) {
        long bytes = Math.multiplyExact(v.type().shape().sizes()[axis] * inner, elem);
        boolean ok =
          v instanceof OpResult r &&
          r.owner().parentNode() == null &&
          step.containsKey(r.owner()) &&
          !(r.owner().op() instanceof Constant) &&
          !(r.owner().op() instanceof Concat) &&
          r.owner().regions().isEmpty() &&
          !fused.contains(r.owner()) &&
          v.uses().size() == 1 &&
          !sliceOf.containsKey(v) &&
          at % ALIGNMENT == 0 &&
          v.type().elementType() == n.result().type().elementType();
        if (ok) {
          sliceOf.put(v, n.result());
          sliceOffset.put(v, at);
        }
        all &= ok;
        at += bytes;
      }
      if (all) {
        concatsInPlace.add(n);
      }
    }

    /** The chain whose buffer {@code r} may write over, or -1. */
    private int inPlaceTarget(Node n, OpResult r, long bytes, int at) {
      TensorType t = r.type();
      for (Value v : n.operands()) {
        Integer c = chainOf.get(v);
        if (c == null || chainSteps.get(c)[1] != at || chainBytes.get(c).longValue() != bytes) {
          continue;
        }
        TensorType vt = v.type();
        if (
          vt.elementType().byteSize() == t.elementType().byteSize() &&
          vt.shape().numElements().equals(t.shape().numElements())
        ) {
          return c;
        }
      }
      return -1;
    }

    /** The last step that reads {@code v}, or {@code def} when nothing does. */
    private int lastRead(Value v, int def) {
      int last = def;
      for (Use u : v.uses()) {
        Node user = u.user();
        while (!step.containsKey(user)) {
          user = user.parentNode();
          if (user == null) {
            throw new IllegalStateException("a use of " + v + " is outside @" + f.name());
          }
        }
        while (fused.contains(user)) {
          user = user.result().uses().getFirst().user();
        }
        last = Math.max(last, step.get(user));
      }
      return last;
    }

    /** Lays the values of {@code n}'s regions out from {@code base}; returns the bytes used. */
    private long regions(Node n, long base, Map<Value, Long> out) {
      long end = base;
      long cursor = base;
      for (Region r : n.regions()) {
        long start = n.op() instanceof If ? base : cursor;
        cursor = block(r.block(), start, out);
        end = Math.max(end, cursor);
      }
      return end - base;
    }

    private long block(Block b, long start, Map<Value, Long> out) {
      long cursor = start;
      for (BlockArgument arg : b.arguments()) {
        cursor = place(arg, cursor, out);
      }
      for (Node n : b.nodes()) {
        if (n.op() instanceof Constant || n.op() instanceof Return) {
          continue;
        }
        for (OpResult r : n.results()) {
          cursor = place(r, cursor, out);
        }
        if (!n.regions().isEmpty()) {
          long at = ArenaAllocator.alignUp(cursor);
          cursor = at + regions(n, at, out);
        }
      }
      return cursor;
    }

    private long place(Value v, long cursor, Map<Value, Long> out) {
      long at = ArenaAllocator.alignUp(cursor);
      out.put(v, at);
      return Math.addExact(at, bytes(v));
    }

    private static void collectRegionValues(Node n, List<Value> out) {
      for (Region r : n.regions()) {
        out.addAll(r.block().arguments());
        for (Node inner : r.block().nodes()) {
          if (inner.op() instanceof Constant || inner.op() instanceof Return) {
            continue;
          }
          out.addAll(inner.results());
          collectRegionValues(inner, out);
        }
      }
    }

    private long bytes(Value v) {
      TensorType t = v.type();
      Optional<Long> elements = t.isStatic() ? t.shape().numElements() : Optional.empty();
      if (elements.isEmpty()) {
        Node def = v.definingNode();
        Node at = def != null ? def : v.parentBlock().parentNode();
        String what = def != null
          ? "a result of " + def.op().name()
          : "an argument of a region of " + (at == null ? "@" + f.name() : at.op().name());
        Location loc = at == null ? f.location() : at.location();
        String where = loc instanceof Location.Unknown ? "" : " at " + loc;
        throw DiagnosticException.error(
          loc,
          "the memory plan needs static shapes: " + what + where + " has type " + t
        );
      }
      return Math.multiplyExact(elements.get(), (long) t.elementType().byteSize());
    }
  }
}
