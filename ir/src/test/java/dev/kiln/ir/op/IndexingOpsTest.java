package dev.kiln.ir.op;

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

/**
 * Type inference and reference semantics of the indexing ops (gathers, scatters, one-hot, trilu,
 * reverse-sequence, eye-like) and of the data-movement ops' evaluation (slice, gather, concat,
 * transpose, reshape, pad, tile, expand).
 */
class IndexingOpsTest {

  static Tensor f32(long[] shape, double... v) {
    return Tensor.ofDoubles(new TensorType(ElementType.F32, Shape.of(shape)), v);
  }

  static Tensor i64(long[] shape, long... v) {
    return Tensor.ofLongs(new TensorType(ElementType.I64, Shape.of(shape)), v);
  }

  static long[] s(long... dims) {
    return dims;
  }

  static Tensor eval(Op op, Tensor... operands) {
    return op.evaluate(Op.EvalContext.NO_REGIONS, List.of(operands)).getFirst();
  }

  static TensorType infer(Op op, String... types) {
    return op
      .inferTypes(
        new Op.InferContext(Arrays.stream(types).map(TypeInferenceTest::t).toList(), List.of())
      )
      .getFirst();
  }

  static void assertTensor(Tensor actual, long[] shape, double... values) {
    assertEquals(Shape.of(shape), actual.shape());
    assertArrayEquals(values, actual.toDoubles(), 1e-6);
  }

  static Stream<Arguments> inference() {
    return Stream.of(
      arguments(new GatherElements(1), List.of("3x4xf32", "3x2xi64"), "3x2xf32"),
      arguments(new GatherElements(-2), List.of("3x4xf32", "5x4xi32"), "5x4xf32"),
      arguments(new GatherNd(0), List.of("2x3x4xf32", "5x2xi64"), "5x4xf32"),
      arguments(new GatherNd(1), List.of("2x3x4xf32", "2x1xi64"), "2x4xf32"),
      arguments(new GatherNd(0), List.of("Nx3xf32", "?x2xi64"), "?xf32"),
      arguments(
        new ScatterElements(0, ScatterReduction.ADD),
        List.of("3x3xf32", "2x3xi64", "2x3xf32"),
        "3x3xf32"
      ),
      arguments(
        new ScatterNd(ScatterReduction.NONE),
        List.of("4x4x4xf32", "2x1xi64", "2x4x4xf32"),
        "4x4x4xf32"
      ),
      arguments(new OneHot(-1, 10), List.of("2x3xi64", "2xf32"), "2x3x10xf32"),
      arguments(new OneHot(0, 5), List.of("Bx3xi64", "2xi32"), "5xBx3xi32"),
      arguments(new OneHot(1, 5), List.of("2x3xf32", "2xf32"), "2x5x3xf32"),
      arguments(new Trilu(true, 0), List.of("2x3x4xf32"), "2x3x4xf32"),
      arguments(new ReverseSequence(1, 0), List.of("4x2x3xf32", "2xi64"), "4x2x3xf32"),
      arguments(new EyeLike(0, ElementType.I32), List.of("3x4xf32"), "3x4xi32")
    );
  }

  @ParameterizedTest
  @MethodSource
  void inference(Op op, List<String> operands, String result) {
    assertEquals(t(result), infer(op, operands.toArray(String[]::new)));
  }

