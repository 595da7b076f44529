package dev.kiln.onnx.ops;

import static dev.kiln.onnx.ops.IndexingConvertersTest.importNode;
import static dev.kiln.onnx.ops.IndexingConvertersTest.info;
import static dev.kiln.onnx.ops.IndexingConvertersTest.intAttr;
import static dev.kiln.onnx.ops.IndexingConvertersTest.ints;
import static dev.kiln.onnx.ops.IndexingConvertersTest.node;
import static dev.kiln.onnx.ops.IndexingConvertersTest.opNames;
import static dev.kiln.onnx.ops.IndexingConvertersTest.stringAttr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * CumSum, CumProd, TopK and Einsum on one-node models: constant axis and K inputs, and what each
 * einsum equation lowers to (a batched matmul for a contraction of static operands, a diagonal
 * gather for repeated labels, a broadcast product where operand extents broadcast).
 */
class AlgebraConvertersTest {

  private static final int FLOAT = 1;
  private static final int INT64 = 7;

  private static Tensor f32(long[] shape, double... v) {
    return Tensor.ofDoubles(TensorType.of(ElementType.F32, shape), v);
  }

  private static Tensor iota(long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    double[] v = new double[(int) n];
    for (int i = 0; i < v.length; i++) {
      v[i] = i + 1;
    }
    return f32(shape, v);
  }

  private static Func einsum(String equation, long[] a, long[] b, long... out) {
    return importNode(
      12,
      node("Einsum", List.of("a", "b"), stringAttr("equation", equation)),
      List.of(),
      List.of(info("a", FLOAT, a), info("b", FLOAT, b)),
      info("y", FLOAT, out)
    );
  }

  @Test
  void cumSumTakesItsAxisFromAConstant() {
    Func f = importNode(
      14,
      node("CumSum", List.of("x", "axis"), intAttr("exclusive", 1), intAttr("reverse", 1)),
      List.of(ints("axis", INT64, new long[] {}, -1)),
      List.of(info("x", FLOAT, 2, 2)),
      info("y", FLOAT, 2, 2)
    );
    assertEquals(List.of("nn.cum_sum"), opNames(f));
    assertArrayEquals(
      new double[] { 2, 0, 4, 0 },
      Interpreter.run(f, List.of(iota(2, 2))).getFirst().toDoubles()
    );
  }

  @Test
  void cumProdWithARuntimeAxisIsAnError() {
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      importNode(
        26,
        node("CumProd", List.of("x", "axis")),
        List.of(),
        List.of(info("x", FLOAT, 2, 2), info("axis", INT64)),
        info("y", FLOAT, 2, 2)
      )
    );
    assertEquals(
      "node \"n\" (CumProd): CumProd axis must be a constant known at compile time",
      e.getMessage()
    );
  }

  @Test
  void topKTakesKFromAConstant() {
    Func f = importNode(
      11,
      node("TopK", List.of("x", "k"), intAttr("largest", 0)),
      List.of(ints("k", INT64, new long[] { 1 }, 2)),
      List.of(info("x", FLOAT, 1, 4)),
      info("y", FLOAT, 1, 2)
    );
    assertEquals(List.of("nn.top_k"), opNames(f));
    assertArrayEquals(
      new double[] { 1, 2 },
      Interpreter.run(f, List.of(f32(new long[] { 1, 4 }, 4, 2, 1, 3))).getFirst().toDoubles()
    );
  }

  @Test
  void batchedContractionIsOneMatmul() {
    Func f = einsum("bij,bjk->bik", new long[] { 2, 2, 3 }, new long[] { 2, 3, 2 }, 2, 2, 2);
    assertEquals(List.of("nn.matmul"), opNames(f));
    Tensor y = Interpreter.run(f, List.of(iota(2, 2, 3), iota(2, 3, 2))).getFirst();
    assertArrayEquals(new double[] { 22, 28, 49, 64, 220, 244, 301, 334 }, y.toDoubles());
  }

  @Test
  void implicitOutputKeepsLabelsSeenOnceInAlphabeticalOrder() {
    Func f = einsum("ji,jk", new long[] { 3, 2 }, new long[] { 3, 1 }, 2, 1);
    Tensor y = Interpreter.run(f, List.of(iota(3, 2), iota(3, 1))).getFirst();
    assertEquals(Shape.of(2, 1), y.shape());
    assertArrayEquals(new double[] { 22, 28 }, y.toDoubles());
  }

  @Test
  void broadcastEllipsisFallsBackToAProductAndASum() {
    Func f = einsum("...ij,...jk->...ik", new long[] { 1, 1, 2 }, new long[] { 2, 2, 1 }, 2, 1, 1);
    assertEquals(
      List.of("nn.reshape", "nn.transpose", "nn.reshape", "nn.mul", "nn.reduce_sum"),
      opNames(f)
    );
    Tensor y = Interpreter.run(f, List.of(iota(1, 1, 2), iota(2, 2, 1))).getFirst();
    assertArrayEquals(new double[] { 5, 11 }, y.toDoubles());
  }

  @Test
  void repeatedLabelsTakeTheDiagonal() {
    Func f = importNode(
      12,
      node("Einsum", List.of("x"), stringAttr("equation", "ii->i")),
      List.of(),
      List.of(info("x", FLOAT, 3, 3)),
      info("y", FLOAT, 3)
    );
    assertArrayEquals(
      new double[] { 1, 5, 9 },
      Interpreter.run(f, List.of(iota(3, 3))).getFirst().toDoubles()
    );
  }

  @Test
  void termsMustMatchOperandRanks() {
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      einsum("ij,j->i", new long[] { 2, 3 }, new long[] { 3, 1 }, 2)
    );
    assertEquals(
      "node \"n\" (Einsum): term 'j' of equation 'ij,j->i' does not match operand 1 of rank 2",
      e.getMessage()
    );
  }
}
