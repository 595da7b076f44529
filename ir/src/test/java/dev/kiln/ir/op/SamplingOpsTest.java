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

import dev.kiln.ir.Tensor;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Type inference and reference semantics of the resampling and signal ops: resize, grid sample,
 * transposed and deformable convolution, max-pool indices, DFT and RoI align.
 */
class SamplingOpsTest {

  static Resize resize(
    List<Long> sizes,
    List<Double> scales,
    Resize.Mode mode,
    Resize.CoordinateMode coord
  ) {
    return new Resize(
      sizes,
      scales,
      List.of(),
      mode,
      coord,
      Resize.NearestMode.FLOOR,
      -0.75,
      false,
      0,
      false
    );
  }

  static Stream<Arguments> inference() {
    return Stream.of(
      arguments(
        resize(
          List.of(-1L, -1L, 4L, 6L),
          List.of(1.0, 1.0, 2.0, 3.0),
          Resize.Mode.NEAREST,
          Resize.CoordinateMode.ASYMMETRIC
        ),
        List.of("Nx3x2x2xf32"),
        "Nx3x4x6xf32"
      ),
      arguments(
        new GridSample(GridSample.Mode.LINEAR, GridSample.Padding.ZEROS, false),
        List.of("2x3x8x8xf32", "2x4x5x2xf32"),
        "2x3x4x5xf32"
      ),
      arguments(
        new GridSample(GridSample.Mode.NEAREST, GridSample.Padding.BORDER, true),
        List.of("1x2x4x4x4xf32", "1x2x3x4x3xf32"),
        "1x2x2x3x4xf32"
      ),
      arguments(
        new ConvTranspose(List.of(), List.of(), List.of(), List.of(), 1),
        List.of("1x2x3x3xf32", "2x4x3x3xf32"),
        "1x4x5x5xf32"
      ),
      arguments(
        new ConvTranspose(List.of(3L, 2L), List.of(1L, 2L, 1L, 2L), List.of(), List.of(1L, 1L), 2),
        List.of("Bx2x3x3xf32", "2x2x3x3xf32"),
        "Bx4x8x4xf32"
      ),
      arguments(new Dft(0, false, true, -1), List.of("8x1xf32"), "5x2xf32"),
      arguments(new Dft(0, true, true, -1), List.of("5x2xf32"), "8x1xf32"),
      arguments(new Dft(1, false, false, 16), List.of("2x10x2xf64"), "2x16x2xf64"),
      arguments(
        new MaxPoolIndices(List.of(2L, 2L), List.of(2L, 2L), List.of(), List.of(), false, false),
        List.of("1x3x4x4xf32"),
        "1x3x2x2xi64"
      ),
      arguments(
        new DeformConv(List.of(), List.of(), List.of(), 1, 1),
        List.of("1x2x5x5xf32", "4x2x3x3xf32", "1x18x3x3xf32", "4xf32"),
        "1x4x3x3xf32"
      ),
      arguments(
        new RoiAlign(RoiAlign.Mode.AVG, 5, 7, 0, 1.0, true),
        List.of("2x3x10x10xf32", "Rx4xf32", "Rxi64"),
        "Rx3x5x7xf32"
      )
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
        resize(List.of(4L), List.of(2.0), Resize.Mode.LINEAR, Resize.CoordinateMode.HALF_PIXEL),
        List.of("2x2xf32"),
        "sizes [4] needs 2 entries"
      ),
      arguments(
        resize(
          List.of(-1L, 4L),
          List.of(2.0, 2.0),
          Resize.Mode.LINEAR,
          Resize.CoordinateMode.HALF_PIXEL
        ),
        List.of("2x2xf32"),
        "unchanged axis 0 must have scale 1, got 2.0"
      ),
      arguments(
        new GridSample(GridSample.Mode.LINEAR, GridSample.Padding.ZEROS, false),
        List.of("1x1x4x4xf32", "1x2x2x3xf32"),
        "grid's last extent 3 must be the spatial rank 2"
      ),
      arguments(
        new ConvTranspose(List.of(), List.of(), List.of(), List.of(), 1),
        List.of("1x2x3x3xf32", "3x4x3x3xf32"),
        "input channels (2) must equal weight extent 0 (3)"
      ),
      arguments(new Dft(1, false, false, -1), List.of("4x2xf32"), "axis 1 must lie in [0, 1)"),
      arguments(
        new Dft(0, false, false, -1),
        List.of("4x3xf32"),
        "last extent 3 must be 1 (real) or 2 (complex)"
      ),
      arguments(
        new DeformConv(List.of(), List.of(), List.of(), 1, 1),
        List.of("1x2x5x5xf32", "4x2x3x3xf32", "1x9x3x3xf32", "4xf32"),
        "offset channels (9) must be offset group * kH * kW * 2 (18)"
      ),
      arguments(
        new RoiAlign(RoiAlign.Mode.AVG, 0, 7, 0, 1.0, true),
        List.of("2x3x10x10xf32", "Rx4xf32", "Rxi64"),
        "output extents must be positive, got 0x7"
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
  void resizeNearestAsymmetricFloorRepeats() {
    Op op = resize(
      List.of(4L),
      List.of(2.0),
      Resize.Mode.NEAREST,
      Resize.CoordinateMode.ASYMMETRIC
    );
    assertTensor(eval(op, f32(s(2), 1, 2)), s(4), 1, 1, 2, 2);
  }

  @Test
  void resizeLinearHalfPixelRepeatsEdges() {
    Op op = resize(List.of(4L), List.of(2.0), Resize.Mode.LINEAR, Resize.CoordinateMode.HALF_PIXEL);
    assertTensor(eval(op, f32(s(2), 1, 3)), s(4), 1, 1.5, 2.5, 3);
  }

  @Test
  void resizeLinearAlignCornersKeepsCorners() {
    Op op = resize(
      List.of(3L),
      List.of(1.5),
      Resize.Mode.LINEAR,
      Resize.CoordinateMode.ALIGN_CORNERS
    );
    assertTensor(eval(op, f32(s(2), 1, 3)), s(3), 1, 2, 3);
  }

  @Test
  void resizeCropAndResizeExtrapolatesOutsideTheInput() {
    Op op = new Resize(
      List.of(3L),
      List.of(1.5),
      List.of(0.0, 2.0),
      Resize.Mode.LINEAR,
      Resize.CoordinateMode.TF_CROP_AND_RESIZE,
      Resize.NearestMode.ROUND_PREFER_FLOOR,
      -0.75,
      false,
      9,
      false
    );
    assertTensor(eval(op, f32(s(2), 1, 3)), s(3), 1, 3, 9);
  }

  @Test
  void gridSampleInterpolatesAndPads() {
    Tensor x = f32(s(1, 1, 2, 2), 1, 2, 3, 4);
    Tensor centre = f32(s(1, 1, 1, 2), 0, 0);
    Tensor corner = f32(s(1, 1, 1, 2), -1, -1);
    GridSample linear = new GridSample(GridSample.Mode.LINEAR, GridSample.Padding.ZEROS, false);
    assertTensor(eval(linear, x, centre), s(1, 1, 1, 1), 2.5);
    assertTensor(eval(linear, x, corner), s(1, 1, 1, 1), 0.25);
    GridSample border = new GridSample(GridSample.Mode.LINEAR, GridSample.Padding.BORDER, false);
    assertTensor(eval(border, x, corner), s(1, 1, 1, 1), 1);
    GridSample nearest = new GridSample(GridSample.Mode.NEAREST, GridSample.Padding.ZEROS, false);
    assertTensor(eval(nearest, x, centre), s(1, 1, 1, 1), 1);
  }

  @Test
  void convTransposeScattersWithStrideAndBias() {
    Tensor x = f32(s(1, 1, 2), 1, 2);
    Tensor w = f32(s(1, 1, 2), 1, 1);
    ConvTranspose strided = new ConvTranspose(List.of(2L), List.of(), List.of(), List.of(), 1);
    assertTensor(eval(strided, x, w), s(1, 1, 4), 1, 1, 2, 2);
    ConvTranspose plain = new ConvTranspose(List.of(), List.of(), List.of(), List.of(), 1);
    assertTensor(eval(plain, x, w, f32(s(1), 1)), s(1, 1, 3), 2, 4, 3);
  }

  @Test
  void dftRoundTripsThroughTheHalfSpectrum() {
    Tensor x = f32(s(4, 1), 1, 2, 3, 4);
    Tensor spectrum = eval(new Dft(0, false, true, -1), x);
    assertTensor(spectrum, s(3, 2), 10, 0, -2, 2, -2, 0);
    assertTensor(eval(new Dft(0, true, true, -1), spectrum), s(4, 1), 1, 2, 3, 4);
    Tensor full = eval(new Dft(0, false, false, -1), x);
    assertTensor(full, s(4, 2), 10, 0, -2, 2, -2, 0, -2, -2);
    assertTensor(eval(new Dft(0, true, false, -1), full), s(4, 2), 1, 0, 2, 0, 3, 0, 4, 0);
  }

  @Test
  void maxPoolIndicesAreFlatInEitherLayout() {
    Tensor x = f32(s(1, 1, 2, 2), 1, 4, 3, 2);
    List<Long> k = List.of(2L, 2L);
    Tensor rows = eval(new MaxPoolIndices(k, List.of(), List.of(), List.of(), false, false), x);
    Tensor cols = eval(new MaxPoolIndices(k, List.of(), List.of(), List.of(), false, true), x);
    assertArrayEquals(new long[] { 1 }, new long[] { rows.getLong(0) });
    assertArrayEquals(new long[] { 2 }, new long[] { cols.getLong(0) });
  }

  @Test
  void deformConvSamplesAtOffsets() {
    Tensor x = f32(s(1, 1, 2, 2), 1, 2, 3, 4);
    Tensor w = f32(s(1, 1, 1, 1), 2);
    Tensor b = f32(s(1), 1);
    DeformConv op = new DeformConv(List.of(), List.of(), List.of(), 1, 1);
    Tensor zero = f32(s(1, 2, 2, 2), 0, 0, 0, 0, 0, 0, 0, 0);
    assertTensor(eval(op, x, w, zero, b), s(1, 1, 2, 2), 3, 5, 7, 9);
    Tensor right = f32(s(1, 2, 2, 2), 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5);
    assertTensor(eval(op, x, w, right, b), s(1, 1, 2, 2), 4, 3, 8, 5);
  }

  @Test
  void roiAlignAveragesOrTakesTheLargestWeightedNeighbour() {
    Tensor x = f32(s(1, 1, 2, 2), 1, 2, 3, 4);
    Tensor rois = f32(s(1, 4), 0, 0, 2, 2);
    Tensor batch = i64(s(1), 0);
    assertTensor(
      eval(new RoiAlign(RoiAlign.Mode.AVG, 1, 1, 1, 1.0, true), x, rois, batch),
      s(1, 1, 1, 1),
      2.5
    );
    assertTensor(
      eval(new RoiAlign(RoiAlign.Mode.MAX, 1, 1, 1, 1.0, true), x, rois, batch),
      s(1, 1, 1, 1),
      1
    );
  }
}