  static Stream<Arguments> inferenceErrors() {
    return Stream.of(
      arguments(
        new GatherElements(0),
        List.of("3x4xf32", "3xi64"),
        "indices rank (1) must equal data rank (2)"
      ),
      arguments(
        new GatherElements(0),
        List.of("3x4xf32", "3x4xf32"),
        "indices must be integers, got tensor<3x4xf32>"
      ),
      arguments(
        new GatherElements(2),
        List.of("3x4xf32", "3x4xi64"),
        "axis 2 is out of range for rank 2"
      ),
      arguments(
        new GatherElements(0),
        List.of("3x4xf32", "3x5xi64"),
        "indices extent 5 exceeds data extent 4 on axis 1"
      ),
      arguments(
        new GatherNd(0),
        List.of("2x3xf32", "5x3xi64"),
        "index tuples of length 3 need 1 <= length <= data rank 2 - batch_dims 0"
      ),
      arguments(
        new GatherNd(0),
        List.of("2x3xf32", "5x?xi64"),
        "the last extent of indices must be known, got tensor<5x?xi64>"
      ),
      arguments(
        new GatherNd(2),
        List.of("2x3xf32", "2x3x1xi64"),
        "batch_dims 2 must be in [0, min(data rank 2, indices rank 3))"
      ),
      arguments(
        new GatherNd(1),
        List.of("2x3xf32", "3x1xi64"),
        "batch axis 0 has extent 2 in data but 3 in indices"
      ),
      arguments(
        new ScatterElements(0, ScatterReduction.NONE),
        List.of("3x3xf32", "2x3xi64", "2x2xf32"),
        "updates extent 2 must equal indices extent 3 on axis 1"
      ),
      arguments(
        new ScatterElements(0, ScatterReduction.NONE),
        List.of("3x3xf32", "2x3xi64", "2x3xf64"),
        "updates element type f64 must equal data element type f32"
      ),
      arguments(
        new ScatterNd(ScatterReduction.NONE),
        List.of("4x4xf32", "2x1xi64", "2xf32"),
        "updates rank (1) must be indices rank - 1 + data rank - 1 = 2"
      ),
      arguments(
        new ScatterNd(ScatterReduction.NONE),
        List.of("4x4xf32", "2x1xi64", "2x3xf32"),
        "updates extent 3 on axis 1 must be 4"
      ),
      arguments(new OneHot(-1, 0), List.of("3xi64", "2xf32"), "depth must be positive, got 0"),
      arguments(
        new OneHot(-1, 4),
        List.of("3xi64", "3xf32"),
        "values must hold [off, on], got tensor<3xf32>"
      ),
      arguments(new OneHot(2, 4), List.of("3xi64", "2xf32"), "axis 2 is out of range for rank 2"),
      arguments(new Trilu(false, 0), List.of("3xf32"), "trilu needs rank >= 2, got tensor<3xf32>"),
      arguments(
        new ReverseSequence(0, 0),
        List.of("4x2xf32", "2xi64"),
        "batch and time axes must be 0 and 1 in either order, got 0 and 0"
      ),
      arguments(
        new ReverseSequence(1, 0),
        List.of("4x2xf32", "3xi64"),
        "lengths extent 3 must equal batch extent 2"
      ),
      arguments(
        new EyeLike(0, ElementType.F32),
        List.of("2x3x4xf32"),
        "eye_like needs rank 2, got tensor<2x3x4xf32>"
      )
    );
  }

  @ParameterizedTest
  @MethodSource
  void inferenceErrors(Op op, List<String> operands, String message) {
    OpError e = assertThrows(OpError.class, () -> infer(op, operands.toArray(String[]::new)));
    assertEquals(message, e.getMessage());
  }

