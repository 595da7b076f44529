package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Scatters slices into a copy of {@code x}: the last axis of {@code indices} (extent {@code k})
 * holds coordinates into the first {@code k} axes of {@code x} (negative coordinates count from the
 * end), and the matching slice of {@code updates} is combined there by {@code reduction}, in
 * row-major order of the tuples. {@code updates.shape == indices.shape[:-1] + x.shape[k:]}; output
 * shape {@code x.shape}. ONNX {@code ScatterND}.
 */
public record ScatterNd(ScatterReduction reduction) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.scatter_nd",
    List.of("x", "indices", "updates"),
    List.of("y")
  ).withDefaults(Map.of("reduction", ScatterReduction.NONE));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    TensorType idx = ctx.operand(1);
    TensorType upd = ctx.operand(2);
    Indexing.requireIndices(idx);
    OpError.check(
      upd.elementType() == x.elementType(),
      "updates element type %s must equal data element type %s",
      upd.elementType(),
      x.elementType()
    );
    int q = idx.rank();
    OpError.check(q >= 1, "indices need rank >= 1, got %s", idx);
    Dim last = idx.shape().dim(q - 1);
    OpError.check(last.isKnown(), "the last extent of indices must be known, got %s", idx);
    long k = last.size();
    OpError.check(
      k >= 1 && k <= x.rank(),
      "index tuples of length %d need 1 <= length <= data rank %d",
      k,
      x.rank()
    );
    int expected = q - 1 + x.rank() - (int) k;
    OpError.check(
      upd.rank() == expected,
      "updates rank (%d) must be indices rank - 1 + data rank - %d = %d",
      upd.rank(),
      k,
      expected
    );
    for (int d = 0; d < expected; d++) {
      Dim want = d < q - 1 ? idx.shape().dim(d) : x.shape().dim(d - (q - 1) + (int) k);
      Dim got = upd.shape().dim(d);
      OpError.check(
        !want.isKnown() || !got.isKnown() || want.equals(got),
        "updates extent %s on axis %d must be %s",
        got,
        d,
        want
      );
    }
    return List.of(x);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.get(0);
    Tensor indices = operands.get(1);
    Tensor updates = operands.get(2);
    inferTypes(new InferContext(List.of(x.type(), indices.type(), updates.type()), List.of()));
    long[] sx = x.shape().sizes();
    long[] si = indices.shape().sizes();
    int k = (int) si[si.length - 1];
    long[] strides = Strides.of(sx);
    long slice = Strides.product(sx, k, sx.length);
    long tuples = Strides.product(si, 0, si.length - 1);
    Indexing.Values out = new Indexing.Values(x);
    for (long t = 0; t < tuples; t++) {
      long base = 0;
      for (int c = 0; c < k; c++) {
        base += Indexing.resolve(indices.getLong(t * k + c), sx[c]) * strides[c];
      }
      for (long e = 0; e < slice; e++) {
        out.combine(base + e, updates, t * slice + e, reduction);
      }
    }
    return List.of(out.build());
  }

  @Override
  public void lower(LowerContext ctx) {
    long[] out = ctx.operandDims(0);
    long[] si = ctx.operandDims(1);
    int k = (int) si[si.length - 1];
    long[] strides = Strides.of(out);
    long slice = Strides.product(out, k, out.length);
    long[] tuples = Arrays.copyOf(si, si.length - 1);
    MoveLowering.copy(ctx, 0);
    for (int c = 0; c < k; c++) {
      MoveLowering.requireNonEmpty(out[c], MoveLowering.count(tuples), "scatter_nd");
    }
    ctx.forEach(tuples, t -> {
      List<Expr> at = new ArrayList<>(t);
      at.add(null);
      Expr base = Ex.i64(0);
      for (int c = 0; c < k; c++) {
        at.set(t.size(), Ex.i64(c));
        Expr j = MoveLowering.resolve(ctx.load(1, at), out[c]);
        base = Ex.add(base, Ex.mul(j, Ex.i64(strides[c])));
      }
      Expr first = ctx.let("base", base);
      Expr from = Ex.mul(Ex.linear(tuples, t), Ex.i64(slice));
      ctx.loop("e", slice, e ->
        MoveLowering.combine(ctx, Ex.add(first, e), ctx.loadLinear(2, Ex.add(from, e)), reduction)
      );
    });
  }
}
