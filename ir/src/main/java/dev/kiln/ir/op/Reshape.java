package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.LowerContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reinterprets the row-major elements of {@code x} under {@code shape}. At most one entry may be
 * {@code -1}: it takes the element count of {@code x} divided by the product of the others. Element
 * counts must agree. ONNX {@code Reshape} with a constant shape input ({@code 0} entries resolved by
 * the frontend).
 */
public record Reshape(List<Long> shape) implements Op {
  public static final OpSpec SPEC = OpSpec.of("nn.reshape", List.of("x"), List.of("y"));

  public Reshape {
    shape = List.copyOf(shape);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    OpError.check(
      shape.size() <= Shape.MAX_RANK,
      "rank %d exceeds %d",
      shape.size(),
      Shape.MAX_RANK
    );
    int inferred = -1;
    long known = 1;
    for (int i = 0; i < shape.size(); i++) {
      long s = shape.get(i);
      if (s == -1) {
        OpError.check(inferred < 0, "at most one dimension may be -1, got %s", shape);
        inferred = i;
      } else {
        OpError.check(s >= 0, "dimension %d of %s is negative", i, shape);
        known = Math.multiplyExact(known, s);
      }
    }
    Optional<Long> count = x.shape().numElements();
    List<Dim> out = new ArrayList<>();
    for (int i = 0; i < shape.size(); i++) {
      if (i != inferred) {
        out.add(Dim.of(shape.get(i)));
      } else if (count.isEmpty()) {
        out.add(Dim.UNKNOWN);
      } else {
        OpError.check(
          known != 0 && count.get() % known == 0,
          "cannot reshape %d elements into %s",
          count.get(),
          shape
        );
        out.add(Dim.of(count.get() / known));
      }
    }
    if (count.isPresent() && inferred < 0) {
      OpError.check(
        count.get() == known,
        "cannot reshape %s (%d elements) into %s (%d elements)",
        Shapes.dims(x.shape()),
        count.get(),
        shape,
        known
      );
    }
    return List.of(x.withShape(new Shape(out)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    return List.of(
      x.reshape(inferTypes(new InferContext(List.of(x.type()), List.of())).getFirst().shape())
    );
  }

  @Override
  public void lower(LowerContext ctx) {
    ctx.loop("i", MoveLowering.count(ctx.resultDims(0)), i ->
      ctx.storeLinear(0, i, ctx.loadLinear(0, i))
    );
  }
}
