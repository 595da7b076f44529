package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Gathers slices of {@code x} addressed by index tuples: the last axis of {@code indices} (extent
 * {@code k}) holds coordinates into axes {@code [b, b + k)} of {@code x}, where the first {@code b
 * = batchDims} axes of both operands are shared batch axes (negative coordinates count from the
 * end). Output shape {@code indices.shape[:-1] + x.shape[b + k:]}. ONNX {@code GatherND}.
 */
public record GatherNd(long batchDims) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.gather_nd",
    List.of("x", "indices"),
    List.of("y")
  ).withDefaults(Map.of("batchDims", 0L));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    TensorType idx = ctx.operand(1);
    Indexing.requireIndices(idx);
    int r = x.rank();
    int q = idx.rank();
    OpError.check(q >= 1, "indices need rank >= 1, got %s", idx);
    OpError.check(
      batchDims >= 0 && batchDims < Math.min(r, q),
      "batch_dims %d must be in [0, min(data rank %d, indices rank %d))",
      batchDims,
      r,
      q
    );
    int b = (int) batchDims;
    Dim last = idx.shape().dim(q - 1);
    OpError.check(last.isKnown(), "the last extent of indices must be known, got %s", idx);
    long k = last.size();
    OpError.check(
      k >= 1 && b + k <= r,
      "index tuples of length %d need 1 <= length <= data rank %d - batch_dims %d",
      k,
      r,
      b
    );
    for (int d = 0; d < b; d++) {
      Dim n = x.shape().dim(d);
      Dim m = idx.shape().dim(d);
      OpError.check(
        !n.isKnown() || !m.isKnown() || n.equals(m),
        "batch axis %d has extent %s in data but %s in indices",
        d,
        n,
        m
      );
    }
    List<Dim> out = new ArrayList<>(idx.shape().dims().subList(0, q - 1));
    out.addAll(x.shape().dims().subList(b + (int) k, r));
    return List.of(x.withShape(new Shape(out)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.get(0);
    Tensor indices = operands.get(1);
    TensorType outType = inferTypes(
      new InferContext(List.of(x.type(), indices.type()), List.of())
    ).getFirst();
    long[] sx = x.shape().sizes();
    long[] si = indices.shape().sizes();
    int r = sx.length;
    int q = si.length;
    int b = (int) batchDims;
    int k = (int) si[q - 1];
    long[] strides = Strides.of(sx);
    long batches = Strides.product(sx, 0, b);
    long perBatch = Strides.product(si, b, q - 1);
    long batchStride = Strides.product(sx, b, r);
    int w = x.elementType().byteSize();
    int slice = Math.toIntExact(Strides.product(sx, b + k, r) * w);
    byte[] src = x.bytes();
    byte[] dst = new byte[Math.toIntExact(batches * perBatch * slice)];
    int pos = 0;
    for (long bi = 0; bi < batches; bi++) {
      for (long t = 0; t < perBatch; t++) {
        long tuple = (bi * perBatch + t) * k;
        long off = bi * batchStride;
        for (int c = 0; c < k; c++) {
          off += Indexing.resolve(indices.getLong(tuple + c), sx[b + c]) * strides[b + c];
        }
        System.arraycopy(src, (int) (off * w), dst, pos, slice);
        pos += slice;
      }
    }
    return List.of(Tensor.wrap(outType, dst));
  }

  @Override
  public void lower(LowerContext ctx) {
    long[] in = ctx.operandDims(0);
    long[] si = ctx.operandDims(1);
    int q = si.length;
    int b = (int) batchDims;
    int k = (int) si[q - 1];
    long reads = MoveLowering.count(ctx.resultDims(0));
    for (int c = 0; c < k; c++) {
      MoveLowering.requireNonEmpty(in[b + c], reads, "gather_nd");
    }
    MoveLowering.gather(ctx, idx -> {
      List<Expr> src = new ArrayList<>(idx.subList(0, b));
      List<Expr> tuple = new ArrayList<>(idx.subList(0, q - 1));
      tuple.add(null);
      for (int c = 0; c < k; c++) {
        tuple.set(q - 1, Ex.i64(c));
        src.add(MoveLowering.resolve(ctx.load(1, tuple), in[b + c]));
      }
      src.addAll(idx.subList(q - 1, idx.size()));
      return src;
    });
  }
}
