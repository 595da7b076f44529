package dev.kiln.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopInterpreter;
import dev.kiln.ir.loop.LoopPrinter;
import dev.kiln.ir.text.ModuleParser;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Lowerings of reductions and axis ops, run in the Loop IR interpreter against the reference. */
class ReductionLoweringTest {

  private static Func parse(String text) {
    return ModuleParser.parse(text, "t.kir").funcs().getFirst();
  }

  /** Runs {@code f} lowered and in the reference interpreter; returns both results. */
  private static List<List<Tensor>> both(Func f, List<Tensor> inputs) {
    LoopFunc lf = Lowering.lower(f, "t", List.of(), List.of(), null);
    return List.of(LoopInterpreter.run(lf, inputs), Interpreter.run(f, inputs));
  }

  /** Asserts equal element types, shapes and values within rtol 1e-5 (NaN equals NaN). */
  private static void assertClose(Func f, List<Tensor> inputs) {
    List<List<Tensor>> r = both(f, inputs);
    List<Tensor> got = r.get(0);
    List<Tensor> want = r.get(1);
    assertEquals(want.size(), got.size());
    for (int t = 0; t < want.size(); t++) {
      assertEquals(want.get(t).type(), got.get(t).type());
      for (long i = 0; i < want.get(t).size(); i++) {
        double w = want.get(t).getDouble(i);
        double g = got.get(t).getDouble(i);
        boolean ok =
          (Double.isNaN(w) && Double.isNaN(g)) || Math.abs(w - g) <= 1e-5 * Math.abs(w) + 1e-7;
        assertTrue(ok, "result " + t + " element " + i + ": want " + w + ", got " + g);
      }
    }
  }

  private static Tensor random(ElementType e, long seed, long... dims) {
    Random rnd = new Random(seed);
    TensorType t = TensorType.of(e, dims);
    double[] v = new double[Math.toIntExact(t.shape().numElements().orElseThrow())];
    for (int i = 0; i < v.length; i++) {
      v[i] = e.isFloat() ? rnd.nextGaussian() : rnd.nextInt(19) - 9;
    }
    return Tensor.ofDoubles(t, v);
  }

  @Test
  void reductions_over_several_axes_match_the_reference() {
    for (String op : List.of("sum", "mean", "max", "min", "prod")) {
      for (String keep : List.of("true", "false")) {
        String shape = keep.equals("true") ? "1x3x1" : "3";
        Func f = parse(
          """
          func @f(%x: tensor<2x3x4xf32>) -> (tensor<Sxf32>) {
            %y = nn.reduce_OP(%x) {axes = [0, -1], keepdims = K} : tensor<Sxf32>
            return %y : tensor<Sxf32>
          }
          """.replace("OP", op)
            .replace("K", keep)
            .replace("S", shape)
        );
        assertClose(f, List.of(random(ElementType.F32, 1, 2, 3, 4)));
      }
    }
  }

  @Test
  void integer_mean_truncates_and_max_propagates_nan() {
    Func mean = parse(
      """
      func @f(%x: tensor<3x4xi32>) -> (tensor<3xi32>) {
        %y = nn.reduce_mean(%x) {axes = [1], keepdims = false} : tensor<3xi32>
        return %y : tensor<3xi32>
      }
      """
    );
    assertClose(mean, List.of(random(ElementType.I32, 2, 3, 4)));
    Func max = parse(
      """
      func @f(%x: tensor<2x2xf32>) -> (tensor<2xf32>) {
        %y = nn.reduce_max(%x) {axes = [1], keepdims = false} : tensor<2xf32>
        return %y : tensor<2xf32>
      }
      """
    );
    Tensor x = Tensor.ofDoubles(TensorType.of(ElementType.F32, 2, 2), 1, Double.NaN, 3, -2);
    List<Tensor> got = both(max, List.of(x)).getFirst();
    assertTrue(Double.isNaN(got.getFirst().getDouble(0)));
    assertEquals(3.0, got.getFirst().getDouble(1));
  }

  @Test
  void empty_reductions_give_the_identity() {
    Func f = parse(
      """
      func @f(%x: tensor<2x0xf32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
        %s = nn.reduce_sum(%x) {axes = [1], keepdims = false} : tensor<2xf32>
        %m = nn.reduce_max(%x) {axes = [1], keepdims = false} : tensor<2xf32>
        %a = nn.reduce_mean(%x) {axes = [1], keepdims = false} : tensor<2xf32>
        return %s, %m, %a : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
      }
      """
    );
    List<Tensor> got = both(
      f,
      List.of(Tensor.ofDoubles(TensorType.of(ElementType.F32, 2, 0)))
    ).getFirst();
    assertEquals(0.0, got.get(0).getDouble(1));
    assertEquals(Double.NEGATIVE_INFINITY, got.get(1).getDouble(1));
    assertTrue(Double.isNaN(got.get(2).getDouble(1)));
  }

