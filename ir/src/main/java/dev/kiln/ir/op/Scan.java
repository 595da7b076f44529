package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Node;
import dev.kiln.ir.Region;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs its region once per position along the scan axes. The operands are the initial states
 * followed by {@code num_scan_inputs} scan inputs; step {@code t} passes the states and, for each
 * scan input, its slice at {@code t} along {@code scan_input_axes[j]} (at {@code n-1-t} where
 * {@code scan_input_directions[j]} is 1). The region returns the next states followed by one slice
 * per scan output. The results are the final states and the scan outputs: slices stacked along a
 * new dimension {@code scan_output_axes[k]} (in reverse order where {@code
 * scan_output_directions[k]} is 1), of extent {@code n}, the common extent of the scan inputs along
 * their axes. Axes may be negative (counted from the end of the input, or of the output's rank);
 * empty attribute lists mean all zeros. ONNX {@code Scan} (opset 9 and later).
 */
public record Scan(
  long numScanInputs,
  List<Long> scanInputAxes,
  List<Long> scanInputDirections,
  List<Long> scanOutputAxes,
  List<Long> scanOutputDirections
) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.scan",
    List.of("inputs..."),
    List.of("results...")
  )
    .withRegions(1)
    .withDefaults(
      java.util.Map.of(
        "scanInputAxes",
        List.of(),
        "scanInputDirections",
        List.of(),
        "scanOutputAxes",
        List.of(),
        "scanOutputDirections",
        List.of()
      )
    );

  public Scan {
    scanInputAxes = canonical(scanInputAxes);
    scanInputDirections = canonical(scanInputDirections);
    scanOutputAxes = canonical(scanOutputAxes);
    scanOutputDirections = canonical(scanOutputDirections);
  }

  private static List<Long> canonical(List<Long> xs) {
    return xs.stream().allMatch(x -> x == 0) ? List.of() : List.copyOf(xs);
  }

  private static long at(List<Long> xs, int i) {
    return xs.isEmpty() ? 0 : xs.get(i);
  }

  private void checkLengths(int scanOutputs) {
    checkLength("scan_input_axes", scanInputAxes, numScanInputs);
    checkLength("scan_input_directions", scanInputDirections, numScanInputs);
    checkLength("scan_output_axes", scanOutputAxes, scanOutputs);
    checkLength("scan_output_directions", scanOutputDirections, scanOutputs);
  }

  private static void checkLength(String what, List<Long> xs, long want) {
    OpError.check(
      xs.isEmpty() || xs.size() == want,
      "%s has %d entries, expected %d",
      what,
      xs.size(),
      want
    );
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    int total = ctx.operands().size();
    OpError.check(
      numScanInputs >= 1 && numScanInputs <= total,
      "num_scan_inputs must be in [1, %d], got %d",
      total,
      numScanInputs
    );
    int states = total - (int) numScanInputs;
    OpError.check(
      ctx.regions().size() == 1,
      "nn.scan needs one region, got %d",
      ctx.regions().size()
    );
    List<TensorType> body = ctx.regions().getFirst().resultTypes();
    OpError.check(
      body.size() >= states,
      "the body returns %d values, needs at least %d states",
      body.size(),
      states
    );
    int scanOutputs = body.size() - states;
    checkLengths(scanOutputs);
    Dim n = null;
    for (int j = 0; j < numScanInputs; j++) {
      TensorType x = ctx.operand(states + j);
      Dim d = x.shape().dim(Shapes.axis(at(scanInputAxes, j), x.rank()));
      if (n == null || !n.isKnown()) {
        n = d.isKnown() || n == null ? d : n;
      } else if (d.isKnown()) {
        OpError.check(
          d.size() == n.size(),
          "scan input %d has %d steps, scan input 0 has %d",
          j,
          d.size(),
          n.size()
        );
      }
    }
    List<TensorType> out = new ArrayList<>();
    for (int i = 0; i < states; i++) {
      out.add(Merge.join(ctx.operand(i), body.get(i), i));
    }
    for (int k = 0; k < scanOutputs; k++) {
      TensorType slice = body.get(states + k);
      out.add(Stacking.insertAxis(slice, Shapes.axis(at(scanOutputAxes, k), slice.rank() + 1), n));
    }
    return out;
  }

  @Override
  public void verify(Node node) {
    Region r = node.regions().getFirst();
    OpError.check(
      r.block().arguments().size() == node.numOperands(),
      "the body takes %d arguments, needs %d (states and scan slices)",
      r.block().arguments().size(),
      node.numOperands()
    );
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    int states = operands.size() - (int) numScanInputs;
    int[] inAxes = new int[(int) numScanInputs];
    long n = -1;
    for (int j = 0; j < numScanInputs; j++) {
      Tensor x = operands.get(states + j);
      inAxes[j] = Shapes.axis(at(scanInputAxes, j), x.type().rank());
      long len = x.shape().sizes()[inAxes[j]];
      OpError.check(
        n < 0 || len == n,
        "scan input %d has %d steps, scan input 0 has %d",
        j,
        len,
        n
      );
      n = len;
    }
    List<TensorType> body = ctx.regionResultTypes(0);
    int scanOutputs = body.size() - states;
    checkLengths(scanOutputs);
    List<Tensor> state = new ArrayList<>(operands.subList(0, states));
    List<Tensor[]> slices = new ArrayList<>();
    for (int k = 0; k < scanOutputs; k++) {
      slices.add(new Tensor[(int) n]);
    }
    for (long t = 0; t < n; t++) {
      List<Tensor> args = new ArrayList<>(state);
      for (int j = 0; j < numScanInputs; j++) {
        long index = at(scanInputDirections, j) == 1 ? n - 1 - t : t;
        args.add(Stacking.take(operands.get(states + j), inAxes[j], index));
      }
      List<Tensor> out = ctx.runRegion(0, args);
      state = new ArrayList<>(out.subList(0, states));
      for (int k = 0; k < scanOutputs; k++) {
        long pos = at(scanOutputDirections, k) == 1 ? n - 1 - t : t;
        slices.get(k)[(int) pos] = out.get(states + k);
      }
    }
    List<Tensor> results = new ArrayList<>(state);
    for (int k = 0; k < scanOutputs; k++) {
      List<Tensor> parts = List.of(slices.get(k));
      TensorType part = n > 0 ? parts.getFirst().type() : body.get(states + k);
      OpError.check(
        part.isStatic(),
        "a scan over no steps needs static slice shapes, got %s",
        part
      );
      int axis = Shapes.axis(at(scanOutputAxes, k), part.rank() + 1);
      results.add(Stacking.stack(parts, part, axis));
    }
    return results;
  }
}
