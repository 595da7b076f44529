package dev.kiln.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.analysis.ArenaAllocator.Interval;
import dev.kiln.ir.Builder;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Location;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpResult;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Use;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Add;
import dev.kiln.ir.op.Concat;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.Elementwise;
import dev.kiln.ir.op.Exp;
import dev.kiln.ir.op.Mul;
import dev.kiln.ir.op.Neg;
import dev.kiln.ir.op.Relu;
import dev.kiln.ir.op.Return;
import dev.kiln.ir.op.Transpose;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Over random DAGs of elementwise and data-movement ops: no two tensors live at one step share a
 * byte (except an elementwise result written over the operand it reads last), offsets are aligned,
 * every workspace tensor has an offset, and the arena is at least the lower bound.
 */
class MemoryPlanPropertyTest {

  private static final long[] SIZES = { 1, 3, 16, 17, 40, 64, 100, 250 };

  @Property(tries = 300)
  void no_two_live_tensors_overlap(@ForAll long seed) {
    Func f = randomFunc(new SplittableRandom(seed));
    MemoryPlan p = MemoryPlan.of(f);
    assertEquals(0, p.arenaBytes() % MemoryPlan.ALIGNMENT);
    assertTrue(p.arenaBytes() >= p.arenaLowerBound(), p.report());

    List<Node> nodes = f.entry().nodes();
    Map<Node, Integer> step = new IdentityHashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      step.put(nodes.get(i), i);
    }
    Set<Value> returned = new LinkedHashSet<>(f.entry().terminator().operands());
    List<OpResult> workspace = new ArrayList<>();
    for (Node n : nodes) {
      if (n.op() instanceof Constant || n.op() instanceof Return) {
        continue;
      }
      for (OpResult r : n.results()) {
        if (!returned.contains(r)) {
          workspace.add(r);
        }
      }
    }
    for (Value v : f.arguments()) {
      assertTrue(p.offset(v).isEmpty());
    }
    for (Value v : returned) {
      assertTrue(p.offset(v).isEmpty());
    }
    for (OpResult v : workspace) {
      long off = p.offset(v).orElseThrow(() -> new AssertionError("no offset for " + v));
      assertEquals(0, off % MemoryPlan.ALIGNMENT);
      assertTrue(off + bytes(v) <= p.arenaBytes(), p.report());
    }
    for (int i = 0; i < workspace.size(); i++) {
      OpResult u = workspace.get(i);
      int[] lu = lifetime(u, step);
      long uo = p.offset(u).getAsLong();
      for (int j = i + 1; j < workspace.size(); j++) {
        OpResult v = workspace.get(j);
        int[] lv = lifetime(v, step);
        long vo = p.offset(v).getAsLong();
        boolean together = lu[0] <= lv[1] && lv[0] <= lu[1];
        boolean sharing = uo < vo + bytes(v) && vo < uo + bytes(u);
        if (!together || !sharing) {
          continue;
        }
        boolean inPlace =
          lu[1] == lv[0] &&
          v.owner().op() instanceof Elementwise &&
          v.owner().operands().contains(u) &&
          bytes(u) == bytes(v);
        assertTrue(
          inPlace || sliceOf(u, v, p) || sliceOf(v, u, p),
          "%" + u.nameHint() + " and %" + v.nameHint() + "\n" + p.report()
        );
      }
    }
  }

  /**
   * Whether {@code part} lives in its own slice of {@code whole}, the result of the concatenation
   * that is its one reader (or of the elementwise chain written over that result): its bytes are
   * the operand's slice of the result.
   */
  private static boolean sliceOf(OpResult part, OpResult whole, MemoryPlan p) {
    if (part.uses().size() != 1 || !(part.uses().getFirst().user().op() instanceof Concat)) {
      return false;
    }
    OpResult concat = part.uses().getFirst().user().result();
    if (p.buffer(concat).isEmpty() || !p.buffer(concat).equals(p.buffer(whole))) {
      return false;
    }
    long at = p.offset(concat).getAsLong();
    long[] dims = concat.type().shape().sizes();
    long a = ((Concat) concat.owner().op()).axis();
    int axis = (int) (a < 0 ? a + dims.length : a);
    long inner = bytes(concat) / dims[axis];
    for (Value o : concat.owner().operands()) {
      if (o == part) {
        return p.offset(part).getAsLong() == at;
      }
      at += inner * o.type().shape().sizes()[axis];
    }
    return false;
  }

  @Property(tries = 300)
  void allocator_never_overlaps_live_intervals(@ForAll long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = r.nextInt(1, 40);
    List<Interval> items = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int first = r.nextInt(0, 30);
      items.add(new Interval(r.nextLong(0, 5000), first, first + r.nextInt(0, 10)));
    }
    long lower = ArenaAllocator.lowerBound(items);
    for (ArenaAllocator.Order o : ArenaAllocator.Order.values()) {
      ArenaAllocator.Assignment a = ArenaAllocator.assign(items, o);
      assertTrue(a.arenaBytes() >= lower);
      for (int i = 0; i < n; i++) {
        Interval x = items.get(i);
        long xo = a.offsets()[i];
        assertEquals(0, xo % ArenaAllocator.ALIGNMENT);
        assertTrue(xo + x.bytes() <= a.arenaBytes());
        for (int j = i + 1; j < n; j++) {
          Interval y = items.get(j);
          long yo = a.offsets()[j];
          if (x.bytes() == 0 || y.bytes() == 0 || !x.overlaps(y)) {
            continue;
          }
          assertTrue(xo + x.bytes() <= yo || yo + y.bytes() <= xo, o + ": " + i + " and " + j);
        }
      }
    }
  }

  private static int[] lifetime(OpResult v, Map<Node, Integer> step) {
    int def = step.get(v.owner());
    int last = def;
    for (Use u : v.uses()) {
      last = Math.max(last, step.get(u.user()));
    }
    return new int[] { def, last };
  }

  private static long bytes(Value v) {
    return v.type().shape().numElements().orElseThrow() * v.type().elementType().byteSize();
  }

  /** A random DAG of 1-D and 2-D f32 tensors over unary, binary, concat and transpose nodes. */
  static Func randomFunc(SplittableRandom r) {
    Func f = new Func("main", List.of(), Location.UNKNOWN);
    Builder b = new Builder(f.entry());
    List<Value> pool = new ArrayList<>();
    int args = r.nextInt(1, 4);
    for (int i = 0; i < args; i++) {
      pool.add(f.entry().addArgument(type(r), "x" + i));
    }
    int count = r.nextInt(1, 30);
    for (int i = 0; i < count; i++) {
      Value a = pool.get(r.nextInt(pool.size()));
      OpResult v = switch (r.nextInt(7)) {
        case 0 -> b.value(new Relu(), List.of(a), Location.UNKNOWN);
        case 1 -> b.value(new Exp(), List.of(a), Location.UNKNOWN);
        case 2 -> b.value(new Neg(), List.of(a), Location.UNKNOWN);
        case 3 -> {
          List<Value> same = pool
            .stream()
            .filter(w -> w.type().equals(a.type()))
            .toList();
          Value w = same.get(r.nextInt(same.size()));
          yield b.value(r.nextBoolean() ? new Add() : new Mul(), List.of(a, w), Location.UNKNOWN);
        }
        case 4 -> {
          List<Value> same = pool
            .stream()
            .filter(w -> concatenable(w.type(), a.type()))
            .toList();
          Value w = same.get(r.nextInt(same.size()));
          long axis = r.nextBoolean() ? 0 : -a.type().rank();
          yield b.value(new Concat(axis), List.of(a, w), Location.UNKNOWN);
        }
        case 5 -> a.type().rank() == 2
          ? b.value(new Transpose(List.of(1L, 0L)), List.of(a), Location.UNKNOWN)
          : b.value(new Relu(), List.of(a), Location.UNKNOWN);
        default -> {
          TensorType t = type(r);
          yield b.value(new Constant(new Tensor.Builder(t).build()), List.of(), Location.UNKNOWN);
        }
      };
      v.setNameHint("v" + i);
      pool.add(v);
    }
    List<Value> results = new ArrayList<>();
    results.add(pool.getLast());
    for (Value v : pool) {
      if (v.definingNode() != null && v != pool.getLast() && r.nextInt(8) == 0) {
        results.add(v);
      }
    }
    b.create(new Return(), results, Location.UNKNOWN);
    f.setResultTypes(results.stream().map(Value::type).toList());
    return f;
  }

  private static boolean concatenable(TensorType x, TensorType y) {
    return x.rank() == y.rank() && (x.rank() == 1 || x.shape().sizes()[1] == y.shape().sizes()[1]);
  }

  private static TensorType type(SplittableRandom r) {
    long n = SIZES[r.nextInt(SIZES.length)];
    return r.nextBoolean()
      ? TensorType.of(ElementType.F32, n)
      : TensorType.of(ElementType.F32, r.nextInt(1, 4), n);
  }
}