  @Test
  void gatherElementsTakesAlongAxisWithNegativeIndices() {
    Tensor x = f32(s(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9);
    assertTensor(
      eval(new GatherElements(1), f32(s(2, 2), 1, 2, 3, 4), i64(s(2, 2), 0, 0, 1, 0)),
      s(2, 2),
      1,
      1,
      4,
      3
    );
    assertTensor(
      eval(new GatherElements(0), x, i64(s(2, 3), -1, -2, 0, -3, 2, 1)),
      s(2, 3),
      7,
      5,
      3,
      1,
      8,
      6
    );
  }

  @Test
  void gatherElementsRejectsOutOfRangeIndex() {
    OpError e = assertThrows(OpError.class, () ->
      eval(new GatherElements(0), f32(s(2), 1, 2), i64(s(1), 2))
    );
    assertEquals("index 2 is out of range [-2, 2)", e.getMessage());
  }

  @Test
  void gatherNdTakesElementsSlicesAndBatches() {
    Tensor x = i64(s(2, 2), 0, 1, 2, 3);
    Tensor elements = eval(new GatherNd(0), x, i64(s(2, 2), 0, 0, 1, 1));
    assertEquals(ElementType.I64, elements.elementType());
    assertTensor(elements, s(2), 0, 3);
    assertTensor(eval(new GatherNd(0), x, i64(s(2, 1), 1, -2)), s(2, 2), 2, 3, 0, 1);
    Tensor batched = f32(s(2, 2, 2), 0, 1, 2, 3, 4, 5, 6, 7);
    assertTensor(eval(new GatherNd(1), batched, i64(s(2, 1), 1, 0)), s(2, 2), 2, 3, 4, 5);
  }

  @Test
  void scatterElementsReplacesInIndexOrder() {
    Tensor y = eval(
      new ScatterElements(0, ScatterReduction.NONE),
      f32(s(3, 3), 0, 0, 0, 0, 0, 0, 0, 0, 0),
      i64(s(2, 3), 1, 0, 2, 0, 2, 1),
      f32(s(2, 3), 1.0, 1.1, 1.2, 2.0, 2.1, 2.2)
    );
    assertTensor(y, s(3, 3), 2.0, 1.1, 0, 1.0, 0, 2.2, 0, 2.1, 1.2);
  }

  static Stream<Arguments> scatterElementsReductions() {
    return Stream.of(
      arguments(ScatterReduction.NONE, new double[] { 1, 2.1, 3, 4, 5 }),
      arguments(ScatterReduction.ADD, new double[] { 1, 5.2, 3, 4, 5 }),
      arguments(ScatterReduction.MUL, new double[] { 1, 2 * 1.1 * 2.1, 3, 4, 5 }),
      arguments(ScatterReduction.MAX, new double[] { 1, 2.1, 3, 4, 5 }),
      arguments(ScatterReduction.MIN, new double[] { 1, 1.1, 3, 4, 5 })
    );
  }

  @ParameterizedTest
  @MethodSource
  void scatterElementsReductions(ScatterReduction r, double[] expected) {
    Tensor y = eval(
      new ScatterElements(1, r),
      f32(s(1, 5), 1, 2, 3, 4, 5),
      i64(s(1, 2), 1, -4),
      f32(s(1, 2), 1.1, 2.1)
    );
    assertTensor(y, s(1, 5), expected);
  }

  @Test
  void scatterElementsOnIntegersIsExact() {
    Tensor x = i64(s(2), Long.MAX_VALUE - 10, 7);
    Tensor y = eval(
      new ScatterElements(0, ScatterReduction.ADD),
      x,
      i64(s(2), 0, 0),
      i64(s(2), 4, 5)
    );
    assertArrayEquals(new long[] { Long.MAX_VALUE - 1, 7 }, y.toLongs());
  }

  @Test
  void scatterNdWritesSlicesWithReduction() {
    Tensor x = f32(s(8), 1, 2, 3, 4, 5, 6, 7, 8);
    Tensor idx = i64(s(4, 1), 4, 3, 1, 7);
    Tensor upd = f32(s(4), 9, 10, 11, 12);
    assertTensor(
      eval(new ScatterNd(ScatterReduction.NONE), x, idx, upd),
      s(8),
      1,
      11,
      3,
      10,
      9,
      6,
      7,
      12
    );
    assertTensor(
      eval(new ScatterNd(ScatterReduction.MIN), x, i64(s(2, 1), 0, 0), f32(s(2), 0.5, 3)),
      s(8),
      0.5,
      2,
      3,
      4,
      5,
      6,
      7,
      8
    );
    Tensor grid = f32(s(2, 2), 1, 2, 3, 4);
    assertTensor(
      eval(
        new ScatterNd(ScatterReduction.ADD),
        grid,
        i64(s(2, 1), -1, 1),
        f32(s(2, 2), 10, 20, 30, 40)
      ),
      s(2, 2),
      1,
      2,
      43,
      64
    );
  }

  @Test
  void oneHotEncodesNegativeAndOutOfRangeIndices() {
    Tensor values = f32(s(2), 0, 1);
    Tensor idx = i64(s(4), 0, 2, -1, 5);
    assertTensor(eval(new OneHot(-1, 3), idx, values), s(4, 3), 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0);
    assertTensor(eval(new OneHot(0, 3), idx, values), s(3, 4), 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0);
    Tensor onOff = Tensor.ofLongs(TensorType.of(ElementType.I32, 2), 2, 7);
    Tensor y = eval(new OneHot(-1, 2), i64(s(1), 1), onOff);
    assertEquals(ElementType.I32, y.elementType());
    assertArrayEquals(new long[] { 2, 7 }, y.toLongs());
  }

  static Stream<Arguments> trilu() {
    return Stream.of(
      arguments(true, 0L, new double[] { 1, 2, 3, 0, 5, 6, 0, 0, 9 }),
      arguments(true, 1L, new double[] { 0, 2, 3, 0, 0, 6, 0, 0, 0 }),
      arguments(true, -5L, new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }),
      arguments(false, 0L, new double[] { 1, 0, 0, 4, 5, 0, 7, 8, 9 }),
      arguments(false, -1L, new double[] { 0, 0, 0, 4, 0, 0, 7, 8, 0 }),
      arguments(false, 7L, new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 })
    );
  }

  @ParameterizedTest
  @MethodSource
  void trilu(boolean upper, long k, double[] expected) {
    assertTensor(
      eval(new Trilu(upper, k), f32(s(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9)),
      s(3, 3),
      expected
    );
  }

  @Test
  void triluAppliesToEveryMatrixOfABatch() {
    Tensor x = i64(s(2, 2, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    assertArrayEquals(
      new long[] { 1, 2, 3, 0, 5, 6, 7, 8, 9, 0, 11, 12 },
      eval(new Trilu(true, 0), x).toLongs()
    );
  }

  @Test
  void reverseSequenceReversesEachBatchPrefix() {
    Tensor x = f32(s(4, 4), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    Tensor lens = i64(s(4), 4, 3, 2, 1);
    assertTensor(
      eval(new ReverseSequence(1, 0), x, lens),
      s(4, 4),
      12,
      9,
      6,
      3,
      8,
      5,
      2,
      7,
      4,
      1,
      10,
      11,
      0,
      13,
      14,
      15
    );
    assertTensor(
      eval(new ReverseSequence(0, 1), x, i64(s(4), 1, 2, 3, 4)),
      s(4, 4),
      0,
      1,
      2,
      3,
      5,
      4,
      6,
      7,
      10,
      9,
      8,
      11,
      15,
      14,
      13,
      12
    );
  }

  @Test
  void reverseSequenceRejectsTooLongLength() {
    OpError e = assertThrows(OpError.class, () ->
      eval(new ReverseSequence(1, 0), f32(s(2, 1), 1, 2), i64(s(1), 3))
    );
    assertEquals("length 3 is out of range [0, 2]", e.getMessage());
  }

  @Test
  void eyeLikeFillsTheShiftedDiagonal() {
    Tensor y = eval(new EyeLike(1, ElementType.I32), f32(s(3, 4), new double[12]));
    assertEquals(ElementType.I32, y.elementType());
    assertArrayEquals(new long[] { 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1 }, y.toLongs());
    assertTensor(
      eval(new EyeLike(-1, ElementType.F32), f32(s(2, 2), 5, 5, 5, 5)),
      s(2, 2),
      0,
      0,
      1,
      0
    );
  }

  static Stream<Arguments> slices() {
    long max = Long.MAX_VALUE;
    return Stream.of(
      arguments(
        List.of(0L),
        List.of(1L),
        List.of(max),
        List.of(1L),
        s(3),
        new double[] { 1, 2, 3 }
      ),
      arguments(
        List.of(0L),
        List.of(-1L),
        List.of(-max),
        List.of(-1L),
        s(4),
        new double[] { 3, 2, 1, 0 }
      ),
      arguments(List.of(0L), List.of(20L), List.of(0L), List.of(-2L), s(2), new double[] { 3, 1 }),
      arguments(List.of(0L), List.of(2L), List.of(1L), List.of(1L), s(0), new double[] {}),
      arguments(List.of(-1L), List.of(-3L), List.of(-1L), List.of(1L), s(2), new double[] { 1, 2 })
    );
  }

  @ParameterizedTest
  @MethodSource
  void slices(
    List<Long> axes,
    List<Long> starts,
    List<Long> ends,
    List<Long> steps,
    long[] shape,
    double[] expected
  ) {
    Tensor x = f32(s(4), 0, 1, 2, 3);
    assertTensor(eval(new Slice(axes, starts, ends, steps), x), shape, expected);
  }

  @Test
  void gatherTakesRowsWithNegativeIndices() {
    Tensor x = f32(s(3, 2), 1, 2, 3, 4, 5, 6);
    assertTensor(
      eval(new Gather(0), x, i64(s(2, 2), 0, -1, 1, 2)),
      s(2, 2, 2),
      1,
      2,
      5,
      6,
      3,
      4,
      5,
      6
    );
    assertTensor(eval(new Gather(1), x, i64(s(), -1)), s(3), 2, 4, 6);
  }

  @Test
  void concatTransposeReshapeMoveData() {
    Tensor a = f32(s(2, 1), 1, 2);
    Tensor b = f32(s(2, 2), 3, 4, 5, 6);
    assertTensor(eval(new Concat(1), a, b), s(2, 3), 1, 3, 4, 2, 5, 6);
    assertTensor(eval(new Concat(-2), b, b), s(4, 2), 3, 4, 5, 6, 3, 4, 5, 6);
    Tensor x = f32(s(2, 3), 1, 2, 3, 4, 5, 6);
    assertTensor(eval(new Transpose(List.of(1L, 0L)), x), s(3, 2), 1, 4, 2, 5, 3, 6);
    assertTensor(eval(new Reshape(List.of(3L, -1L)), x), s(3, 2), 1, 2, 3, 4, 5, 6);
  }

  static Stream<Arguments> pads() {
    return Stream.of(
      arguments(Pad.Mode.CONSTANT, new double[] { 9, 9, 1, 2, 3, 9 }),
      arguments(Pad.Mode.REFLECT, new double[] { 3, 2, 1, 2, 3, 2 }),
      arguments(Pad.Mode.EDGE, new double[] { 1, 1, 1, 2, 3, 3 }),
      arguments(Pad.Mode.WRAP, new double[] { 2, 3, 1, 2, 3, 1 })
    );
  }

  @ParameterizedTest
  @MethodSource
  void pads(Pad.Mode mode, double[] expected) {
    assertTensor(eval(new Pad(List.of(2L, 1L), mode, 9), f32(s(3), 1, 2, 3)), s(6), expected);
  }

  @Test
  void tileAndExpandRepeat() {
    Tensor x = f32(s(1, 2), 1, 2);
    assertTensor(eval(new Tile(List.of(2L, 2L)), x), s(2, 4), 1, 2, 1, 2, 1, 2, 1, 2);
    assertTensor(eval(new Expand(List.of(3L, 1L)), x), s(3, 2), 1, 2, 1, 2, 1, 2);
  }
}
