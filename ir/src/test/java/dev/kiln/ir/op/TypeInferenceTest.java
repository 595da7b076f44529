package dev.kiln.ir.op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.kiln.ir.Block;
import dev.kiln.ir.BlockArgument;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Location;
import dev.kiln.ir.Region;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Table-driven type inference: for each op, operand types in and result type out, or the exact
 * {@link OpError} message. Types are written compactly as {@code "1x3x?xNxf32"}: dims separated by
 * {@code x}, {@code ?} for unknown, a name for a symbol, and the element type last.
 */
class TypeInferenceTest {

  /** Parses the compact type notation used by the tables. */
  static TensorType t(String text) {
    String[] parts = text.split("x", -1);
    ElementType e = ElementType.fromText(parts[parts.length - 1]).orElseThrow(() ->
      new IllegalArgumentException("bad element type in " + text)
    );
    List<Dim> dims = new ArrayList<>();
    for (int i = 0; i < parts.length - 1; i++) {
      String p = parts[i];
      if (p.equals("?")) {
        dims.add(Dim.UNKNOWN);
      } else if (p.chars().allMatch(Character::isDigit)) {
        dims.add(Dim.of(Long.parseLong(p)));
      } else {
        dims.add(new Dim.Symbol(p));
      }
    }
    return new TensorType(e, new Shape(dims));
  }

  static List<TensorType> types(String... texts) {
    return Arrays.stream(texts).map(TypeInferenceTest::t).toList();
  }

  static List<Long> longs(long... v) {
    return Arrays.stream(v).boxed().toList();
  }

  static List<TensorType> infer(Op op, List<TensorType> in) {
    return op.inferTypes(new Op.InferContext(in, List.of()));
  }

  static Arguments ok(Op op, String out, String... in) {
    return arguments(op, List.of(in), out);
  }

  static Arguments err(Op op, String message, String... in) {
    return arguments(op, List.of(in), message);
  }

  static final List<Long> NONE = List.of();

  static Conv conv() {
    return new Conv(NONE, NONE, NONE, 1);
  }

  static MaxPool maxPool(List<Long> kernel, List<Long> strides, List<Long> pads, boolean ceil) {
    return new MaxPool(kernel, strides, pads, NONE, ceil);
  }

