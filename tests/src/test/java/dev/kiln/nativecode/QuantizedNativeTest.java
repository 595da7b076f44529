package dev.kiln.nativecode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.emit.NativeCompiler;
import dev.kiln.emit.NativeEngine;
import dev.kiln.emit.Toolchain;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.BlockArgument;
import dev.kiln.ir.Func;
import dev.kiln.ir.Module;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.text.ModuleParser;
import dev.kiln.onnx.OnnxOrigin;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The integer ops compiled to native code: the int8 convolution and matrix-product kernels
 * ({@code kiln_conv2d_s8}, {@code kiln_gemm_s8s8s8}, {@code kiln_gemm_s8s8s32}) and the loop nests
 * of the other cases give the reference interpreter's results bit for bit on random inputs.
 */
class QuantizedNativeTest {

  /** Each case: the function's parameters, then its one node (the result type last). */
  static Stream<String> cases() {
    return Stream.of(
      "%x: tensor<1x4x9x7xi8>, %w: tensor<6x2x3x3xi8>, %b: tensor<6xi32>) -> (tensor<1x6x5x6xi8>)|q.conv(%x, %w, %b) {dilations = [1, 2], group = 2, multipliers = [1374389504, 1073741824, 2147483647, 1610612736, 1100000000, 1300000000], outputType = i8, pads = [1, 2, 1, 1], qmax = 127, qmin = -5, shifts = [9, 10, 10, 11, 9, 8], strides = [2, 1], wZeroPoint = -3, xZeroPoint = 7, yZeroPoint = -5} : tensor<1x6x5x6xi8>",
      "%x: tensor<2x3x6x6xi8>, %w: tensor<4x3x3x3xi8>) -> (tensor<2x4x4x4xi8>)|q.conv(%x, %w) {multipliers = [1073741824], outputType = i8, qmax = 127, qmin = -128, shifts = [9]} : tensor<2x4x4x4xi8>",
      "%x: tensor<1x3x6x6xu8>, %w: tensor<4x3x3x3xi8>, %b: tensor<4xi32>) -> (tensor<1x4x6x6xu8>)|q.conv(%x, %w, %b) {multipliers = [1500000000, 1200000000, 1100000000, 1900000000], outputType = u8, pads = [1, 1, 1, 1], qmax = 255, qmin = 128, shifts = [9, 9, 8, 10], xZeroPoint = 128, yZeroPoint = 128} : tensor<1x4x6x6xu8>",
      "%a: tensor<2x3x70xi8>, %b: tensor<70x67xi8>, %c: tensor<67xi32>) -> (tensor<2x3x67xi8>)|q.matmul(%a, %b, %c) {aZeroPoint = -2, bZeroPoint = 1, multipliers = [1789569773], outputType = i8, qmax = 127, qmin = -128, shifts = [8], yZeroPoint = 3} : tensor<2x3x67xi8>",
      "%a: tensor<3x9xi8>, %b: tensor<9x5xi8>) -> (tensor<3x5xi32>)|q.matmul(%a, %b) {aZeroPoint = 4, multipliers = [], outputType = i32, qmax = 0, qmin = 0, shifts = []} : tensor<3x5xi32>",
      "%a: tensor<4x33xu8>, %b: tensor<33x6xu8>) -> (tensor<4x6xu8>)|q.matmul(%a, %b) {aZeroPoint = 131, bZeroPoint = 97, multipliers = [1500000000], outputType = u8, qmax = 255, qmin = 0, shifts = [10], yZeroPoint = 120} : tensor<4x6xu8>",
      "%a: tensor<3x9xu8>, %b: tensor<9x5xu8>) -> (tensor<3x5xi32>)|q.matmul(%a, %b) {aZeroPoint = 255, bZeroPoint = 0, multipliers = [], outputType = i32, qmax = 0, qmin = 0, shifts = []} : tensor<3x5xi32>",
      "%a: tensor<2x3x4xi8>, %b: tensor<3x1xu8>) -> (tensor<2x3x4xi8>)|q.add(%a, %b) {aMultiplier = 1073741824, bMultiplier = 1073741824, bZeroPoint = 129, outputType = i8, qmax = 100, qmin = -128, shift = 0, yZeroPoint = -3} : tensor<2x3x4xi8>",
      "%a: tensor<2x3xu8>, %b: tensor<2x3xi8>) -> (tensor<2x3xu8>)|q.mul(%a, %b) {aZeroPoint = 5, bZeroPoint = 2, multiplier = 1073741824, outputType = u8, qmax = 255, qmin = 0, shift = 6, yZeroPoint = 128} : tensor<2x3xu8>",
      "%x: tensor<2x3x4x5xi8>) -> (tensor<2x3x1x1xu8>)|q.global_average_pool(%x) {multiplier = 1717986918, outputType = u8, qmax = 255, qmin = 0, shift = 4, xZeroPoint = -1, yZeroPoint = 128} : tensor<2x3x1x1xu8>",
      "%x: tensor<3x7xu8>) -> (tensor<3x7xi8>)|q.requantize(%x) {multiplier = 1073741824, outputType = i8, qmax = 127, qmin = -128, shift = 0, xZeroPoint = 100, yZeroPoint = 3} : tensor<3x7xi8>"
    );
  }

  @ParameterizedTest
  @MethodSource("cases")
  void nativeCodeMatchesTheInterpreterExactly(String testCase) {
    assumeTrue(Toolchain.find("cc").isPresent(), "skipped: no C compiler (cc) to link native code");
    matchesTheInterpreter(testCase, new NativeEngine(NativeCompiler.resolve(null, null), 600));
  }

  /** Runs {@code testCase} with {@code engine} on random inputs; the interpreter's bits. */
  static void matchesTheInterpreter(String testCase, NativeEngine engine) {
    String[] parts = testCase.split("\\|");
    String type = parts[1].substring(parts[1].lastIndexOf(": ") + 2);
    Module m = ModuleParser.parse(
      "func @main(" + parts[0] + " {\n  %y = " + parts[1] + "\n  return %y : " + type + "\n}\n",
      "q.kir"
    );
    Func f = m.funcs().getFirst();
    Random r = new Random(11);
    List<Tensor> in = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (BlockArgument a : f.arguments()) {
      TensorType t = a.type();
      long[] v = new long[Math.toIntExact(t.shape().numElements().orElseThrow())];
      for (int i = 0; i < v.length; i++) {
        v[i] = switch (t.elementType()) {
          case I8 -> r.nextInt(256) - 128;
          case U8 -> r.nextInt(256);
          default -> r.nextInt(20001) - 10000;
        };
      }
      in.add(Tensor.ofLongs(t, v));
      names.add("in" + names.size());
    }
    Tensor want = Interpreter.run(f, in).getFirst();
    Tensor got = engine
      .run(new ImportedModel(m, names, List.of("y"), new OnnxOrigin(8, 21)), in)
      .getFirst();
    assertEquals(want.type(), got.type());
    for (long i = 0; i < want.size(); i++) {
      assertEquals(want.getLong(i), got.getLong(i), "element " + i);
    }
  }
}
