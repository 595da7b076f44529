package dev.kiln.nativecode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.backend.llvm.Targets;
import dev.kiln.emit.NativeCompiler;
import dev.kiln.emit.NativeEngine;
import dev.kiln.emit.Toolchain;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Module;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.text.ModuleParser;
import dev.kiln.onnx.OnnxOrigin;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Native code converts to and from every low-precision element type with the reference
 * interpreter's codes and values, byte for byte: every {@code f16} value (as {@code f32}: all the
 * float8 values, the midpoints between them, subnormals, infinities and NaNs) and powers of two up
 * to {@code 2^127} encoded saturating and not, and every code decoded, on x86-64 and on aarch64
 * (under qemu).
 */
class LowPrecisionNativeTest {

  static final int N = 65536 + 512;

  private static Tensor probes() {
    double[] v = new double[N];
    for (int i = 0; i < 65536; i++) {
      v[i] = Float.float16ToFloat((short) i);
    }
    for (int i = 0; i < 512; i++) {
      v[65536 + i] = Math.scalb(1.0 + (i % 4) / 4.0, (i / 4) - 128) * (i % 8 < 4 ? 1 : -1);
    }
    return Tensor.ofDoubles(TensorType.of(ElementType.F32, N), v);
  }

  @ParameterizedTest(name = "{0} on {1}")
  @CsvSource(
    {
      "f8e4m3fn, x86_64-linux-gnu",
      "f8e4m3fnuz, x86_64-linux-gnu",
      "f8e5m2, x86_64-linux-gnu",
      "f8e5m2fnuz, x86_64-linux-gnu",
      "f8e8m0, x86_64-linux-gnu",
      "f4e2m1, x86_64-linux-gnu",
      "i4, x86_64-linux-gnu",
      "u2, x86_64-linux-gnu",
      "f8e4m3fn, aarch64-linux-gnu",
      "f8e5m2, aarch64-linux-gnu",
      "f8e8m0, aarch64-linux-gnu",
      "i4, aarch64-linux-gnu",
    }
  )
  void conversions_match_the_interpreter_byte_for_byte(String type, String target) {
    Targets.Resolved t = NativeCompiler.resolve(target, null);
    assumeTrue(Toolchain.available(t), "skipped: no toolchain (or qemu) for " + target);
    ElementType e = ElementType.valueOf(type.toUpperCase(java.util.Locale.ROOT));
    int codes = e.bits() < 8 ? 1 << e.bits() : 256;
    String text = """
      func @main(%x: tensor<NxFLOAT>, %c: tensor<CxT>) -> (tensor<NxT>, tensor<NxT>, tensor<NxT>, tensor<Cxf32>) {
        %s = nn.cast(%x) {to = T} : tensor<NxT>
        %u = nn.cast(%x) {saturate = false, to = T} : tensor<NxT>
        %n = nn.cast(%x) {roundMode = nearest, to = T} : tensor<NxT>
        %d = nn.cast(%c) {to = f32} : tensor<Cxf32>
        return %s, %u, %n, %d : tensor<NxT>, tensor<NxT>, tensor<NxT>, tensor<Cxf32>
      }
      """.replace("FLOAT", "f32")
      .replace("N", "" + N)
      .replace("C", "" + codes)
      .replace("T", type);
    Module m = ModuleParser.parse(text, "lp.kir");
    byte[] all = new byte[codes];
    for (int c = 0; c < codes; c++) {
      all[c] = (byte) (e.kind() == ElementType.Kind.SIGNED
          ? (c << (32 - e.bits())) >> (32 - e.bits())
          : c);
    }
    List<Tensor> in = List.of(probes(), Tensor.ofBytes(TensorType.of(e, codes), all));
    List<Tensor> want = Interpreter.run(m.funcs().getFirst(), in);
    List<Tensor> got = new NativeEngine(t, 600).run(
      new ImportedModel(m, List.of("x", "c"), List.of("s", "u", "n", "d"), new OnnxOrigin(8, 23)),
      in
    );
    for (int i = 0; i < want.size(); i++) {
      assertEquals(want.get(i).type(), got.get(i).type());
      assertArrayEquals(want.get(i).bytes(), got.get(i).bytes(), type + " output " + i);
    }
  }
}
