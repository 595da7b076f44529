package dev.kiln.lower;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.LowPrecision;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.LoopInterpreter;
import dev.kiln.ir.text.ModuleParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Conversions to and from the low-precision element types, lowered to Loop IR, give the reference
 * interpreter's codes and values bit for bit: every code decoded, and every representable value,
 * its float neighbours, the midpoints between values, overflows, infinities, NaN, signed zeros,
 * {@code f32} subnormals and random values encoded, saturating or not and with every {@code
 * f8e8m0} rounding mode.
 */
class LowPrecisionLoweringTest {

  static final List<ElementType> FLOATS = List.of(
    ElementType.F8E4M3FN,
    ElementType.F8E4M3FNUZ,
    ElementType.F8E5M2,
    ElementType.F8E5M2FNUZ,
    ElementType.F8E8M0,
    ElementType.F4E2M1
  );

  /** The {@code f32} values every encoding is checked on for {@code type}. */
  static double[] probes(ElementType type) {
    List<Double> v = new ArrayList<>(
      List.of(
        0.0,
        -0.0,
        Double.NaN,
        Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY,
        1e-40,
        -1e-45,
        0x1.8p-127,
        3.4e38,
        -1e30,
        1e6,
        65536.0,
        -57344.0,
        61440.0
      )
    );
    int codes = type == ElementType.F4E2M1 ? 16 : 256;
    List<Double> values = new ArrayList<>();
    for (int c = 0; c < codes; c++) {
      double d = LowPrecision.decode(type, c);
      if (!Double.isNaN(d) && !Double.isInfinite(d)) {
        values.add(d);
      }
    }
    values.sort(Double::compare);
    for (int i = 0; i < values.size(); i++) {
      float f = (float) (double) values.get(i);
      v.add((double) f);
      v.add((double) Math.nextUp(f));
      v.add((double) Math.nextDown(f));
      if (i + 1 < values.size()) {
        v.add((double) (float) ((values.get(i) + values.get(i + 1)) / 2));
      }
    }
    SplittableRandom r = new SplittableRandom(type.ordinal());
    for (int i = 0; i < 200; i++) {
      v.add((double) (float) Math.scalb(r.nextDouble(-2, 2), r.nextInt(-40, 40)));
    }
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static List<Tensor> run(String text, Tensor x, boolean loop) {
    Func f = ModuleParser.parse(text, "t.kir").funcs().getFirst();
    return loop
      ? LoopInterpreter.run(Lowering.lower(f, "t", List.of(), List.of(), null), List.of(x))
      : Interpreter.run(f, List.of(x));
  }

  private static void sameBytes(String text, Tensor x) {
    List<Tensor> want = run(text, x, false);
    List<Tensor> got = run(text, x, true);
    for (int i = 0; i < want.size(); i++) {
      assertEquals(want.get(i).type(), got.get(i).type());
      assertArrayEquals(want.get(i).bytes(), got.get(i).bytes(), text);
    }
  }

  @ParameterizedTest
  @EnumSource(names = { "F8E4M3FN", "F8E4M3FNUZ", "F8E5M2", "F8E5M2FNUZ", "F8E8M0", "F4E2M1" })
  void float_codes_encode_and_decode_as_the_interpreter_does(ElementType type) {
    double[] p = probes(type);
    String t = type.textName();
    Tensor x = Tensor.ofDoubles(TensorType.of(ElementType.F32, p.length), p);
    for (String attrs : List.of(
      "{to = " + t + "}",
      "{saturate = false, to = " + t + "}",
      "{roundMode = down, to = " + t + "}",
      "{roundMode = nearest, saturate = false, to = " + t + "}"
    )) {
      sameBytes(
        String.format(
          Locale.ROOT,
          """
          func @e(%%x: tensor<%dxf32>) -> (tensor<%dx%s>) {
            %%y = nn.cast(%%x) %s : tensor<%dx%s>
            return %%y : tensor<%dx%s>
          }
          """,
          p.length,
          p.length,
          t,
          attrs,
          p.length,
          t,
          p.length,
          t
        ),
        x
      );
    }
    int codes = type == ElementType.F4E2M1 ? 16 : 256;
    byte[] all = new byte[codes];
    for (int c = 0; c < codes; c++) {
      all[c] = (byte) c;
    }
    for (String to : List.of("f32", "f64", "f16", "i32", "f8e5m2")) {
      sameBytes(
        String.format(
          Locale.ROOT,
          """
          func @d(%%x: tensor<%dx%s>) -> (tensor<%dx%s>) {
            %%y = nn.cast(%%x) {to = %s} : tensor<%dx%s>
            return %%y : tensor<%dx%s>
          }
          """,
          codes,
          t,
          codes,
          to,
          to,
          codes,
          to,
          codes,
          to
        ),
        Tensor.ofBytes(TensorType.of(type, codes), all)
      );
    }
  }

  @ParameterizedTest
  @EnumSource(names = { "I4", "U4", "I2", "U2" })
  void sub_byte_integers_wrap_and_widen_as_the_interpreter_does(ElementType type) {
    String t = type.textName();
    long[] ints = { 0, 1, -1, 7, 8, -8, -9, 15, 16, 300, -129, Long.MIN_VALUE, Long.MAX_VALUE };
    sameBytes(
      """
      func @w(%x: tensor<13xi64>) -> (tensor<13xT>, tensor<13xf32>) {
        %y = nn.cast(%x) {to = T} : tensor<13xT>
        %z = nn.cast(%y) {to = f32} : tensor<13xf32>
        return %y, %z : tensor<13xT>, tensor<13xf32>
      }
      """.replace("T", t),
      Tensor.ofLongs(TensorType.of(ElementType.I64, ints.length), ints)
    );
    double[] floats = { 2.5, -2.5, 7.9, -8.9, 1e10, Double.NaN, -0.0 };
    sameBytes(
      """
      func @f(%x: tensor<7xf32>) -> (tensor<7xT>) {
        %y = nn.cast(%x) {to = T} : tensor<7xT>
        return %y : tensor<7xT>
      }
      """.replace("T", t),
      Tensor.ofDoubles(TensorType.of(ElementType.F32, floats.length), floats)
    );
  }
}
