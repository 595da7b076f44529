package dev.kiln.analysis;

import dev.kiln.ir.Block;
import dev.kiln.ir.Func;
import dev.kiln.ir.Node;
import dev.kiln.ir.Region;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.op.Constant;

/**
 * One kind of memory a function asks for, in all and for its largest single item: the workspace
 * arena of a {@link MemoryPlan} (largest item: a workspace buffer), or the bytes of its constants,
 * which an object file carries (largest item: an {@code nn.constant}). Resource limits ({@code
 * --max-workspace}, {@code --max-weights}) are checked against these and name the largest item's
 * node when they are exceeded.
 *
 * @param bytes the total
 * @param largest the node of the largest item: the node defining a buffer's first value, the node
 *     whose regions a scratch buffer holds, or a constant; null when there is no item
 * @param largestBytes the largest item's bytes
 */
public record MemoryNeeds(long bytes, Node largest, long largestBytes) {
  /** The arena of {@code plan}, and its largest buffer. */
  public static MemoryNeeds workspace(MemoryPlan plan) {
    Node largest = null;
    long largestBytes = 0;
    for (MemoryPlan.Buffer b : plan.buffers()) {
      if (b.bytes() > largestBytes) {
        largestBytes = b.bytes();
        largest = b.scratchFor() != null ? b.scratchFor() : b.values().getFirst().definingNode();
      }
    }
    return new MemoryNeeds(plan.arenaBytes(), largest, largestBytes);
  }

  /** The bytes of every {@code nn.constant} of {@code f}, regions included, and the largest. */
  public static MemoryNeeds weights(Func f) {
    long[] bytes = new long[2];
    Node[] largest = new Node[1];
    constants(f.entry(), bytes, largest);
    return new MemoryNeeds(bytes[0], largest[0], bytes[1]);
  }

  private static void constants(Block b, long[] bytes, Node[] largest) {
    for (Node n : b.nodes()) {
      if (n.op() instanceof Constant c) {
        Tensor t = c.value();
        long size = t.size() * t.elementType().byteSize();
        bytes[0] += size;
        if (size > bytes[1]) {
          bytes[1] = size;
          largest[0] = n;
        }
      }
      for (Region r : n.regions()) {
        constants(r.block(), bytes, largest);
      }
    }
  }
}
