package dev.kiln.ir.op;

import static dev.kiln.ir.op.IndexingOpsTest.assertTensor;
import static dev.kiln.ir.op.IndexingOpsTest.eval;
import static dev.kiln.ir.op.IndexingOpsTest.f32;
import static dev.kiln.ir.op.IndexingOpsTest.i64;
import static dev.kiln.ir.op.IndexingOpsTest.infer;
import static dev.kiln.ir.op.IndexingOpsTest.s;
import static dev.kiln.ir.op.TypeInferenceTest.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Type inference and reference semantics of the running ops (cum_sum, cum_prod) and top_k. */
class CumulativeTopKTest {

  static Stream<Arguments> inference() {
    return Stream.of(
      arguments(new CumSum(0, false, false), "5xf32", List.of("5xf32")),
      arguments(new CumProd(-1, true, true), "Nx3xi32", List.of("Nx3xi32")),
      arguments(new TopK(2, -1, true, true), "3x4xf32", List.of("3x2xf32", "3x2xi64")),
      arguments(new TopK(3, 0, false, true), "?x4xu64", List.of("3x4xu64", "3x4xi64")),
      arguments(new TopK(0, 1, true, false), "3x4xf64", List.of("3x0xf64", "3x0xi64"))
    );
  }

  @ParameterizedTest
  @MethodSource
  void inference(Op op, String operand, List<String> results) {
    List<TensorType> got = op.inferTypes(new Op.InferContext(List.of(t(operand)), List.of()));
    assertEquals(results.stream().map(TypeInferenceTest::t).toList(), got);
  }

  static Stream<Arguments> inferenceErrors() {
    return Stream.of(
      arguments(new CumSum(1, false, false), "5xf32", "axis 1 is out of range for rank 1"),
      arguments(
        new CumSum(0, false, false),
        "5xbool",
        "nn.cum_sum input must be numeric, got tensor<5xbool>"
      ),
      arguments(new CumProd(0, false, false), "f32", "nn.cum_prod input must have rank >= 1"),
      arguments(new TopK(5, -1, true, true), "3x4xf32", "k (5) exceeds the extent 4 of axis 1"),
      arguments(new TopK(-1, -1, true, true), "3x4xf32", "k must be >= 0, got -1"),
      arguments(new TopK(1, 2, true, true), "3x4xf32", "axis 2 is out of range for rank 2")
    );
  }

  @ParameterizedTest
  @MethodSource
  void inferenceErrors(Op op, String operand, String message) {
    OpError e = assertThrows(OpError.class, () -> infer(op, operand));
    assertEquals(message, e.getMessage());
  }

  static Stream<Arguments> cumulative() {
    return Stream.of(
      arguments(new CumSum(0, false, false), new double[] { 1, 3, 6, 10 }),
      arguments(new CumSum(0, true, false), new double[] { 0, 1, 3, 6 }),
      arguments(new CumSum(0, false, true), new double[] { 10, 9, 7, 4 }),
      arguments(new CumSum(-1, true, true), new double[] { 9, 7, 4, 0 }),
      arguments(new CumProd(0, false, false), new double[] { 1, 2, 6, 24 }),
      arguments(new CumProd(0, true, false), new double[] { 1, 1, 2, 6 }),
      arguments(new CumProd(0, false, true), new double[] { 24, 24, 12, 4 }),
      arguments(new CumProd(0, true, true), new double[] { 24, 12, 4, 1 })
    );
  }

  @ParameterizedTest
  @MethodSource
  void cumulative(Op op, double[] want) {
    assertTensor(eval(op, f32(s(4), 1, 2, 3, 4)), s(4), want);
    assertArrayEquals(
      Arrays.stream(want)
        .mapToLong(d -> (long) d)
        .toArray(),
      eval(op, i64(s(4), 1, 2, 3, 4)).toLongs()
    );
  }

  @Test
  void cumulativeRunsAlongTheGivenAxisOnly() {
    Tensor x = f32(s(2, 3), 1, 2, 3, 4, 5, 6);
    assertTensor(eval(new CumSum(0, false, false), x), s(2, 3), 1, 2, 3, 5, 7, 9);
    assertTensor(eval(new CumSum(1, false, false), x), s(2, 3), 1, 3, 6, 4, 9, 15);
  }

  @Test
  void integerCumulativeIsExact() {
    long big = 1L << 60;
    assertArrayEquals(
      new long[] { big, big + 1 },
      eval(new CumSum(0, false, false), i64(s(2), big, 1)).toLongs()
    );
  }

  static List<Tensor> topK(TopK op, Tensor x) {
    return op.evaluate(null, List.of(x));
  }

  @Test
  void topKOrdersFromTheMostExtremeWithTiesByIndex() {
    Tensor x = f32(s(2, 4), 3, 1, 3, 2, 0, 5, 5, 5);
    List<Tensor> largest = topK(new TopK(3, 1, true, true), x);
    assertTensor(largest.get(0), s(2, 3), 3, 3, 2, 5, 5, 5);
    assertArrayEquals(new long[] { 0, 2, 3, 1, 2, 3 }, largest.get(1).toLongs());
    List<Tensor> smallest = topK(new TopK(2, -1, false, true), x);
    assertTensor(smallest.get(0), s(2, 2), 1, 2, 0, 5);
    assertArrayEquals(new long[] { 1, 3, 0, 1 }, smallest.get(1).toLongs());
  }

  @Test
  void topKAlongTheFirstAxis() {
    Tensor x = f32(s(3, 2), 1, 6, 5, 2, 3, 4);
    List<Tensor> r = topK(new TopK(1, 0, true, true), x);
    assertTensor(r.get(0), s(1, 2), 5, 6);
    assertArrayEquals(new long[] { 1, 0 }, r.get(1).toLongs());
  }

  @Test
  void topKComparesUnsigned64BitValuesExactly() {
    Tensor x = Tensor.ofLongs(
      new TensorType(ElementType.U64, Shape.of(3)),
      -1L,
      (1L << 62) + 1,
      1L << 62
    );
    List<Tensor> r = topK(new TopK(2, 0, true, true), x);
    assertArrayEquals(new long[] { -1L, (1L << 62) + 1 }, r.get(0).toLongs());
    assertArrayEquals(new long[] { 0, 1 }, r.get(1).toLongs());
  }
}