  static Stream<Arguments> inferred() {
    return Stream.of(
      // unary elementwise: the type passes through unchanged
      ok(new Relu(), "2x3xf32", "2x3xf32"),
      ok(new Relu(), "?xi32", "?xi32"),
      ok(new Abs(), "Nx?xu8", "Nx?xu8"),
      ok(new Neg(), "i64", "i64"),
      ok(new Exp(), "4xf16", "4xf16"),
      ok(new Sigmoid(), "?x4xbf16", "?x4xbf16"),
      ok(new Tanh(), "0x2xf64", "0x2xf64"),
      ok(new Log(), "batchx7xf32", "batchx7xf32"),
      ok(new Sqrt(), "f32", "f32"),
      // binary elementwise with NumPy broadcasting
      ok(new Add(), "2x3xf32", "2x3xf32", "3xf32"),
      ok(new Mul(), "4x3x5xf32", "4x1x5xf32", "3x1xf32"),
      ok(new Sub(), "2x2xf64", "f64", "2x2xf64"),
      ok(new Div(), "2x3xi32", "2x3xi32", "1xi32"),
      ok(new Pow(), "1xf16", "1xf16", "f16"),
      ok(new Max(), "0x3xf32", "0x3xf32", "1x3xf32"),
      ok(new Min(), "5xu8", "1xu8", "5xu8"),
      // symbolic and unknown dims through broadcasting
      ok(new Add(), "Nx3xf32", "Nx3xf32", "1x3xf32"),
      ok(new Add(), "NxMxf32", "Nx1xf32", "1xMxf32"),
      ok(new Add(), "Nx3xf32", "Nx3xf32", "Nx3xf32"),
      ok(new Add(), "?xf32", "Nxf32", "Mxf32"),
      ok(new Add(), "4xf32", "Nxf32", "4xf32"),
      ok(new Add(), "5xf32", "?xf32", "5xf32"),
      ok(new Add(), "?xf32", "?xf32", "1xf32"),
      ok(new Add(), "?xf32", "?xf32", "?xf32"),
      ok(new Mul(), "2xNx3xf32", "Nx1xf32", "2x1x3xf32"),
      // convolution
      ok(conv(), "1x4x6x6xf32", "1x3x8x8xf32", "4x3x3x3xf32"),
      ok(
        new Conv(longs(2, 2), longs(1, 1, 1, 1), NONE, 1),
        "1x4x4x4xf32",
        "1x3x8x8xf32",
        "4x3x3x3xf32",
        "4xf32"
      ),
      ok(new Conv(NONE, NONE, longs(2, 2), 1), "1x1x3x3xf32", "1x1x7x7xf32", "1x1x3x3xf32"),
      ok(new Conv(NONE, NONE, NONE, 2), "1x6x5x5xf32", "1x4x5x5xf32", "6x2x1x1xf32"),
      ok(new Conv(NONE, NONE, NONE, 3), "2x3x2x2xf16", "2x3x4x4xf16", "3x1x3x3xf16"),
      ok(conv(), "Nx8x?x6xf32", "Nx3x?x8xf32", "8x3x3x3xf32"),
      ok(conv(), "1x8x?x3xf32", "1x?x5x5xf32", "8x3xKx3xf32", "8xf32"),
      ok(new Conv(longs(3), NONE, NONE, 1), "1x4x3xf64", "1x2x10xf64", "4x2x3xf64"),
      ok(new Conv(NONE, longs(0, 1, 2, 0), NONE, 1), "1x1x5x4xf32", "1x1x5x5xf32", "1x1x3x3xf32"),
      // batch normalization
      ok(new BatchNorm(1e-5), "Nx3x4x4xf32", "Nx3x4x4xf32", "3xf32", "3xf32", "3xf32", "3xf32"),
      ok(new BatchNorm(0), "2x?xbf16", "2x?xbf16", "5xbf16", "5xbf16", "5xbf16", "5xbf16"),
      // matmul, NumPy semantics
      ok(new MatMul(), "2x4xf32", "2x3xf32", "3x4xf32"),
      ok(new MatMul(), "5x2x4xf32", "5x2x3xf32", "3x4xf32"),
      ok(new MatMul(), "7x5x2x4xf32", "1x5x2x3xf32", "7x1x3x4xf32"),
      ok(new MatMul(), "4xf32", "3xf32", "3x4xf32"),
      ok(new MatMul(), "2xf32", "2x3xf32", "3xf32"),
      ok(new MatMul(), "f32", "3xf32", "3xf32"),
      ok(new MatMul(), "Bx?xNxf32", "Bx?x3xf32", "3xNxf32"),
      ok(new MatMul(), "2x4xi32", "2x?xi32", "5x4xi32"),
      // gemm
      ok(new Gemm(1, 1, false, false), "2x4xf32", "2x3xf32", "3x4xf32"),
      ok(new Gemm(1, 1, true, false), "2x4xf32", "3x2xf32", "3x4xf32"),
      ok(new Gemm(1, 1, false, true), "2x4xf32", "2x3xf32", "4x3xf32"),
      ok(new Gemm(1, 1, true, true), "2x4xf32", "3x2xf32", "4x3xf32"),
      ok(new Gemm(0.5, 2, false, false), "2x4xf32", "2x3xf32", "3x4xf32", "4xf32"),
      ok(new Gemm(1, 1, false, false), "2x4xf32", "2x3xf32", "3x4xf32", "2x1xf32"),
      ok(new Gemm(1, 1, false, false), "2x4xf32", "2x3xf32", "3x4xf32", "f32"),
      ok(new Gemm(1, 1, false, false), "Mx?xf32", "Mx3xf32", "?x?xf32"),
      // pooling, floor and ceil mode
      ok(maxPool(longs(2, 2), longs(2, 2), NONE, false), "1x3x4x4xf32", "1x3x8x8xf32"),
      ok(maxPool(longs(2, 2), longs(2, 2), NONE, false), "1x1x2x2xf32", "1x1x5x5xf32"),
      ok(maxPool(longs(2, 2), longs(2, 2), NONE, true), "1x1x3x3xf32", "1x1x5x5xf32"),
      // ceil mode drops a last window that would start inside the end padding
      ok(maxPool(longs(2, 2), longs(2, 2), longs(0, 0, 1, 1), true), "1x1x3x3xf32", "1x1x6x6xf32"),
      ok(maxPool(longs(2, 2), longs(2, 2), longs(0, 0, 1, 1), true), "1x1x3x3xf32", "1x1x5x5xf32"),
      ok(maxPool(longs(3), longs(1), longs(1, 1), false), "Nx2x9xi32", "Nx2x9xi32"),
      ok(new MaxPool(longs(2, 2), NONE, NONE, longs(2, 2), false), "1x1x5x5xf32", "1x1x7x7xf32"),
      ok(
        new AveragePool(longs(3, 3), longs(2, 2), NONE, NONE, false, true),
        "1x3x?x3xf32",
        "1x3x?x7xf32"
      ),
      ok(
        new AveragePool(longs(3, 3), longs(2, 2), longs(1, 1, 1, 1), NONE, true, false),
        "Nx?x4x4xf16",
        "Nx?x7x7xf16"
      ),
      ok(new GlobalAveragePool(), "Nx3x1x1xf32", "Nx3x7x7xf32"),
      ok(new GlobalAveragePool(), "1x8x1xf64", "1x8x5xf64"),
      ok(new GlobalAveragePool(), "?x?x1x1x1xf32", "?x?x2x?x4xf32"),
      // channels-last forms: the same formulas with the channel axis last, weights unchanged
      ok(
        new Conv(longs(2, 2), longs(1, 1, 1, 1), NONE, 1).withLayout(Layout.NHWC),
        "1x4x4x4xf32",
        "1x8x8x3xf32",
        "4x3x3x3xf32",
        "4xf32"
      ),
      ok(conv().withLayout(Layout.NHWC), "Nx?x6x8xf32", "Nx?x8x3xf32", "8x3x3x3xf32"),
      ok(
        new MaxPool(longs(2, 2), longs(2, 2), longs(0, 0, 1, 1), NONE, true, Layout.NHWC),
        "1x3x3x5xf32",
        "1x6x6x5xf32"
      ),
      ok(
        new AveragePool(longs(3), longs(2), NONE, NONE, false, true, Layout.NHWC),
        "2x4x7xf32",
        "2x9x7xf32"
      ),
      ok(new GlobalAveragePool(Layout.NHWC), "Nx1x1x3xf32", "Nx7x7x3xf32"),
      ok(
        new BatchNorm(1e-5, Layout.NHWC),
        "Nx4x4x3xf32",
        "Nx4x4x3xf32",
        "3xf32",
        "3xf32",
        "3xf32",
        "3xf32"
      ),
      // reshape
      ok(new Reshape(longs(6, 4)), "6x4xf32", "2x3x4xf32"),
      ok(new Reshape(longs(-1, 4)), "6x4xf32", "2x3x4xf32"),
      ok(new Reshape(longs(2, -1)), "2x12xi64", "2x3x4xi64"),
      ok(new Reshape(longs(-1, 2)), "?x2xf32", "?x4xf32"),
      ok(new Reshape(longs(8)), "8xf32", "Nx4xf32"),
      ok(new Reshape(longs(3, 0)), "3x0xf32", "0x3xf32"),
      ok(new Reshape(NONE), "bool", "1x1xbool"),
      ok(new Reshape(longs(-1)), "6xu8", "2x3xu8"),
      // transpose
      ok(new Transpose(longs(2, 0, 1)), "4x2x3xf32", "2x3x4xf32"),
      ok(new Transpose(longs(1, 2, 0)), "?x3xNxf32", "Nx?x3xf32"),
      ok(new Transpose(NONE), "f32", "f32"),
      // concat
      ok(new Concat(0), "6x3xf32", "2x3xf32", "4x3xf32"),
      ok(new Concat(-1), "2x9xf32", "2x3xf32", "2x5xf32", "2x1xf32"),
      ok(new Concat(0), "?x3xf32", "Nx3xf32", "2x3xf32"),
      ok(new Concat(1), "2x8xf32", "?x3xf32", "2x5xf32"),
      ok(new Concat(0), "5xbool", "5xbool"),
      // softmax
      ok(new Softmax(-1), "2x3xf32", "2x3xf32"),
      ok(new Softmax(0), "Nx?xf16", "Nx?xf16"),
      ok(new Softmax(-2), "2x3xf64", "2x3xf64"),
      // constant: the tensor's own type
      ok(new Constant(Tensor.splat(TensorType.of(ElementType.F32, 2, 2), 1)), "2x2xf32")
    );
  }

