package dev.kiln.ir.op;

import dev.kiln.ir.Node;
import dev.kiln.ir.Region;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.LowerContext;
import java.util.List;

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
    CompareOp,
    LogicOp,
    FloatPredicate,
    Not,
    Where,
    Cast,
    Conv,
    ConvTranspose,
    DeformConv,
    Dft,
    BatchNorm,
    MatMul,
    Gemm,
    GridSample,
    MaxPool,
    MaxPoolIndices,
    AveragePool,
    GlobalAveragePool,
    Reshape,
    Resize,
    RoiAlign,
    Slice,
    Gather,
    GatherElements,
    GatherNd,
    ScatterElements,
    ScatterNd,
    OneHot,
    Trilu,
    ReverseSequence,
    EyeLike,
    Iota,
    Expand,
    Tile,
    Pad,
    Transpose,
    Concat,
    Softmax,
    LogSoftmax,
    Hardmax,
    ReduceOp,
    ArgReduce,
    TfIdfVectorizer,
    Cumulative,
    TopK,
    QuantizeLinear,
    DequantizeLinear,
    If,
    Loop,
    Scan,
    BitCast,
    Det,
    QuantizedOp {
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

  /** What evaluation needs besides operand values: the node's regions, and a way to run them. */
  interface EvalContext {
    /** The context of a node without regions. */
    EvalContext NO_REGIONS = new EvalContext() {
      @Override
      public int numRegions() {
        return 0;
      }

      @Override
      public List<Tensor> runRegion(int index, List<Tensor> arguments) {
        throw new IllegalStateException("no regions");
      }
    };

    /** The number of regions of the node being evaluated. */
    int numRegions();

    /** Runs region {@code index} with {@code arguments} bound to its block arguments. */
    List<Tensor> runRegion(int index, List<Tensor> arguments);

    /** The result types region {@code index} declares. */
    default List<TensorType> regionResultTypes(int index) {
      throw new UnsupportedOperationException("this context has no regions");
    }
  }

  /**
   * Reference semantics: the results of this op on concrete operand values, computed in double
   * precision for floats and exactly for integers. The interpreter and constant folding call this;
   * an op without reference semantics says so with an {@link UnsupportedOperationException}.
   */
  default List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    throw new UnsupportedOperationException("the interpreter has no semantics for " + name());
  }

  /**
   * Writes the Loop IR that computes this node's results into {@code ctx}'s result buffers from its
   * operands. This is the op's one implementation for every native backend. An op without one says
   * so with an {@link UnsupportedOperationException}; elementwise ops implement {@link
   * Elementwise#lowerElement} instead.
   */
  default void lower(LowerContext ctx) {
    throw new UnsupportedOperationException("no lowering");
  }

  /** The textual name, for example {@code nn.batch_norm}. */
  default String name() {
    return spec().name();
  }

  default OpSpec spec() {
    return OpRegistry.spec(getClass());
  }
}
