package dev.kiln.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopInterpreter;
import dev.kiln.ir.loop.LoopPrinter;
import dev.kiln.ir.text.ModuleParser;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Elementwise lowerings whose exact semantics are easy to get wrong: each function is lowered,
 * run in the Loop IR interpreter and compared with the Graph IR interpreter.
 */
class ElementwiseLoweringTest {

  private static Func parse(String kir) {
    return ModuleParser.parse(kir, "t.kir").funcs().getFirst();
  }

  private static TensorType vec(ElementType e, int n) {
    return new TensorType(e, Shape.of(n));
  }

  /** Runs {@code kir} both ways on {@code inputs} and requires equal outputs (floats within 1 ulp of f32). */
  private static List<Tensor> agree(String kir, Tensor... inputs) {
    Func f = parse(kir);
    List<Tensor> expected = Interpreter.run(f, List.of(inputs));
    LoopFunc lf = Lowering.lower(f, "t", List.of(), List.of(), null);
    List<Tensor> actual = LoopInterpreter.run(lf, List.of(inputs));
    assertEquals(expected.size(), actual.size());
    for (int r = 0; r < expected.size(); r++) {
      Tensor e = expected.get(r);
      Tensor a = actual.get(r);
      assertEquals(e.type(), a.type());
      for (long i = 0; i < e.size(); i++) {
        if (e.elementType().isFloat()) {
          double x = e.getDouble(i);
          double y = a.getDouble(i);
          boolean same =
            Double.compare(x, y) == 0 || Math.abs(x - y) <= Math.ulp((float) x) + 1e-30;
          assertTrue(same, "element " + i + ": expected " + x + ", got " + y);
        } else {
          assertEquals(e.getLong(i), a.getLong(i), "element " + i);
        }
      }
    }
    return actual;
  }

  @Test
  void integer_mod_takes_the_divisor_sign_and_fmod_the_dividend_sign() {
    Tensor a = Tensor.ofLongs(vec(ElementType.I32, 8), -7, 7, -7, 7, 6, -6, 0, -2147483648L);
    Tensor b = Tensor.ofLongs(vec(ElementType.I32, 8), 3, -3, -3, 3, 3, -3, 5, 3);
    agree(
      """
      func @f(%a: tensor<8xi32>, %b: tensor<8xi32>) -> (tensor<8xi32>, tensor<8xi32>) {
        %m = nn.mod(%a, %b) : tensor<8xi32>
        %r = nn.mod(%a, %b) {fmod = true} : tensor<8xi32>
        return %m, %r : tensor<8xi32>, tensor<8xi32>
      }
      """,
      a,
      b
    );
  }

  @Test
  void integer_pow_squares_wraps_and_handles_negative_exponents() {
    Tensor a = Tensor.ofLongs(vec(ElementType.I64, 8), 2, -3, 3, 1, -1, -1, 0, 2);
    Tensor b = Tensor.ofLongs(vec(ElementType.I64, 8), 10, 3, 41, -5, -3, -4, 0, -1);
    List<Tensor> r = agree(
      """
      func @f(%a: tensor<8xi64>, %b: tensor<8xi64>) -> (tensor<8xi64>) {
        %p = nn.pow(%a, %b) : tensor<8xi64>
        return %p : tensor<8xi64>
      }
      """,
      a,
      b
    );
    assertEquals(1024, r.getFirst().getLong(0));
    assertEquals(-27, r.getFirst().getLong(1));
  }

  @Test
  void float_to_integer_casts_truncate_through_i64_then_wrap() {
    Tensor x = Tensor.ofDoubles(
      vec(ElementType.F32, 8),
      300.7,
      -1.9,
      Double.NaN,
      1e20,
      -1e20,
      255.5,
      Double.POSITIVE_INFINITY,
      -0.5
    );
    agree(
      """
      func @f(%x: tensor<8xf32>) -> (tensor<8xu8>, tensor<8xi32>, tensor<8xbool>, tensor<8xu64>) {
        %a = nn.cast(%x) {to = u8} : tensor<8xu8>
        %b = nn.cast(%x) {to = i32} : tensor<8xi32>
        %c = nn.cast(%x) {to = bool} : tensor<8xbool>
        %d = nn.cast(%x) {to = u64} : tensor<8xu64>
        return %a, %b, %c, %d : tensor<8xu8>, tensor<8xi32>, tensor<8xbool>, tensor<8xu64>
      }
      """,
      x
    );
  }

  @Test
  void a_fused_cast_to_f16_rounds_to_f16() {
    Tensor x = Tensor.ofDoubles(vec(ElementType.F32, 4), 1.0001, 65519.0, 70000.0, 3.0e-8);
    List<Tensor> r = agree(
      """
      func @f(%x: tensor<4xf32>) -> (tensor<4xf32>) {
        %h = nn.cast(%x) {to = f16} : tensor<4xf16>
        %b = nn.cast(%h) {to = bf16} : tensor<4xbf16>
        %y = nn.cast(%b) {to = f32} : tensor<4xf32>
        return %y : tensor<4xf32>
      }
      """,
      x
    );
    assertEquals(1.0, r.getFirst().getDouble(0));
    assertEquals(Double.POSITIVE_INFINITY, r.getFirst().getDouble(2));
  }

  @Test
  void round_sign_and_predicates_follow_the_interpreter() {
    Tensor x = Tensor.ofDoubles(
      vec(ElementType.F32, 8),
      0.5,
      1.5,
      -2.5,
      -0.0,
      Double.NaN,
      Double.NEGATIVE_INFINITY,
      2.4999,
      -3.7
    );
    agree(
      """
      func @f(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xbool>, tensor<8xbool>) {
        %r = nn.round(%x) : tensor<8xf32>
        %s = nn.sign(%x) : tensor<8xf32>
        %n = nn.is_nan(%x) : tensor<8xbool>
        %i = nn.is_inf(%x) {detectNegative = false} : tensor<8xbool>
        return %r, %s, %n, %i : tensor<8xf32>, tensor<8xf32>, tensor<8xbool>, tensor<8xbool>
      }
      """,
      x
    );
  }

  @Test
  void softplus_and_elu_stay_accurate_at_the_extremes() {
    Tensor x = Tensor.ofDoubles(vec(ElementType.F32, 8), -100, -20, -1e-6, 0, 1e-6, 20, 100, 1e30);
    agree(
      """
      func @f(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
        %s = nn.softplus(%x) : tensor<8xf32>
        %e = nn.elu(%x) {alpha = 1.0} : tensor<8xf32>
        %c = nn.celu(%x) {alpha = 2.0} : tensor<8xf32>
        return %s, %e, %c : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
      }
      """,
      x
    );
  }

  @Test
  void a_chain_fuses_into_one_loop_nest() {
    Func f = parse(
      """
      func @f(%x: tensor<16xf32>, %y: tensor<16xf32>) -> (tensor<16xf32>) {
        %d = nn.div(%x, %y) : tensor<16xf32>
        %m = nn.max(%d, %x) : tensor<16xf32>
        %s = nn.sigmoid(%m) : tensor<16xf32>
        return %s : tensor<16xf32>
      }
      """
    );
    String text = LoopPrinter.print(Lowering.lower(f, "t", List.of(), List.of(), null));
    assertEquals(1, text.split("for ", -1).length - 1, text);
    assertTrue(text.contains("div") && text.contains("max") && text.contains("exp"), text);
  }
}
