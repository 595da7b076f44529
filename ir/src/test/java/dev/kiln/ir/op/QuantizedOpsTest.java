package dev.kiln.ir.op;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Bit-exact semantics of the integer ops against independent integer references. */
class QuantizedOpsTest {

  private static final Op.EvalContext NO_REGIONS = new Op.EvalContext() {
    @Override
    public int numRegions() {
      return 0;
    }

    @Override
    public List<Tensor> runRegion(int index, List<Tensor> arguments) {
      throw new IllegalStateException();
    }
  };

  private static Tensor ints(ElementType e, long[] shape, long... v) {
    return Tensor.ofLongs(new TensorType(e, Shape.of(shape)), v);
  }

  private static long[] eval(Op op, Tensor... operands) {
    return op.evaluate(NO_REGIONS, List.of(operands)).getFirst().toLongs();
  }

  /** round_half_even(x * m / 2^(31 + shift)) with BigDecimal, independently of the shifts. */
  private static long reference(long x, long m, long shift) {
    BigDecimal v = new BigDecimal(BigInteger.valueOf(x).multiply(BigInteger.valueOf(m))).divide(
      new BigDecimal(BigInteger.TWO.pow((int) (31 + shift)))
    );
    return v.setScale(0, RoundingMode.HALF_EVEN).longValueExact();
  }

  @Test
  void requantize_rounds_half_to_even_exactly() {
    long half = 1L << 30;
    assertEquals(0, Requantization.apply(1, half, 0));
    assertEquals(2, Requantization.apply(3, half, 0));
    assertEquals(-2, Requantization.apply(-3, half, 0));
    assertEquals(-2, Requantization.apply(-5, half, 0));
    assertEquals(-1, Requantization.apply(-5, half, 1));
    assertEquals(5, Requantization.apply(5, half, -1));
    SplittableRandom r = new SplittableRandom(5);
    for (int i = 0; i < 20_000; i++) {
      long x = r.nextLong(Integer.MIN_VALUE, Integer.MAX_VALUE + 1L);
      long m = r.nextLong(Requantization.ONE);
      long shift = r.nextLong(-31, 32);
      assertEquals(
        reference(x, m, shift),
        Requantization.apply(x, m, shift),
        x + " " + m + " " + shift
      );
    }
  }

  @Test
  void factors_are_q31_and_exact_for_float_scales() {
    assertEquals(new Requantization.Factor(1L << 30, 0), Requantization.of(0.5));
    assertEquals(new Requantization.Factor(1L << 30, -1), Requantization.of(1.0));
    assertEquals(new Requantization.Factor(3L << 29, 4), Requantization.of(0.046875));
    SplittableRandom r = new SplittableRandom(7);
    for (int i = 0; i < 1000; i++) {
      float s = (float) Math.scalb(1 + r.nextDouble(), r.nextInt(-30, 30));
      Requantization.Factor f = Requantization.of(s);
      assertEquals((double) s, Math.scalb((double) f.multiplier(), (int) -(31 + f.shift())));
    }
    assertNull(Requantization.of(0));
    assertNull(Requantization.of(Math.scalb(1.0, -40)));
    assertNull(Requantization.of(Double.NaN));
  }

  @Test
  void conv_matches_a_naive_integer_convolution() {
    SplittableRandom r = new SplittableRandom(11);
    long[] xs = { 2, 4, 5, 6 };
    long[] ws = { 6, 2, 3, 3 };
    long[] xv = r.longs(2 * 4 * 5 * 6, 0, 256).toArray();
    long[] wv = r.longs(6 * 2 * 3 * 3, -127, 128).toArray();
    long[] bv = r.longs(6, -500, 500).toArray();
    List<Long> mults = r.longs(6, 1L << 30, 1L << 31).boxed().toList();
    List<Long> shifts = r.longs(6, 6, 10).boxed().toList();
    long zx = 131;
    long zy = 3;
    QConv op = new QConv(
      List.of(2L, 1L),
      List.of(1L, 0L, 1L, 1L),
      List.of(),
      2,
      zx,
      0,
      zy,
      mults,
      shifts,
      -100,
      127,
      ElementType.I8
    );
    Tensor x = ints(ElementType.U8, xs, xv);
    Tensor w = ints(ElementType.I8, ws, wv);
    Tensor b = ints(ElementType.I32, new long[] { 6 }, bv);
    assertEquals(
      TensorType.of(ElementType.I8, 2, 6, 3, 5),
      op
        .inferTypes(new Op.InferContext(List.of(x.type(), w.type(), b.type()), List.of()))
        .getFirst()
    );
    long[] got = eval(op, x, w, b);
    int i = 0;
    for (int n = 0; n < 2; n++) {
      for (int m = 0; m < 6; m++) {
        int g = m / 3;
        for (int oh = 0; oh < 3; oh++) {
          for (int ow = 0; ow < 5; ow++) {
            long acc = bv[m];
            for (int c = 0; c < 2; c++) {
              for (int kh = 0; kh < 3; kh++) {
                for (int kw = 0; kw < 3; kw++) {
                  int ih = oh * 2 - 1 + kh;
                  int iw = ow + kw;
                  if (ih < 0 || ih >= 5 || iw < 0 || iw >= 6) {
                    continue;
                  }
                  long xval = xv[((n * 4 + g * 2 + c) * 5 + ih) * 6 + iw];
                  acc += (xval - zx) * wv[((m * 2 + c) * 3 + kh) * 3 + kw];
                }
              }
            }
            long want = Math.clamp(reference(acc, mults.get(m), shifts.get(m)) + zy, -100, 127);
            assertEquals(want, got[i++], "n " + n + " m " + m + " " + oh + "," + ow);
          }
        }
      }
    }
  }