  @ParameterizedTest(name = "{index}: {0} {1} -> {2}")
  @MethodSource("inferred")
  void infers(Op op, List<String> in, String out) {
    List<TensorType> got = infer(op, in.stream().map(TypeInferenceTest::t).toList());
    assertEquals(List.of(t(out)), got);
  }

  static Stream<Arguments> rejected() {
    return Stream.of(
      // unary
      err(new Exp(), "nn.exp is not defined on element type i32", "2xi32"),
      err(new Sqrt(), "nn.sqrt is not defined on element type i64", "i64"),
      err(new Relu(), "nn.relu is not defined on element type bool", "3xbool"),
      err(new Abs(), "nn.abs is not defined on element type bool", "bool"),
      // binary
      err(new Add(), "shapes [2, 3] and [4] do not broadcast (3 vs 4)", "2x3xf32", "4xf32"),
      err(new Mul(), "shapes [0] and [3] do not broadcast (0 vs 3)", "0xf32", "3xf32"),
      err(
        new Sub(),
        "shapes [2, \"N\"] and [3, 1] do not broadcast (2 vs 3)",
        "2xNxf32",
        "3x1xf32"
      ),
      err(new Add(), "operand element types differ: f32 vs f16", "2xf32", "2xf16"),
      err(new Add(), "nn.add is not defined on bool", "bool", "bool"),
      err(new Pow(), "operand element types differ: i32 vs i64", "i32", "i64"),
      // conv
      err(
        conv(),
        "input channels (3) must equal weight in-channels (2) * group (1)",
        "1x3x8x8xf32",
        "4x2x3x3xf32"
      ),
      err(
        new Conv(NONE, NONE, NONE, 2),
        "input channels (3) must equal weight in-channels (3) * group (2)",
        "1x3x8x8xf32",
        "4x3x3x3xf32"
      ),
      err(
        new Conv(NONE, NONE, NONE, 2),
        "output channels (3) must be divisible by group (2)",
        "1x4x5x5xf32",
        "3x2x1x1xf32"
      ),
      err(
        conv(),
        "input must have rank >= 3 (N, C, spatial...), got tensor<2x3xf32>",
        "2x3xf32",
        "2x3xf32"
      ),
      err(conv(), "weight rank 3 must equal input rank 4", "1x3x8x8xf32", "4x3x3xf32"),
      err(
        conv(),
        "conv input must be floating point, got tensor<1x3x8x8xi32>",
        "1x3x8x8xi32",
        "4x3x3x3xi32"
      ),
      err(
        conv(),
        "weight type tensor<4x3x3x3xf16> differs from input tensor<1x3x8x8xf32>",
        "1x3x8x8xf32",
        "4x3x3x3xf16"
      ),
      err(
        conv(),
        "bias length (5) must equal output channels (4)",
        "1x3x8x8xf32",
        "4x3x3x3xf32",
        "5xf32"
      ),
      err(
        conv(),
        "bias must be 1-D f32, got tensor<4x1xf32>",
        "1x3x8x8xf32",
        "4x3x3x3xf32",
        "4x1xf32"
      ),
      err(
        new Conv(longs(2), NONE, NONE, 1),
        "strides need 2 values, got [2]",
        "1x3x8x8xf32",
        "4x3x3x3xf32"
      ),
      err(
        new Conv(NONE, longs(1, 1), NONE, 1),
        "pads need 4 values, got [1, 1]",
        "1x3x8x8xf32",
        "4x3x3x3xf32"
      ),
      err(
        new Conv(longs(0, 1), NONE, NONE, 1),
        "strides must be positive, got [0, 1]",
        "1x3x8x8xf32",
        "4x3x3x3xf32"
      ),
      err(
        new Conv(NONE, longs(-1, 0, 0, 0), NONE, 1),
        "pads must not be negative, got [-1, 0, 0, 0]",
        "1x3x8x8xf32",
        "4x3x3x3xf32"
      ),
      err(
        new Conv(NONE, NONE, longs(0, 0), 1),
        "dilations must be positive, got [0, 0]",
        "1x3x8x8xf32",
        "4x3x3x3xf32"
      ),
      err(
        conv(),
        "window of 3 (kernel 3, dilation 1) exceeds padded input 2",
        "1x1x2x2xf32",
        "1x1x3x3xf32"
      ),
      err(
        new Conv(NONE, NONE, longs(2, 2), 1),
        "window of 5 (kernel 3, dilation 2) exceeds padded input 4",
        "1x1x4x4xf32",
        "1x1x3x3xf32"
      ),
      err(
        new Conv(NONE, NONE, NONE, 0),
        "group must be positive, got 0",
        "1x3x8x8xf32",
        "4x3x3x3xf32"
      ),
      err(
        conv().withLayout(Layout.NHWC),
        "input channels (8) must equal weight in-channels (3) * group (1)",
        "1x3x3x8xf32",
        "4x3x1x1xf32"
      ),
      err(
        new BatchNorm(1e-5, Layout.NHWC),
        "scale length (3) must equal channels (2)",
        "1x3x3x2xf32",
        "3xf32",
        "2xf32",
        "2xf32",
        "2xf32"
      ),
      // batch norm
      err(
        new BatchNorm(1e-5),
        "scale length (4) must equal channels (3)",
        "1x3x2x2xf32",
        "4xf32",
        "3xf32",
        "3xf32",
        "3xf32"
      ),
      err(
        new BatchNorm(1e-5),
        "var must be 1-D, got tensor<3x1xf32>",
        "1x3x2x2xf32",
        "3xf32",
        "3xf32",
        "3xf32",
        "3x1xf32"
      ),
      err(
        new BatchNorm(1e-5),
        "input must have rank >= 2 (N, C, ...), got tensor<3xf32>",
        "3xf32",
        "3xf32",
        "3xf32",
        "3xf32",
        "3xf32"
      ),
      err(
        new BatchNorm(1e-5),
        "batch_norm input must be floating point, got tensor<1x3xi32>",
        "1x3xi32",
        "3xi32",
        "3xi32",
        "3xi32",
        "3xi32"
      ),
      err(
        new BatchNorm(-1),
        "epsilon must not be negative, got -1.0",
        "1x3xf32",
        "3xf32",
        "3xf32",
        "3xf32",
        "3xf32"
      ),
      // matmul
      err(new MatMul(), "inner dimensions differ: [2, 3] is 3, [4, 5] is 4", "2x3xf32", "4x5xf32"),
      err(new MatMul(), "inner dimensions differ: [3] is 3, [2] is 2", "3xf32", "2xf32"),
      err(
        new MatMul(),
        "operands must have rank >= 1, got tensor<f32> and tensor<3xf32>",
        "f32",
        "3xf32"
      ),
      err(
        new MatMul(),
        "operand types differ: tensor<2x3xf32> vs tensor<3x4xf16>",
        "2x3xf32",
        "3x4xf16"
      ),
      err(new MatMul(), "shapes [2] and [3] do not broadcast (2 vs 3)", "2x2x3xf32", "3x3x4xf32"),
      // gemm
      err(
        new Gemm(1, 1, false, false),
        "inner dimensions differ: op(a) has K = 3, op(b) has K = 5",
        "2x3xf32",
        "5x4xf32"
      ),
      err(
        new Gemm(1, 1, true, false),
        "inner dimensions differ: op(a) has K = 2, op(b) has K = 3",
        "2x3xf32",
        "3x4xf32"
      ),
      err(
        new Gemm(1, 1, false, false),
        "operands must be 2-D, got tensor<3xf32> and tensor<3x4xf32>",
        "3xf32",
        "3x4xf32"
      ),
      err(
        new Gemm(1, 1, false, false),
        "operand types differ: tensor<2x3xf32> vs tensor<3x4xf64>",
        "2x3xf32",
        "3x4xf64"
      ),
      err(
        new Gemm(1, 1, false, false),
        "shapes [2, 4] and [5] do not broadcast (4 vs 5)",
        "2x3xf32",
        "3x4xf32",
        "5xf32"
      ),
      err(
        new Gemm(1, 1, false, false),
        "c tensor<1x2x4xf32> does not broadcast to [M, N] = [2, 4]",
        "2x3xf32",
        "3x4xf32",
        "1x2x4xf32"
      ),
      err(
        new Gemm(1, 1, false, false),
        "c type tensor<4xf16> differs from tensor<2x3xf32>",
        "2x3xf32",
        "3x4xf32",
        "4xf16"
      ),
      // pooling
      err(maxPool(longs(2), NONE, NONE, false), "kernel needs 2 values, got [2]", "1x1x4x4xf32"),
      err(
        maxPool(longs(0, 2), NONE, NONE, false),
        "kernel sizes must be positive, got [0, 2]",
        "1x1x4x4xf32"
      ),
      err(
        maxPool(longs(2), NONE, NONE, false),
        "input must have rank >= 3 (N, C, spatial...), got tensor<1x3xf32>",
        "1x3xf32"
      ),
      err(
        new MaxPool(longs(2, 2), NONE, NONE, longs(2), false),
        "dilations need 2 values, got [2]",
        "1x1x4x4xf32"
      ),
      err(
        maxPool(longs(5, 1), NONE, NONE, true),
        "window of 5 (kernel 5, dilation 1) exceeds padded input 4",
        "1x1x4x4xf32"
      ),
      err(
        new AveragePool(longs(2, 2), longs(1, 2, 1), NONE, NONE, false, false),
        "strides need 2 values, got [1, 2, 1]",
        "1x1x4x4xf32"
      ),
      err(
        new GlobalAveragePool(),
        "input must have rank >= 3 (N, C, spatial...), got tensor<2x3xf32>",
        "2x3xf32"
      ),
      err(
        new GlobalAveragePool(),
        "global_average_pool input must be floating point, got tensor<1x3x4x4xi32>",
        "1x3x4x4xi32"
      ),
      // reshape
      err(
        new Reshape(longs(4, 2)),
        "cannot reshape [2, 3] (6 elements) into [4, 2] (8 elements)",
        "2x3xf32"
      ),
      err(new Reshape(longs(-1, 4)), "cannot reshape 6 elements into [-1, 4]", "2x3xf32"),
      err(new Reshape(longs(-1, 0)), "cannot reshape 0 elements into [-1, 0]", "0x3xf32"),
      err(new Reshape(longs(-1, -1)), "at most one dimension may be -1, got [-1, -1]", "6xf32"),
      err(new Reshape(longs(-2, 3)), "dimension 0 of [-2, 3] is negative", "6xf32"),
      err(new Reshape(Collections.nCopies(65, 1L)), "rank 65 exceeds 64", "1xf32"),
      // transpose
      err(new Transpose(longs(0, 0)), "perm [0, 0] is not a permutation", "2x3xf32"),
      err(new Transpose(longs(0, 2)), "perm [0, 2] is not a permutation", "2x3xf32"),
      err(new Transpose(longs(-1, 0)), "perm [-1, 0] is not a permutation", "2x3xf32"),
      err(new Transpose(longs(0)), "perm [0] must have 2 entries", "2x3xf32"),
      // concat
      err(
        new Concat(0),
        "inputs differ in dimension 1 (3 vs 4) off the concat axis 0",
        "2x3xf32",
        "2x4xf32"
      ),
      err(
        new Concat(-1),
        "inputs differ in dimension 0 (2 vs 5) off the concat axis 1",
        "?x3xf32",
        "2x3xf32",
        "5x3xf32"
      ),
      err(new Concat(0), "inputs must share rank 2, got tensor<3xf32>", "2x3xf32", "3xf32"),
      err(new Concat(0), "operands must share an element type, got f32 and i32", "2xf32", "2xi32"),
      err(new Concat(2), "axis 2 is out of range for rank 2", "2x3xf32", "2x3xf32"),
      err(new Concat(-3), "axis -3 is out of range for rank 2", "2x3xf32"),
      err(new Concat(0), "concat needs at least one input"),
      err(new Concat(0), "inputs must have rank >= 1, got tensor<f32>", "f32", "f32"),
      // softmax
      err(new Softmax(2), "axis 2 is out of range for rank 2", "2x3xf32"),
      err(new Softmax(-3), "axis -3 is out of range for rank 2", "2x3xf32"),
      err(new Softmax(-1), "softmax input must be floating point, got tensor<2x3xi32>", "2x3xi32"),
      err(new Softmax(0), "softmax input must have rank >= 1", "f32")
    );
  }