  @Test
  void top_k_orders_ties_by_index_and_nan_first() {
    double nan = Double.NaN;
    Tensor x = Tensor.ofDoubles(
      TensorType.of(ElementType.F32, 2, 6),
      3,
      1,
      3,
      nan,
      0.0,
      -0.0,
      -0.0,
      0.0,
      2,
      2,
      -5,
      2
    );
    for (String largest : List.of("true", "false")) {
      Func f = parse(
        """
        func @f(%x: tensor<2x6xf32>) -> (tensor<2x5xf32>, tensor<2x5xi64>) {
          %v, %i = nn.top_k(%x) {k = 5, largest = L} : tensor<2x5xf32>, tensor<2x5xi64>
          return %v, %i : tensor<2x5xf32>, tensor<2x5xi64>
        }
        """.replace("L", largest)
      );
      List<List<Tensor>> r = both(f, List.of(x));
      assertEquals(r.get(1).get(1), r.get(0).get(1));
      assertEquals(r.get(1).get(0), r.get(0).get(0));
    }
  }

  @Test
  void arg_max_and_cum_sum_follow_their_flags() {
    Func f = parse(
      """
      func @f(%x: tensor<2x5xi32>) -> (tensor<2x1xi64>, tensor<5xi64>, tensor<2x5xi32>) {
        %a = nn.arg_max(%x) {axis = 1, selectLastIndex = true} : tensor<2x1xi64>
        %b = nn.arg_min(%x) {axis = 0, keepdims = false} : tensor<5xi64>
        %c = nn.cum_sum(%x) {axis = 1, exclusive = true, reverse = true} : tensor<2x5xi32>
        return %a, %b, %c : tensor<2x1xi64>, tensor<5xi64>, tensor<2x5xi32>
      }
      """
    );
    Tensor x = Tensor.ofLongs(TensorType.of(ElementType.I32, 2, 5), 4, 9, 9, 1, 9, 2, 2, 0, 1, 0);
    List<List<Tensor>> r = both(f, List.of(x));
    assertEquals(r.get(1), r.get(0));
    assertEquals(4L, r.get(0).get(0).getLong(0));
  }

  @Test
  void softmax_of_large_values_stays_finite() {
    Func f = parse(
      """
      func @f(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
        %s = nn.softmax(%x) {axis = 0} : tensor<2x3xf32>
        %l = nn.log_softmax(%x) : tensor<2x3xf32>
        return %s, %l : tensor<2x3xf32>, tensor<2x3xf32>
      }
      """
    );
    Tensor x = Tensor.ofDoubles(TensorType.of(ElementType.F32, 2, 3), 1000, 1001, -3, 1002, 1, -7);
    assertClose(f, List.of(x));
  }

  @Test
  void det_pivots_and_batches() {
    Func f = parse(
      """
      func @f(%x: tensor<2x3x3xf64>) -> (tensor<2xf64>) {
        %d = nn.det(%x) : tensor<2xf64>
        return %d : tensor<2xf64>
      }
      """
    );
    Tensor x = Tensor.ofDoubles(
      TensorType.of(ElementType.F64, 2, 3, 3),
      0,
      2,
      1,
      3,
      0,
      4,
      1,
      1,
      1,
      1,
      2,
      3,
      2,
      4,
      6,
      0,
      1,
      5
    );
    List<List<Tensor>> r = both(f, List.of(x));
    assertEquals(r.get(1), r.get(0));
    assertEquals(0.0, r.get(0).getFirst().getDouble(1));
  }

  @Test
  void reduction_loop_accumulates_in_f64() {
    Func f = parse(
      """
      func @f(%x: tensor<4x8xf32>) -> (tensor<4xf32>) {
        %y = nn.reduce_sum(%x) {axes = [1], keepdims = false} : tensor<4xf32>
        return %y : tensor<4xf32>
      }
      """
    );
    String text = LoopPrinter.print(Lowering.lower(f, "t", List.of(), List.of(), null));
    assertTrue(text.contains(": f64 = 0.0:f64"), text);
    assertTrue(text.contains(":= add(%acc"), text);
    assertTrue(text.contains("cast<f64>(%in0["), text);
    assertTrue(text.contains("= cast<f32>(%acc"), text);
  }
}
