package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Region;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * A loop: while {@code i < max_trip_count} and the condition holds, runs its region on {@code (i,
 * cond, carried...)}, which returns {@code (cond', carried'..., slices...)}; {@code i} counts from
 * 0. The results are the final carried values followed by the per-iteration slices stacked along
 * a new leading dimension (extent: the number of iterations run, unknown to inference). The
 * region's arguments are an {@code i64} scalar, a {@code bool} scalar and the carried types;
 * carried results must keep element type and rank, and where a dimension differs from the initial
 * value's it is unknown. ONNX {@code Loop} (an absent trip count is the largest {@code i64}, an
 * absent condition is true).
 */
public record Loop() implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.loop",
    List.of("max_trip_count", "cond", "initial..."),
    List.of("results...")
  ).withRegions(1);

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    OpError.check(ctx.operands().size() >= 2, "nn.loop needs a trip count and a condition");
    TensorType trip = ctx.operand(0);
    OpError.check(
      trip.elementType() == ElementType.I64 && trip.shape().numElements().orElse(1L) == 1,
      "trip count must be a single i64, got %s",
      trip
    );
    TensorType cond = ctx.operand(1);
    OpError.check(
      cond.elementType() == ElementType.BOOL && cond.shape().numElements().orElse(1L) == 1,
      "condition must be a single bool, got %s",
      cond
    );
    OpError.check(
      ctx.regions().size() == 1,
      "nn.loop needs one region, got %d",
      ctx.regions().size()
    );
    int carried = ctx.operands().size() - 2;
    List<TensorType> body = ctx.regions().getFirst().resultTypes();
    OpError.check(
      body.size() >= 1 + carried,
      "the body returns %d values, needs at least %d (condition and %d carried)",
      body.size(),
      1 + carried,
      carried
    );
    TensorType condOut = body.getFirst();
    OpError.check(
      condOut.elementType() == ElementType.BOOL && condOut.shape().numElements().orElse(1L) == 1,
      "the body's condition must be a single bool, got %s",
      condOut
    );
    List<TensorType> out = new ArrayList<>();
    for (int i = 0; i < carried; i++) {
      out.add(Merge.join(ctx.operand(2 + i), body.get(1 + i), i));
    }
    for (int i = 1 + carried; i < body.size(); i++) {
      out.add(Stacking.insertAxis(body.get(i), 0, Dim.UNKNOWN));
    }
    return out;
  }

  @Override
  public void verify(Node node) {
    Region r = node.regions().getFirst();
    int carried = node.numOperands() - 2;
    OpError.check(
      r.block().arguments().size() == 2 + carried,
      "the body takes %d arguments, needs %d (iteration, condition and %d carried)",
      r.block().arguments().size(),
      2 + carried,
      carried
    );
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    long max = operands.get(0).getLong(0);
    boolean cond = operands.get(1).getLong(0) != 0;
    List<Tensor> state = new ArrayList<>(operands.subList(2, operands.size()));
    int carried = state.size();
    List<List<Tensor>> scans = new ArrayList<>();
    for (long i = 0; i < max && cond; i++) {
      List<Tensor> args = new ArrayList<>();
      args.add(Tensor.ofLongs(TensorType.of(ElementType.I64), i));
      args.add(Tensor.ofLongs(TensorType.of(ElementType.BOOL), 1));
      args.addAll(state);
      List<Tensor> out = ctx.runRegion(0, args);
      cond = out.getFirst().getLong(0) != 0;
      state = new ArrayList<>(out.subList(1, 1 + carried));
      for (int k = 1 + carried; k < out.size(); k++) {
        if (scans.size() < k - carried) {
          scans.add(new ArrayList<>());
        }
        scans.get(k - 1 - carried).add(out.get(k));
      }
    }
    List<Tensor> results = new ArrayList<>(state);
    List<TensorType> body = ctx.regionResultTypes(0);
    for (int k = 1 + carried; k < body.size(); k++) {
      List<Tensor> parts = scans.isEmpty() ? List.of() : scans.get(k - 1 - carried);
      TensorType part = parts.isEmpty() ? body.get(k) : parts.getFirst().type();
      OpError.check(
        part.isStatic(),
        "a loop that runs no iterations needs static slice shapes, got %s",
        part
      );
      results.add(Stacking.stack(parts, part, 0));
    }
    return results;
  }
}
