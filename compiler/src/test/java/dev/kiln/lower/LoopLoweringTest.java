package dev.kiln.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.LoopInterpreter;
import dev.kiln.ir.text.ModuleParser;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code nn.scan} and {@code nn.loop} lowered to Loop IR loops agree with the Graph IR interpreter:
 * reversed scan axes, swapped states, data-dependent exits, run-time trip counts (zero included) and
 * loops nested in loops.
 */
class LoopLoweringTest {

  private static Func parse(String text) {
    return ModuleParser.parse(text, "t.kir").funcs().getFirst();
  }

  private static Tensor f32(long[] dims, double... v) {
    return Tensor.ofDoubles(TensorType.of(ElementType.F32, dims), v);
  }

  private static Tensor i64(long v) {
    return Tensor.ofLongs(TensorType.of(ElementType.I64), v);
  }

  private static void agree(String text, Tensor... inputs) {
    Func f = parse(text);
    List<Tensor> want = Interpreter.run(f, List.of(inputs));
    List<Tensor> got = LoopInterpreter.run(
      Lowering.lower(f, "t", List.of(), List.of(), null),
      List.of(inputs)
    );
    assertEquals(want.size(), got.size());
    for (int i = 0; i < want.size(); i++) {
      assertEquals(want.get(i).type(), got.get(i).type());
      for (long k = 0; k < want.get(i).size(); k++) {
        assertEquals(
          want.get(i).getDouble(k),
          got.get(i).getDouble(k),
          1e-6,
          "result " + i + " element " + k
        );
      }
    }
  }

  static final String SWAP_SCAN = """
    func @s(%a: tensor<2xf32>, %b: tensor<2xf32>, %xs: tensor<2x3xf32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2x3xf32>) {
      %ra, %rb, %ys = nn.scan(%a, %b, %xs) {numScanInputs = 1, scanInputAxes = [1], scanInputDirections = [1], scanOutputAxes = [-1], scanOutputDirections = [1]} : tensor<2xf32>, tensor<2xf32>, tensor<2x3xf32> ({
      ^bb0(%p: tensor<2xf32>, %q: tensor<2xf32>, %x: tensor<2xf32>):
        %s = nn.add(%p, %x) : tensor<2xf32>
        %y = nn.mul(%s, %q) : tensor<2xf32>
        return %q, %s, %y : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
      })
      return %ra, %rb, %ys : tensor<2xf32>, tensor<2xf32>, tensor<2x3xf32>
    }
    """;

  @Test
  void scan_reverses_axes_and_swaps_states() {
    agree(
      SWAP_SCAN,
      f32(new long[] { 2 }, 1, 2),
      f32(new long[] { 2 }, -1, 0.5),
      f32(new long[] { 2, 3 }, 1, 2, 3, 4, 5, 6)
    );
  }

  static final String HALVE = """
    func @h(%trip: tensor<i64>, %x: tensor<2xf32>, %limit: tensor<f32>) -> (tensor<2xf32>, tensor<f32>) {
      %go = nn.constant {value = dense<true> : tensor<bool>} : tensor<bool>
      %zero = nn.constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
      %y, %n = nn.loop(%trip, %go, %x, %zero) : tensor<2xf32>, tensor<f32> ({
      ^bb0(%i: tensor<i64>, %c: tensor<bool>, %v: tensor<2xf32>, %k: tensor<f32>):
        %h = nn.constant {value = dense<0.5> : tensor<f32>} : tensor<f32>
        %one = nn.constant {value = dense<1.0> : tensor<f32>} : tensor<f32>
        %next = nn.mul(%v, %h) : tensor<2xf32>
        %k1 = nn.add(%k, %one) : tensor<f32>
        %m = nn.reduce_max(%next) {keepdims = false} : tensor<f32>
        %more = nn.greater(%m, %limit) : tensor<bool>
        return %more, %next, %k1 : tensor<bool>, tensor<2xf32>, tensor<f32>
      })
      return %y, %n : tensor<2xf32>, tensor<f32>
    }
    """;

  @Test
  void loop_stops_on_its_condition() {
    agree(HALVE, i64(100), f32(new long[] { 2 }, 40, -3), f32(new long[] {}, 1));
  }

  @Test
  void loop_stops_at_its_run_time_trip_count() {
    agree(HALVE, i64(3), f32(new long[] { 2 }, 40, -3), f32(new long[] {}, 1));
  }

