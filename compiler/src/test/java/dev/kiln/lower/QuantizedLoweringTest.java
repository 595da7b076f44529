package dev.kiln.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.BlockArgument;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopInterpreter;
import dev.kiln.ir.loop.LoopPrinter;
import dev.kiln.ir.text.ModuleParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Loop IR of the integer ops: on random inputs spanning the whole {@code i8}/{@code u8} range
 * it gives the reference interpreter's results bit for bit (zero points, per-channel factors,
 * round-half-even ties, clamps, padding, groups, broadcasting and int32 saturation).
 */
class QuantizedLoweringTest {

  /** The kernel-printing tests lower for x86-64 AVX2 (6x16 GEMM blocks). */
  static final dev.kiln.ir.loop.TargetInfo KERNEL_TARGET = dev.kiln.backend.llvm.Targets.info(
    dev.kiln.backend.llvm.Targets.resolve("x86_64-linux-gnu", "x86-64-v3")
  );

  /** Random inputs: i8 and u8 over their whole range, i32 (biases) in [-bias, bias]. */
  private static List<Tensor> inputs(Func f, long seed, long bias) {
    Random r = new Random(seed);
    List<Tensor> in = new ArrayList<>();
    for (BlockArgument a : f.arguments()) {
      TensorType t = a.type();
      long[] v = new long[Math.toIntExact(t.shape().numElements().orElseThrow())];
      for (int i = 0; i < v.length; i++) {
        v[i] = switch (t.elementType()) {
          case I8 -> r.nextInt(256) - 128;
          case U8 -> r.nextInt(256);
          default -> r.nextLong(2 * bias + 1) - bias;
        };
      }
      in.add(Tensor.ofLongs(t, v));
    }
    return in;
  }

  private static LoopFunc check(String signature, String body, long bias) {
    Func f = ModuleParser.parse("func @main(" + signature + " {\n" + body + "\n}\n", "q.kir")
      .funcs()
      .getFirst();
    LoopFunc lf = Lowering.lower(f, "t", List.of(), List.of(), null);
    for (long seed = 1; seed <= 3; seed++) {
      List<Tensor> in = inputs(f, seed, bias);
      Tensor want = Interpreter.run(f, in).getFirst();
      Tensor got = LoopInterpreter.run(lf, in).getFirst();
      assertEquals(want.type(), got.type());
      for (long i = 0; i < want.size(); i++) {
        assertEquals(
          want.getLong(i),
          got.getLong(i),
          "element " + i + " (seed " + seed + ")\n" + LoopPrinter.print(lf)
        );
      }
    }
    return lf;
  }

  private static LoopFunc check(String signature, String body) {
    return check(signature, body, 5000);
  }

  @Test
  void convWithPerChannelFactorsGroupsPaddingAndBias() {
    LoopFunc lf = check(
      "%x: tensor<1x4x6x5xu8>, %w: tensor<4x2x3x3xi8>, %b: tensor<4xi32>) -> (tensor<1x4x3x2xi8>)",
      """
        %y = q.conv(%x, %w, %b) {dilations = [1, 2], group = 2, multipliers = [1374389504, 1073741824, 2147483647, 1610612736], outputType = i8, pads = [1, 1, 1, 0], qmax = 127, qmin = -5, shifts = [9, 10, 10, 11], strides = [2, 1], wZeroPoint = -3, xZeroPoint = 128, yZeroPoint = -5} : tensor<1x4x3x2xi8>
        return %y : tensor<1x4x3x2xi8>
      """
    );
    assertTrue(LoopPrinter.print(lf).contains("shr"), LoopPrinter.print(lf));
  }

  @Test
  void convIntegerSaturatesToInt32() {
    check(
      "%x: tensor<1x2x4x4xi8>, %w: tensor<3x2x2x2xu8>, %b: tensor<3xi32>) -> (tensor<1x3x3x3xi32>)",
      """
        %y = q.conv(%x, %w, %b) {multipliers = [], outputType = i32, qmax = 0, qmin = 0, shifts = [], wZeroPoint = 3} : tensor<1x3x3x3xi32>
        return %y : tensor<1x3x3x3xi32>
      """,
      2147483000L
    );
  }

  @Test
  void batchedMatMulWithPerColumnFactors() {
    check(
      "%a: tensor<2x3x5xi8>, %b: tensor<5x4xu8>, %c: tensor<4xi32>) -> (tensor<2x3x4xu8>)",
      """
        %y = q.matmul(%a, %b, %c) {aZeroPoint = -2, bZeroPoint = 7, multipliers = [1789569773, 1073741824, 1288490189, 2000000000], outputType = u8, qmax = 250, qmin = 10, shifts = [7, 8, 6, 9], yZeroPoint = 10} : tensor<2x3x4xu8>
        return %y : tensor<2x3x4xu8>
      """
    );
    check(
      "%a: tensor<3x6xu8>, %b: tensor<6x2xi8>) -> (tensor<3x2xi32>)",
      """
        %y = q.matmul(%a, %b) {aZeroPoint = 200, multipliers = [], outputType = i32, qmax = 0, qmin = 0, shifts = []} : tensor<3x2xi32>
        return %y : tensor<3x2xi32>
      """
    );
  }

