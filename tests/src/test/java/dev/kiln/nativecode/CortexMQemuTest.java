package dev.kiln.nativecode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.backend.llvm.Targets;
import dev.kiln.emit.NativeCompiler;
import dev.kiln.emit.NativeEngine;
import dev.kiln.emit.Toolchain;
import dev.kiln.io.Npy;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.testing.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code kiln run --backend native|c --target thumbv7em-none-eabihf --cpu cortex-m4|cortex-m7}:
 * the digits demo ({@code examples/digits.onnx}) and the keyword spotter {@code
 * ../shared/tf/tract/hey_snips_3.pb} (its input is already the 40 x 40 feature frames) linked with
 * the MPS2 board support, run under {@code qemu-system-arm -semihosting} on mps2-an386 and
 * mps2-an500, match the interpreter (rtol 1e-3, atol 1e-4). Skips with a message without {@code
 * arm-none-eabi-gcc}, newlib or {@code qemu-system-arm}, or without the shared model. The int8
 * kernels run on both cores too, bit for bit against the interpreter.
 */
class CortexMQemuTest {

  static Stream<Arguments> runs() {
    List<Arguments> all = new ArrayList<>();
    for (String model : List.of("digits", "hey_snips_3")) {
      for (String backend : List.of("native", "c")) {
        for (String cpu : List.of("cortex-m4", "cortex-m7")) {
          all.add(Arguments.of(model, backend, cpu));
        }
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("runs")
  void matches_the_interpreter_under_qemu(
    String model,
    String backend,
    String cpu,
    @TempDir Path tmp
  ) throws IOException {
    assumeTrue(
      Toolchain.available(NativeCompiler.resolve(NativeCompiler.CORTEX_M, cpu)),
      "skipped: arm-none-eabi-gcc or qemu-system-arm is not installed (apt-get install " +
      "gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)"
    );
    Path file;
    String input;
    long[] dims;
    List<String> extra = new ArrayList<>();
    if (model.equals("digits")) {
      file = Path.of("../examples/digits.onnx");
      input = "image";
      dims = new long[] { 1, 64 };
    } else {
      file = Path.of("../../shared/tf/tract/hey_snips_3.pb");
      assumeTrue(
        Files.isRegularFile(file),
        "skipped: " + file.toAbsolutePath().normalize() + " is absent"
      );
      input = "inputs";
      dims = new long[] { 40, 40 };
      extra.addAll(List.of("--output", "logits"));
    }
    Random r = new Random(7);
    TensorType type = new TensorType(ElementType.F32, Shape.of(dims));
    double[] values = new double[Math.toIntExact(dims[0] * dims[1])];
    for (int i = 0; i < values.length; i++) {
      values[i] = model.equals("digits") ? r.nextInt(17) : r.nextGaussian();
    }
    Path in = tmp.resolve("in.npy");
    Files.write(in, Npy.encode(Tensor.ofDoubles(type, values)));
    double[][] got = new double[2][];
    int k = 0;
    for (List<String> how : List.of(
      List.of("--backend", backend, "--target", NativeCompiler.CORTEX_M, "--cpu", cpu),
      List.of("--backend", "interp")
    )) {
      Path out = tmp.resolve("out" + k);
      List<String> args = new ArrayList<>(List.of("run", file.toString()));
      args.addAll(how);
      args.addAll(extra);
      args.addAll(List.of("--input", input + "=" + in, "--output-dir", out.toString()));
      Cli.Result res = Cli.run(args.toArray(String[]::new));
      assertEquals(0, res.status(), () -> String.join(" ", args) + "\n" + res.err());
      got[k++] = Npy.read(out.resolve("output_0.npy")).toDoubles();
    }
    assertEquals(got[1].length, got[0].length);
    for (int i = 0; i < got[0].length; i++) {
      assertEquals(got[1][i], got[0][i], 1e-4 + 1e-3 * Math.abs(got[1][i]), "element " + i);
    }
  }

  static Stream<Arguments> int8() {
    List<Arguments> all = new ArrayList<>();
    List<String> cases = QuantizedNativeTest.cases()
      .filter(c -> c.contains("q.conv(") || c.contains("q.matmul("))
      .toList();
    for (int i = 0; i < cases.size(); i++) {
      for (List<String> how : List.of(
        List.of("native", "cortex-m4"),
        List.of("c", "cortex-m4"),
        List.of("native", "cortex-m7")
      )) {
        all.add(Arguments.of(i, how.get(0), how.get(1), cases.get(i)));
      }
    }
    return all.stream();
  }

  /**
   * The int8 convolution and matrix-product kernels, which use SMLAD on these cores (pairs of
   * reduction steps, odd tails in C), give the interpreter's bits.
   */
  @ParameterizedTest(name = "case {0} {1} {2}")
  @MethodSource("int8")
  void int8_kernels_match_the_interpreter_bit_for_bit(
    int index,
    String backend,
    String cpu,
    String testCase
  ) {
    Targets.Resolved target = NativeCompiler.resolve(NativeCompiler.CORTEX_M, cpu);
    assumeTrue(
      Toolchain.available(target),
      "skipped: arm-none-eabi-gcc or qemu-system-arm is not installed"
    );
    QuantizedNativeTest.matchesTheInterpreter(
      testCase,
      backend.equals("c") ? NativeEngine.portableC(target, 600, 1) : new NativeEngine(target, 600)
    );
  }
}
