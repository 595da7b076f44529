package dev.kiln.onnx.ops;

import static dev.kiln.onnx.ops.IndexingConvertersTest.importNode;
import static dev.kiln.onnx.ops.IndexingConvertersTest.info;
import static dev.kiln.onnx.ops.IndexingConvertersTest.intAttr;
import static dev.kiln.onnx.ops.IndexingConvertersTest.node;
import static dev.kiln.onnx.ops.IndexingConvertersTest.stringAttr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.onnx.proto.OnnxProto.AttributeProto;
import dev.kiln.onnx.proto.OnnxProto.NodeProto;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The loss converters on one-node models: per-element losses with class weights and an ignored
 * class (including an ignore_index outside the class range), the three reductions, and the
 * log-probability output of SoftmaxCrossEntropyLoss.
 */
class LossConvertersTest {

  private static final int FLOAT = 1;
  private static final int INT64 = 7;

  private static final Tensor LOG_PROB = Tensor.ofDoubles(
    TensorType.of(ElementType.F32, 3, 3),
    -1,
    -2,
    -3,
    -4,
    -5,
    -6,
    -7,
    -8,
    -9
  );
  private static final Tensor WEIGHT = Tensor.ofDoubles(
    TensorType.of(ElementType.F32, 3),
    0.5,
    1,
    2
  );

  private static Tensor target(long... t) {
    return Tensor.ofLongs(TensorType.of(ElementType.I64, 3), t);
  }

  private static double[] nll(
    String reduction,
    boolean weighted,
    Long ignore,
    Tensor target,
    long... outShape
  ) {
    List<AttributeProto> attrs = new ArrayList<>(List.of(stringAttr("reduction", reduction)));
    if (ignore != null) {
      attrs.add(intAttr("ignore_index", ignore));
    }
    List<String> inputs = weighted ? List.of("x", "t", "w") : List.of("x", "t");
    Func f = importNode(
      13,
      node("NegativeLogLikelihoodLoss", inputs, attrs.toArray(AttributeProto[]::new)),
      List.of(),
      weighted
        ? List.of(info("x", FLOAT, 3, 3), info("t", INT64, 3), info("w", FLOAT, 3))
        : List.of(info("x", FLOAT, 3, 3), info("t", INT64, 3)),
      info("y", FLOAT, outShape)
    );
    List<Tensor> args = weighted ? List.of(LOG_PROB, target, WEIGHT) : List.of(LOG_PROB, target);
    return Interpreter.run(f, args).getFirst().toDoubles();
  }

  @Test
  void unweightedLossesPickTheTargetClass() {
    assertArrayEquals(new double[] { 3, 5, 7 }, nll("none", false, null, target(2, 1, 0), 3), 1e-6);
    assertArrayEquals(new double[] { 15 }, nll("sum", false, null, target(2, 1, 0)), 1e-6);
    assertArrayEquals(new double[] { 5 }, nll("mean", false, null, target(2, 1, 0)), 1e-6);
  }

  @Test
  void weightedMeanDividesByTheAppliedWeights() {
    assertArrayEquals(
      new double[] { 6, 5, 3.5 },
      nll("none", true, null, target(2, 1, 0), 3),
      1e-6
    );
    assertArrayEquals(new double[] { 14.5 / 3.5 }, nll("mean", true, null, target(2, 1, 0)), 1e-6);
  }

  @Test
  void ignoredTargetsContributeNothingEvenOutsideTheClassRange() {
    assertArrayEquals(
      new double[] { 6, 0, 3.5 },
      nll("none", true, -1L, target(2, -1, 0), 3),
      1e-6
    );
    assertArrayEquals(new double[] { 9.5 / 2.5 }, nll("mean", true, -1L, target(2, -1, 0)), 1e-6);
    assertArrayEquals(new double[] { 3, 0, 0 }, nll("none", false, 7L, target(2, 7, 7), 3), 1e-6);
    assertArrayEquals(new double[] { 3 }, nll("mean", false, 7L, target(2, 7, 7)), 1e-6);
  }

  @Test
  void unknownReductionIsAnError() {
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      nll("max", false, null, target(0, 0, 0))
    );
    assertEquals(
      "node \"n\" (NegativeLogLikelihoodLoss): reduction 'max' is not one of none, sum, mean",
      e.getMessage()
    );
  }

  @Test
  void softmaxCrossEntropyAlsoReturnsTheLogProbabilities() {
    NodeProto n = NodeProto.newBuilder()
      .setOpType("SoftmaxCrossEntropyLoss")
      .setName("n")
      .addAllInput(List.of("x", "t"))
      .addOutput("y")
      .addOutput("logp")
      .addAttribute(stringAttr("reduction", "none"))
      .build();
    Func f = importNode(
      13,
      n,
      List.of(),
      List.of(info("x", FLOAT, 1, 2), info("t", INT64, 1)),
      info("logp", FLOAT, 1, 2)
    );
    Tensor x = Tensor.ofDoubles(TensorType.of(ElementType.F32, 1, 2), 0, Math.log(3));
    double[] logp = Interpreter.run(
      f,
      List.of(x, Tensor.ofLongs(TensorType.of(ElementType.I64, 1), 0))
    )
      .getFirst()
      .toDoubles();
    assertArrayEquals(new double[] { Math.log(0.25), Math.log(0.75) }, logp, 1e-6);
  }
}
