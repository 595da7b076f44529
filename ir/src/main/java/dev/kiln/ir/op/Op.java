package dev.kiln.ir.op;

import dev.kiln.ir.Node;
import dev.kiln.ir.Region;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.List;
import java.util.Optional;

/**
 * An operation of Kiln's core op set. Each op is one record in this package whose components are
 * its attributes, with a static {@code SPEC} (textual name, operands, results, attribute defaults),
 * type inference, and optional verification and folding. Wiring (operands, results, regions) lives
 * on {@link Node}; the printer and parser are generic over the record components, so adding an op
 * never touches the grammar.
 */
public sealed interface Op
  permits
    Constant,
    Return,
    UnaryOp,
    BinaryOp,
    Conv,
    BatchNorm,
    MatMul,
    Gemm,
    MaxPool,
    AveragePool,
    GlobalAveragePool,
    Reshape,
    Transpose,
    Concat,
    Softmax,
    If {
  /** What type inference sees: operand types and the node's regions. */
  record InferContext(List<TensorType> operands, List<Region> regions) {
    public TensorType operand(int i) {
      return operands.get(i);
    }
  }

  /**
   * The result types for these operands, or an {@link OpError} naming the rule broken and the
   * actual numbers.
   */
  List<TensorType> inferTypes(InferContext ctx);

  /** Checks beyond type inference (for example region signatures); throws {@link OpError}. */
  default void verify(Node node) {}

  /** The results when every operand is a known constant, or empty when this op does not fold. */
  default Optional<List<Tensor>> fold(List<Tensor> operands) {
    return Optional.empty();
  }

  /** The textual name, for example {@code nn.batch_norm}. */
  default String name() {
    return spec().name();
  }

  default OpSpec spec() {
    return OpRegistry.spec(getClass());
  }
}