  @Test
  void addAndMulRoundTiesToEvenWithBroadcasting() {
    check(
      "%a: tensor<2x3x4xi8>, %b: tensor<3x1xu8>) -> (tensor<2x3x4xi8>)",
      """
        %y = q.add(%a, %b) {aMultiplier = 1073741824, bMultiplier = 1073741824, bZeroPoint = 129, outputType = i8, qmax = 100, qmin = -128, shift = 0, yZeroPoint = -3} : tensor<2x3x4xi8>
        return %y : tensor<2x3x4xi8>
      """
    );
    check(
      "%a: tensor<2x3xu8>, %b: tensor<2x3xi8>) -> (tensor<2x3xu8>)",
      """
        %y = q.mul(%a, %b) {aZeroPoint = 5, bZeroPoint = 2, multiplier = 1073741824, outputType = u8, qmax = 255, qmin = 0, shift = 6, yZeroPoint = 128} : tensor<2x3xu8>
        return %y : tensor<2x3xu8>
      """
    );
  }

  @Test
  void globalAveragePoolAndRequantize() {
    check(
      "%x: tensor<2x3x4x5xi8>) -> (tensor<2x3x1x1xu8>)",
      """
        %y = q.global_average_pool(%x) {multiplier = 1717986918, outputType = u8, qmax = 255, qmin = 0, shift = 4, xZeroPoint = -1, yZeroPoint = 128} : tensor<2x3x1x1xu8>
        return %y : tensor<2x3x1x1xu8>
      """
    );
    check(
      "%x: tensor<3x7xu8>) -> (tensor<3x7xi8>)",
      """
        %y = q.requantize(%x) {multiplier = 1073741824, outputType = i8, qmax = 127, qmin = -128, shift = 0, xZeroPoint = 100, yZeroPoint = 3} : tensor<3x7xi8>
        return %y : tensor<3x7xi8>
      """
    );
    check(
      "%x: tensor<3x7xi8>) -> (tensor<3x7xi8>)",
      """
        %y = q.requantize(%x) {multiplier = 1073741824, outputType = i8, qmax = 127, qmin = 0, shift = -31, xZeroPoint = -2} : tensor<3x7xi8>
        return %y : tensor<3x7xi8>
      """
    );
  }

  private static String kernelIr(String signature, String body) {
    Func f = ModuleParser.parse("func @main(" + signature + " {\n" + body + "\n}\n", "q.kir")
      .funcs()
      .getFirst();
    return LoopPrinter.print(Lowering.lower(f, "t", List.of(), List.of(), KERNEL_TARGET));
  }

  @Test
  void int8ConvAndMatMulCallTheirKernels() {
    String conv = kernelIr(
      "%x: tensor<1x4x6x5xi8>, %w: tensor<4x2x3x3xi8>, %b: tensor<4xi32>) -> (tensor<1x4x3x2xi8>)",
      """
        %y = q.conv(%x, %w, %b) {dilations = [1, 2], group = 2, multipliers = [1374389504, 1073741824, 2147483647, 1610612736], outputType = i8, pads = [1, 1, 1, 0], qmax = 127, qmin = -5, shifts = [9, 10, 10, 11], strides = [2, 1], wZeroPoint = -3, xZeroPoint = 7, yZeroPoint = -5} : tensor<1x4x3x2xi8>
        return %y : tensor<1x4x3x2xi8>
      """
    );
    assertTrue(
      conv.contains(
        "call kiln_conv2d_s8({1:i32, 4:i32, 6:i32, 5:i32, 4:i32, 3:i32, 2:i32, 3:i32, 3:i32, " +
        "2:i32, 1:i32, 1:i32, 1:i32, 1:i32, 2:i32, 2:i32, 7:i32, -3:i32, -5:i32, 1374389504:i32, " +
        "9:i32, -5:i32, 127:i32}, &%in0[0], &%in1[0], &%in2[0], &"
      ),
      conv
    );
    assertFalse(conv.contains("for "), conv);
    String gemm = kernelIr(
      "%a: tensor<2x3x5xi8>, %b: tensor<5x4xi8>) -> (tensor<2x3x4xi32>)",
      """
        %y = q.matmul(%a, %b) {aZeroPoint = -2, bZeroPoint = 7, multipliers = [], outputType = i32, qmax = 0, qmin = 0, shifts = []} : tensor<2x3x4xi32>
        return %y : tensor<2x3x4xi32>
      """
    );
    assertTrue(
      gemm.contains(
        "call kiln_gemm_s8s8s32({6:i32, 4:i32, 5:i32, 5:i32, 4:i32, 4:i32, -2:i32, 7:i32, 0:i32, " +
        "0:i32, 0:i32, 0:i32, 0:i32}, &%in0[0], &%in1[0], null, &%out0[0])"
      ),
      gemm
    );
    String unsigned = kernelIr(
      "%x: tensor<1x4x6x5xu8>, %w: tensor<4x4x3x3xi8>) -> (tensor<1x4x4x3xu8>)",
      """
        %y = q.conv(%x, %w) {multipliers = [1374389504], outputType = u8, qmax = 255, qmin = 0, shifts = [9], xZeroPoint = 128, yZeroPoint = 3} : tensor<1x4x4x3xu8>
        return %y : tensor<1x4x4x3xu8>
      """
    );
    assertTrue(
      unsigned.contains("1:i32, 0:i32, 0:i32, -125:i32, 1374389504:i32, 9:i32, -128:i32, 127:i32}"),
      "u8 codes and zero points move by 128 to call the i8 kernel: " + unsigned
    );
    assertEquals(
      2,
      unsigned.split("for ", -1).length - 1,
      "one loop in, one loop out: " + unsigned
    );
  }
}