  @Test
  void matmul_accumulates_and_requantizes_per_column() {
    Tensor a = ints(ElementType.I8, new long[] { 2, 3 }, 1, -2, 3, 127, -128, 0);
    Tensor b = ints(ElementType.I8, new long[] { 3, 2 }, 1, 2, 3, 4, 5, 6);
    Tensor bias = ints(ElementType.I32, new long[] { 2 }, 10, -10);
    QMatMul acc = new QMatMul(1, 0, 0, List.of(), List.of(), 0, 0, ElementType.I32);
    // (a - 1) = [[0, -3, 2], [126, -129, -1]]
    assertArrayEquals(new long[] { 11, -10, -256, -280 }, eval(acc, a, b, bias));
    QMatMul q = new QMatMul(
      1,
      0,
      5,
      List.of(1L << 30, 3L << 29),
      List.of(0L, 2L),
      0,
      255,
      ElementType.U8
    );
    // column 0 times 1/2, column 1 times 3/16, half to even, + 5, clamped to [0, 255]
    assertArrayEquals(new long[] { 11, 3, 0, 0 }, eval(q, a, b, bias));
  }

  @Test
  void add_rounds_the_sum_once_and_broadcasts() {
    Tensor a = ints(ElementType.I8, new long[] { 2, 2 }, 1, 2, 3, -128);
    Tensor b = ints(ElementType.U8, new long[] { 2 }, 130, 128);
    QAdd add = new QAdd(0, 128, -1, 1L << 30, 3L << 29, 0, -128, 127, ElementType.I8);
    // a/2 + (b-128)*3/4: 0.5+1.5=2, 1+0=1, 1.5+1.5=3, -64+0=-64; then -1
    assertArrayEquals(new long[] { 1, 0, 2, -65 }, eval(add, a, b));
  }

  @Test
  void mul_pool_and_requantize_use_the_same_rounding() {
    Tensor a = ints(ElementType.I8, new long[] { 3 }, 3, -3, 5);
    QMul mul = new QMul(0, 0, 0, 1L << 30, 0, -128, 127, ElementType.I8);
    assertArrayEquals(new long[] { 4, 4, 12 }, eval(mul, a, a));
    Tensor x = ints(ElementType.U8, new long[] { 1, 2, 2, 2 }, 10, 11, 12, 13, 0, 0, 0, 255);
    QGlobalAveragePool gap = new QGlobalAveragePool(10, 0, 1L << 30, 1, 0, 255, ElementType.U8);
    // sums 6 and -40+255-10*... : (0+1+2+3)/4 = 1.5 -> 2; (-10*3 + 245)/4 = 53.75 -> 54
    assertArrayEquals(new long[] { 2, 54 }, eval(gap, x));
    QRequantize rq = new QRequantize(0, 128, 1L << 30, -3, 128, 255, ElementType.U8);
    // x * 4 + 128, relu at the zero point
    assertArrayEquals(new long[] { 140, 128, 148 }, eval(rq, a));
  }

  @Test
  void inference_checks_types_and_factors() {
    TensorType f = TensorType.of(ElementType.F32, 1, 1, 3, 3);
    TensorType i8 = TensorType.of(ElementType.I8, 1, 1, 3, 3);
    QConv conv = new QConv(
      List.of(),
      List.of(),
      List.of(),
      1,
      0,
      0,
      0,
      List.of(1L << 30),
      List.of(0L),
      -128,
      127,
      ElementType.I8
    );
    OpError e = assertThrows(OpError.class, () ->
      conv.inferTypes(new Op.InferContext(List.of(f, i8), List.of()))
    );
    assertEquals("q.conv input must hold i8 or u8 elements, got f32", e.getMessage());
    QConv bad = new QConv(
      List.of(),
      List.of(),
      List.of(),
      1,
      0,
      0,
      0,
      List.of(1L << 31),
      List.of(0L),
      -128,
      127,
      ElementType.I8
    );
    e = assertThrows(OpError.class, () ->
      bad.inferTypes(new Op.InferContext(List.of(i8, i8), List.of()))
    );
    assertEquals("multiplier 2147483648 must be in [0, 2^31)", e.getMessage());
    QRequantize range = new QRequantize(0, 0, 1, 0, 0, 255, ElementType.I8);
    e = assertThrows(OpError.class, () ->
      range.inferTypes(new Op.InferContext(List.of(i8), List.of()))
    );
    assertEquals("output range [0, 255] must lie within [-128, 127] of i8", e.getMessage());
  }
}
