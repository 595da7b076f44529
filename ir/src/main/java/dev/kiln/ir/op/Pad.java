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
 * Pads (or, with negative amounts, crops) every axis: {@code pads} holds all begins then all ends;
 * output extent {@code n + begin + end}. Mode {@code constant} fills with {@code value}, {@code
 * reflect} mirrors without repeating the edge, {@code edge} repeats it, {@code wrap} tiles. ONNX
 * {@code Pad}.
 */
public record Pad(List<Long> pads, Mode mode, double value) implements Op {
  /** How padded positions are filled. */
  public enum Mode {
    CONSTANT,
    REFLECT,
    EDGE,
    WRAP,
  }

  public static final OpSpec SPEC = OpSpec.of("nn.pad", List.of("x"), List.of("y")).withDefaults(
    Map.of("mode", Mode.CONSTANT, "value", 0.0)
  );

  public Pad {
    pads = List.copyOf(pads);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    int r = x.rank();
    OpError.check(pads.size() == 2 * r, "pads %s needs %d entries", pads, 2 * r);
    List<Dim> out = new ArrayList<>();
    for (int d = 0; d < r; d++) {
      long extra = pads.get(d) + pads.get(d + r);
      Dim n = x.shape().dim(d);
      OpError.check(
        !n.isKnown() || n.size() + extra >= 0,
        "pads %s crop axis %d below zero",
        pads,
        d
      );
      OpError.check(
        mode == Mode.CONSTANT || !n.isKnown() || n.size() > 0 || extra == 0,
        "%s padding of an empty axis",
        mode
      );
      out.add(Shapes.map(n, v -> v + extra));
    }
    return List.of(x.withShape(new Shape(out)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    long[] sx = x.shape().sizes();
    int r = sx.length;
    long[] so = new long[r];
    for (int d = 0; d < r; d++) {
      so[d] = sx[d] + pads.get(d) + pads.get(d + r);
    }
    long[] strides = Strides.of(sx);
    TensorType outType = x.type().withShape(Shape.of(so));
    Tensor.Builder b = new Tensor.Builder(outType);
    boolean integer = !x.elementType().isFloat();
    long[] idx = new long[r];
    for (long i = 0; i < b.size(); i++) {
      long off = 0;
      boolean inside = true;
      for (int d = 0; d < r; d++) {
        long j = idx[d] - pads.get(d);
        long n = sx[d];
        if (j < 0 || j >= n) {
          switch (mode) {
            case CONSTANT -> inside = false;
            case EDGE -> j = j < 0 ? 0 : n - 1;
            case WRAP -> j = Math.floorMod(j, n);
            case REFLECT -> {
              long period = 2 * (n - 1);
              j = period == 0 ? 0 : Math.floorMod(j, period);
              j = j >= n ? period - j : j;
            }
          }
        }
        off += j * strides[d];
      }
      if (!inside) {
        b.setDouble(i, value);
      } else if (integer) {
        b.setLong(i, x.getLong(off));
      } else {
        b.setDouble(i, x.getDouble(off));
      }
      Broadcast.increment(idx, so);
    }
    return List.of(b.build());
  }

  @Override
  public void lower(LowerContext ctx) {
    long[] in = ctx.operandDims(0);
    int r = in.length;
    Expr fill = Ex.c(ctx.resultScalar(0), value);
    if (MoveLowering.count(in) == 0) {
      ctx.forEach(ctx.resultDims(0), idx -> ctx.store(0, idx, fill));
      return;
    }
    ctx.forEach(ctx.resultDims(0), idx -> {
      List<Expr> src = new ArrayList<>();
      Expr inside = null;
      for (int d = 0; d < r; d++) {
        long n = in[d];
        Expr j = Ex.sub(idx.get(d), Ex.i64(pads.get(d)));
        if (pads.get(d) <= 0 && pads.get(d + r) <= 0) {
          src.add(j);
          continue;
        }
        if (mode == Mode.CONSTANT) {
          Expr here = Ex.and(Ex.ge(j, Ex.i64(0)), Ex.lt(j, Ex.i64(n)));
          inside = inside == null ? here : Ex.and(inside, here);
        }
        src.add(source(j, n));
      }
      Expr x = ctx.load(0, src);
      ctx.store(0, idx, inside == null ? x : Ex.select(inside, x, fill));
    });
  }

  /** The input coordinate padded coordinate {@code j} reads on an axis of extent {@code n > 0}. */
  private Expr source(Expr j, long n) {
    return switch (mode) {
      case CONSTANT, EDGE -> MoveLowering.clamp(j, 0, n - 1);
      case WRAP -> MoveLowering.floorMod(j, n);
      case REFLECT -> {
        if (n == 1) {
          yield Ex.i64(0);
        }
        long period = 2 * (n - 1);
        Expr m = MoveLowering.floorMod(j, period);
        yield Ex.select(Ex.ge(m, Ex.i64(n)), Ex.sub(Ex.i64(period), m), m);
      }
    };
  }
}
