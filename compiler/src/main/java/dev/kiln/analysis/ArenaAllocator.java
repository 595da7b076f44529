package dev.kiln.analysis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Offset assignment for buffers with known sizes and lifetimes in one arena, by greedy-by-size
 * with best fit (Pisarchyk and Lee, "Efficient Memory Management for Deep Neural Net Inference",
 * 2020), tried over several placement orders.
 *
 * <p>One placement order: take the buffers one by one; for each, list the buffers already placed
 * whose lifetimes intersect its own, by offset, and walk the gaps between them from offset 0. A gap
 * fits when the buffer, starting at the gap's first {@link #ALIGNMENT}-aligned offset, ends before
 * the next placed buffer begins; the fitting gap with the least slack wins (the lowest on ties);
 * without one the buffer goes at the first aligned offset after all intersecting buffers. The
 * arena is the largest end, rounded up to the alignment. Buffers of zero bytes get offset 0 and
 * take no space. Cost: {@code O(n^2 log n)} for {@code n} buffers.
 *
 * <p>{@link #assign} tries the orders of {@link Order} and keeps the smallest arena, the earlier
 * order on ties. Largest-first is the classic rule; the other orders win on graphs where one long
 * lived buffer fragments the arena that larger short-lived ones would otherwise fill.
 */
final class ArenaAllocator {

  /** Every offset is a multiple of this many bytes, as is the arena size. */
  static final long ALIGNMENT = 64;

  /** A buffer of {@code bytes}, live from step {@code first} to step {@code last}, both included. */
  record Interval(long bytes, int first, int last) {
    Interval {
      if (bytes < 0 || first > last) {
        throw new IllegalArgumentException(
          "bad interval " + bytes + " [" + first + ", " + last + "]"
        );
      }
    }

    boolean overlaps(Interval o) {
      return first <= o.last && o.first <= last;
    }

    int length() {
      return last - first + 1;
    }
  }

  /** The order in which buffers are placed; ties fall back to the earlier first step, then index. */
  enum Order {
    /** Largest first, the classic greedy-by-size. */
    SIZE(Comparator.comparingLong((Interval i) -> i.bytes()).reversed()),
    /** Largest first, longer lifetime first among equal sizes. */
    SIZE_THEN_LENGTH(
      Comparator.comparingLong((Interval i) -> i.bytes())
        .reversed()
        .thenComparing(Comparator.comparingInt(Interval::length).reversed())
    ),
    /** Largest {@code bytes * lifetime} first. */
    AREA(Comparator.comparingDouble((Interval i) -> -(double) i.bytes() * i.length())),
    /** Longest lifetime first. */
    LENGTH(
      Comparator.comparingInt(Interval::length)
        .reversed()
        .thenComparing(Comparator.comparingLong(Interval::bytes).reversed())
    ),
    /** In schedule order: the first-defined buffer first. */
    START(Comparator.comparingInt(Interval::first));

    private final Comparator<Interval> comparator;

    Order(Comparator<Interval> comparator) {
      this.comparator = comparator;
    }
  }

  /** Offsets chosen for each interval (in input order), and the arena they need. */
  record Assignment(long[] offsets, long arenaBytes, Order order) {}

  private ArenaAllocator() {}

  static long alignUp(long bytes) {
    return Math.addExact(bytes, ALIGNMENT - 1) & -ALIGNMENT;
  }

  /** The best assignment over every {@link Order}. */
  static Assignment assign(List<Interval> items) {
    Assignment best = null;
    for (Order o : Order.values()) {
      Assignment a = assign(items, o);
      if (best == null || a.arenaBytes() < best.arenaBytes()) {
        best = a;
      }
    }
    return best;
  }

  /** Greedy best fit in one placement order. */
  static Assignment assign(List<Interval> items, Order order) {
    int n = items.size();
    Integer[] byOrder = new Integer[n];
    for (int i = 0; i < n; i++) {
      byOrder[i] = i;
    }
    Comparator<Integer> cmp = Comparator.comparing(items::get, order.comparator);
    cmp = cmp.thenComparingInt(i -> items.get(i).first()).thenComparingInt(i -> i);
    Arrays.sort(byOrder, cmp);
    long[] offsets = new long[n];
    List<Integer> placed = new ArrayList<>();
    long arena = 0;
    for (int idx : byOrder) {
      Interval it = items.get(idx);
      if (it.bytes() == 0) {
        continue;
      }
      List<Integer> live = new ArrayList<>();
      for (int p : placed) {
        if (items.get(p).overlaps(it)) {
          live.add(p);
        }
      }
      live.sort(Comparator.comparingLong((Integer p) -> offsets[p]));
      long end = 0;
      long bestOffset = -1;
      long bestSlack = Long.MAX_VALUE;
      for (int p : live) {
        long candidate = alignUp(end);
        long slack = offsets[p] - candidate - it.bytes();
        if (slack >= 0 && slack < bestSlack) {
          bestSlack = slack;
          bestOffset = candidate;
        }
        end = Math.max(end, offsets[p] + items.get(p).bytes());
      }
      offsets[idx] = bestOffset >= 0 ? bestOffset : alignUp(end);
      arena = Math.max(arena, alignUp(Math.addExact(offsets[idx], it.bytes())));
      placed.add(idx);
    }
    return new Assignment(offsets, arena, order);
  }

  /**
   * The largest sum of aligned sizes live at one step: no assignment with aligned offsets can use
   * a smaller arena, because buffers live together occupy disjoint ranges that each start on an
   * aligned offset.
   */
  static long lowerBound(List<Interval> items) {
    int steps = 0;
    for (Interval it : items) {
      steps = Math.max(steps, it.last() + 2);
    }
    long[] delta = new long[steps];
    for (Interval it : items) {
      long b = alignUp(it.bytes());
      delta[it.first()] += b;
      delta[it.last() + 1] -= b;
    }
    long live = 0;
    long max = 0;
    for (long d : delta) {
      live = Math.addExact(live, d);
      max = Math.max(max, live);
    }
    return max;
  }
}