  @Test
  void loop_with_zero_trips_returns_its_initial_values() {
    agree(HALVE, i64(0), f32(new long[] { 2 }, 40, -3), f32(new long[] {}, 1));
  }

  static final String COUNTED = """
    func @c(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<i64>) {
      %trip = nn.constant {value = dense<4> : tensor<i64>} : tensor<i64>
      %go = nn.constant {value = dense<true> : tensor<bool>} : tensor<bool>
      %zero = nn.constant {value = dense<0> : tensor<i64>} : tensor<i64>
      %y, %s = nn.loop(%trip, %go, %x, %zero) : tensor<3xf32>, tensor<i64> ({
      ^bb0(%i: tensor<i64>, %c: tensor<bool>, %v: tensor<3xf32>, %acc: tensor<i64>):
        %f = nn.cast(%i) {to = f32} : tensor<f32>
        %next = nn.add(%v, %f) : tensor<3xf32>
        %acc1 = nn.add(%acc, %i) : tensor<i64>
        return %c, %next, %acc1 : tensor<bool>, tensor<3xf32>, tensor<i64>
      })
      return %y, %s : tensor<3xf32>, tensor<i64>
    }
    """;

  @Test
  void loop_with_a_constant_trip_count_and_condition_is_a_counted_for() {
    agree(COUNTED, f32(new long[] { 3 }, 1, -2, 0.5));
    String ir = dev.kiln.ir.loop.LoopPrinter.print(
      Lowering.lower(parse(COUNTED), "t", List.of(), List.of(), null)
    );
    assertTrue(ir.contains("for %iter") && !ir.contains("while"), ir);
    String open = dev.kiln.ir.loop.LoopPrinter.print(
      Lowering.lower(parse(HALVE), "t", List.of(), List.of(), null)
    );
    assertTrue(open.contains("while %go"), open);
  }

  @Test
  void scan_nested_in_a_loop_in_a_scan() {
    agree(
      """
      func @n(%x: tensor<3x2xf32>) -> (tensor<2xf32>, tensor<3x2xf32>) {
        %zero = nn.constant {value = dense<0.0> : tensor<2xf32>} : tensor<2xf32>
        %s, %ys = nn.scan(%zero, %x) {numScanInputs = 1} : tensor<2xf32>, tensor<3x2xf32> ({
        ^bb0(%acc: tensor<2xf32>, %row: tensor<2xf32>):
          %trip = nn.constant {value = dense<2> : tensor<i64>} : tensor<i64>
          %go = nn.constant {value = dense<true> : tensor<bool>} : tensor<bool>
          %r = nn.loop(%trip, %go, %acc) : tensor<2xf32> ({
          ^bb0(%i: tensor<i64>, %c: tensor<bool>, %v: tensor<2xf32>):
            %t, %unused = nn.scan(%v, %row) {numScanInputs = 1} : tensor<2xf32>, tensor<2x2xf32> ({
            ^bb0(%w: tensor<2xf32>, %e: tensor<f32>):
              %w1 = nn.add(%w, %e) : tensor<2xf32>
              return %w1, %w : tensor<2xf32>, tensor<2xf32>
            })
            %f = nn.cast(%i) {to = f32} : tensor<f32>
            %t1 = nn.mul(%t, %f) : tensor<2xf32>
            return %c, %t1 : tensor<bool>, tensor<2xf32>
          })
          return %r, %r : tensor<2xf32>, tensor<2xf32>
        })
        return %s, %ys : tensor<2xf32>, tensor<3x2xf32>
      }
      """,
      f32(new long[] { 3, 2 }, 1, 2, 3, 4, 5, 6)
    );
  }

  @Test
  void loop_scan_outputs_with_a_run_time_count_are_refused_naming_the_loop() {
    Func f = parse(
      """
      func @r(%trip: tensor<i64>) -> (tensor<?xi64>) {
        %go = nn.constant {value = dense<true> : tensor<bool>} : tensor<bool>
        %ys = nn.loop(%trip, %go) : tensor<?xi64> ({
        ^bb0(%i: tensor<i64>, %c: tensor<bool>):
          return %c, %i : tensor<bool>, tensor<i64>
        })
        return %ys : tensor<?xi64>
      }
      """
    );
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      Lowering.lower(f, "t", List.of(), List.of(), null)
    );
    String m = e.getMessage();
    assertTrue(m.contains("nn.loop") && m.contains("scan output ys") && m.contains("?"), m);
    assertEquals(1, m.lines().count(), m);
  }
}
