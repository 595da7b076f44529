package dev.kiln.onnx;

import dev.kiln.ir.Region;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Op;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * What a converter may do while turning one ONNX node into core ops. Every node it emits gets the
 * ONNX node's location; type inference runs as it is built.
 */
public interface ImportContext {
  /** The opset version of the node's domain in this model. */
  int opset();

  /** Emits {@code op} on {@code operands} and returns its single result. */
  Value emit(Op op, Value... operands);

  /** Emits {@code op} on {@code operands} and returns all its results. */
  List<Value> emitAll(Op op, List<Value> operands);

  /** Emits {@code op} with nested {@code regions} and returns all its results. */
  List<Value> emitWithRegions(Op op, List<Value> operands, List<Region> regions);

  /** A constant value. */
  Value constant(Tensor t);

  /**
   * The value of {@code v} when it is known at import time: it comes from a constant, an
   * initializer, or a subgraph of them that the importer could evaluate (shape computations after
   * binding input shapes).
   */
  Optional<Tensor> constantValue(Value v);

  /** Like {@link #constantValue} but an {@link OnnxError} naming {@code what} when unknown. */
  default Tensor requireConstant(Value v, String what) {
    return constantValue(v).orElseThrow(() ->
      new OnnxError(what + " must be a constant known at compile time")
    );
  }

  /**
   * Imports {@code graph} as a region whose block arguments have {@code argumentTypes} (bound to
   * the graph's inputs in order); values of enclosing graphs are visible inside.
   */
  Region importSubgraph(OnnxGraph graph, List<TensorType> argumentTypes);

  /**
   * Builds a region whose block arguments have {@code argumentTypes}: {@code body} emits its nodes
   * through the context it is given (values of enclosing graphs are visible) and returns the
   * region's results. Used by converters that write a loop body themselves.
   */
  Region region(
    List<TensorType> argumentTypes,
    BiFunction<ImportContext, List<Value>, List<Value>> body
  );

  /**
   * Imports the nodes of an argument-less {@code graph} into the current block, as if they were
   * written in place of the node, and returns the graph's outputs. Used when a branch is known at
   * compile time.
   */
  default List<Value> inlineSubgraph(OnnxGraph graph) {
    return inlineSubgraph(graph, List.of());
  }

  /**
   * Imports the nodes of {@code graph} into the current block with its inputs bound to {@code
   * arguments} in order, and returns the graph's outputs. Used to unroll loops whose trip count is
   * known at compile time and for function-like attributes such as FlexAttention's {@code
   * score_mod}.
   */
  List<Value> inlineSubgraph(OnnxGraph graph, List<Value> arguments);
}