  @ParameterizedTest(name = "{index}: {0} {1} -> {2}")
  @MethodSource("rejected")
  void rejects(Op op, List<String> in, String message) {
    List<TensorType> types = in.stream().map(TypeInferenceTest::t).toList();
    OpError e = assertThrows(OpError.class, () -> infer(op, types));
    assertEquals(message, e.getMessage());
  }

  @Test
  void reshape_overflow_is_an_arithmetic_error_the_builder_reports() {
    Func f = new Func("f", List.of(), Location.UNKNOWN);
    BlockArgument x = f.entry().addArgument(t("2xf32"), "x");
    Builder b = new Builder(f.entry());
    Reshape op = new Reshape(longs(1L << 40, 1L << 40, -1));
    assertThrows(ArithmeticException.class, () -> infer(op, List.of(x.type())));
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      b.create(op, List.of(x), Location.UNKNOWN)
    );
    assertEquals("nn.reshape: long overflow", e.getMessage());
    assertTrue(f.entry().nodes().isEmpty());
  }

  // ---------------------------------------------------------------------------------------------
  // nn.if: result types join the two branches

  /** A region whose block returns arguments of the given types (inference reads only these). */
  static Region returning(String... texts) {
    Region r = new Region();
    Block b = r.block();
    List<Value> values = new ArrayList<>();
    for (String s : texts) {
      values.add(b.addArgument(t(s), null));
    }
    new Builder(b).create(new Return(), values, Location.UNKNOWN);
    return r;
  }

  static List<TensorType> inferIf(String cond, Region then, Region otherwise) {
    return new If().inferTypes(new Op.InferContext(List.of(t(cond)), List.of(then, otherwise)));
  }

  static Stream<Arguments> ifJoins() {
    return Stream.of(
      arguments("bool", List.of("2x3xf32"), List.of("2x3xf32"), List.of("2x3xf32")),
      arguments("bool", List.of("2x3xf32"), List.of("2x4xf32"), List.of("2x?xf32")),
      arguments("1xbool", List.of("Nxi64"), List.of("Nxi64"), List.of("Nxi64")),
      arguments("1x1xbool", List.of("Nxi64"), List.of("3xi64"), List.of("?xi64")),
      arguments("?xbool", List.of("Nxf16"), List.of("Mxf16"), List.of("?xf16")),
      arguments("bool", List.of(), List.of(), List.of()),
      arguments(
        "bool",
        List.of("f32", "2xbool"),
        List.of("f32", "?xbool"),
        List.of("f32", "?xbool")
      )
    );
  }

  @ParameterizedTest(name = "{index}: if({0}) then {1} else {2} -> {3}")
  @MethodSource("ifJoins")
  void if_joins_branch_types(
    String cond,
    List<String> then,
    List<String> otherwise,
    List<String> out
  ) {
    List<TensorType> got = inferIf(
      cond,
      returning(then.toArray(String[]::new)),
      returning(otherwise.toArray(String[]::new))
    );
    assertEquals(out.stream().map(TypeInferenceTest::t).toList(), got);
  }

  static Stream<Arguments> ifErrors() {
    return Stream.of(
      arguments(
        "2xbool",
        List.of("f32"),
        List.of("f32"),
        "condition must be a single bool, got tensor<2xbool>"
      ),
      arguments(
        "f32",
        List.of("f32"),
        List.of("f32"),
        "condition must be a single bool, got tensor<f32>"
      ),
      arguments("bool", List.of("f32"), List.of("f32", "f32"), "branches return 1 and 2 values"),
      arguments(
        "bool",
        List.of("2xf32"),
        List.of("2xf16"),
        "result 0 has element type f32 on one path and f16 on the other"
      ),
      arguments(
        "bool",
        List.of("i32", "2x3xf32"),
        List.of("i32", "6xf32"),
        "result 1 has rank 2 on one path and 1 on the other"
      )
    );
  }

  @ParameterizedTest(name = "{index}: if({0}) then {1} else {2}: {3}")
  @MethodSource("ifErrors")
  void if_rejects(String cond, List<String> then, List<String> otherwise, String message) {
    Region a = returning(then.toArray(String[]::new));
    Region b = returning(otherwise.toArray(String[]::new));
    OpError e = assertThrows(OpError.class, () -> inferIf(cond, a, b));
    assertEquals(message, e.getMessage());
  }

  @Test
  void return_has_no_results() {
    assertEquals(List.of(), infer(new Return(), types("2xf32", "i64")));
  }

  // ---------------------------------------------------------------------------------------------
  // The builder attaches the op name and location to inference errors and creates no node

  @Test
  void builder_reports_inference_error_with_op_name_and_creates_nothing() {
    Func f = new Func("f", List.of(), Location.UNKNOWN);
    Block body = f.entry();
    BlockArgument x = body.addArgument(t("1x3x8x8xf32"), "x");
    BlockArgument w = body.addArgument(t("4x2x3x3xf32"), "w");
    Location loc = Location.named("conv1");
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      new Builder(body).create(conv(), List.of(x, w), loc)
    );
    assertEquals(1, e.diagnostics().size());
    assertEquals(loc, e.diagnostics().getFirst().location());
    assertEquals(
      "nn.conv: input channels (3) must equal weight in-channels (2) * group (1)",
      e.diagnostics().getFirst().message()
    );
    assertTrue(body.nodes().isEmpty());
    assertTrue(x.uses().isEmpty() && w.uses().isEmpty());
  }

  static Stream<Arguments> arity() {
    return Stream.of(
      arguments(new Relu(), 2, "nn.relu takes 1 operand, got 2"),
      arguments(new Add(), 1, "nn.add takes 2 operands, got 1"),
      arguments(conv(), 1, "nn.conv takes 2 to 4 operands, got 1"),
      arguments(new Gemm(1, 1, false, false), 4, "nn.gemm takes 2 to 3 operands, got 4"),
      arguments(new BatchNorm(1e-5), 4, "nn.batch_norm takes 5 operands, got 4"),
      arguments(new Constant(Tensor.splat(t("f32"), 0)), 1, "nn.constant takes 0 operands, got 1"),
      arguments(new If(), 1, "nn.if takes 2 regions, got 0")
    );
  }

  @ParameterizedTest(name = "{index}: {2}")
  @MethodSource("arity")
  void builder_checks_operand_and_region_counts(Op op, int operands, String message) {
    Func f = new Func("f", List.of(), Location.UNKNOWN);
    BlockArgument x = f.entry().addArgument(t("bool"), "x");
    List<Value> in = new ArrayList<>();
    for (int i = 0; i < operands; i++) {
      in.add(x);
    }
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      new Builder(f.entry()).create(op, in, Location.UNKNOWN)
    );
    assertEquals(message, e.getMessage());
  }

  // ---------------------------------------------------------------------------------------------
  // Known bugs, kept as disabled regression tests (see the report that came with these tests)

  @Test
  void gemm_rejects_c_larger_than_m_by_n() {
    assertThrows(OpError.class, () ->
      infer(new Gemm(1, 1, false, false), types("1x2xf32", "2x3xf32", "4x3xf32"))
    );
  }
}
