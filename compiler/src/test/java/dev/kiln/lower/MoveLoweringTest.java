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
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopInterpreter;
import dev.kiln.ir.loop.LoopPrinter;
import dev.kiln.ir.text.ModuleParser;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The data-movement and indexing lowerings agree with the Graph IR interpreter. */
class MoveLoweringTest {

  private static Func parse(String text) {
    return ModuleParser.parse(text, "t.kir").funcs().getFirst();
  }

  private static LoopFunc lower(Func f) {
    return Lowering.lower(f, "t", List.of(), List.of(), null);
  }

  private static Tensor f32(long[] dims, double... v) {
    return Tensor.ofDoubles(TensorType.of(ElementType.F32, dims), v);
  }

  private static Tensor i64(long[] dims, long... v) {
    return Tensor.ofLongs(TensorType.of(ElementType.I64, dims), v);
  }

  private static void assertSame(Tensor want, Tensor got) {
    assertEquals(want.type(), got.type());
    for (long i = 0; i < want.size(); i++) {
      assertEquals(want.getDouble(i), got.getDouble(i), 1e-5, "element " + i);
    }
  }

  /** Runs {@code text} both ways on {@code inputs} and compares every result. */
  private static void agree(String text, Tensor... inputs) {
    Func f = parse(text);
    List<Tensor> want = Interpreter.run(f, List.of(inputs));
    List<Tensor> got = LoopInterpreter.run(lower(f), List.of(inputs));
    assertEquals(want.size(), got.size());
    for (int i = 0; i < want.size(); i++) {
      assertSame(want.get(i), got.get(i));
    }
  }

  static final String GATHER = """
    func @g(%x: tensor<3x2xf32>, %i: tensor<2x2xi64>) -> (tensor<2x2x2xf32>) {
      %y = nn.gather(%x, %i) {axis = 0} : tensor<2x2x2xf32>
      return %y : tensor<2x2x2xf32>
    }
    """;

  private static final Tensor GATHER_X = f32(new long[] { 3, 2 }, 1, 2, 3, 4, 5, 6);

  @Test
  void gather_resolves_negative_indices() {
    agree(GATHER, GATHER_X, i64(new long[] { 2, 2 }, -1, 0, 2, -3));
  }

  @Test
  void gather_clamps_out_of_range_indices_instead_of_reading_outside() {
    Tensor bad = i64(new long[] { 2, 2 }, 7, -9, Long.MAX_VALUE, Long.MIN_VALUE);
    assertThrows(DiagnosticException.class, () ->
      Interpreter.run(parse(GATHER), List.of(GATHER_X, bad))
    );
    Tensor y = LoopInterpreter.run(lower(parse(GATHER)), List.of(GATHER_X, bad)).getFirst();
    double[] want = { 5, 6, 1, 2, 5, 6, 1, 2 };
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], y.getDouble(i));
    }
  }

  @Test
  void gather_nd_with_batch_dims() {
    agree(
      """
      func @g(%x: tensor<2x3x2xf32>, %i: tensor<2x2x1xi64>) -> (tensor<2x2x2xf32>) {
        %y = nn.gather_nd(%x, %i) {batchDims = 1} : tensor<2x2x2xf32>
        return %y : tensor<2x2x2xf32>
      }
      """,
      f32(new long[] { 2, 3, 2 }, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
      i64(new long[] { 2, 2, 1 }, 2, -3, 1, 0)
    );
  }

  @Test
  void scatter_nd_adds_duplicate_updates() {
    agree(
      """
      func @s(%x: tensor<4x2xf32>, %i: tensor<3x1xi64>, %u: tensor<3x2xf32>) -> (tensor<4x2xf32>) {
        %y = nn.scatter_nd(%x, %i, %u) {reduction = add} : tensor<4x2xf32>
        return %y : tensor<4x2xf32>
      }
      """,
      f32(new long[] { 4, 2 }, 1, 1, 1, 1, 1, 1, 1, 1),
      i64(new long[] { 3, 1 }, 1, -3, 3),
      f32(new long[] { 3, 2 }, 10, 20, 30, 40, 50, 60)
    );
  }

  @Test
  void scatter_elements_takes_the_max() {
    agree(
      """
      func @s(%x: tensor<2x3xf32>, %i: tensor<2x2xi64>, %u: tensor<2x2xf32>) -> (tensor<2x3xf32>) {
        %y = nn.scatter_elements(%x, %i, %u) {axis = 1, reduction = max} : tensor<2x3xf32>
        return %y : tensor<2x3xf32>
      }
      """,
      f32(new long[] { 2, 3 }, 1, 2, 3, 4, 5, 6),
      i64(new long[] { 2, 2 }, 0, 0, -1, 1),
      f32(new long[] { 2, 2 }, 7, -7, 0, 9)
    );
  }

  @Test
  void pad_modes_match_the_interpreter() {
    Tensor x = f32(new long[] { 2, 3 }, 1, 2, 3, 4, 5, 6);
    for (String mode : List.of("constant", "reflect", "edge", "wrap")) {
      agree(
        """
        func @p(%x: tensor<2x3xf32>) -> (tensor<5x10xf32>) {
          %y = nn.pad(%x) {mode = MODE, pads = [1, 3, 2, 4], value = 1.5} : tensor<5x10xf32>
          return %y : tensor<5x10xf32>
        }
        """.replace("MODE", mode),
        x
      );
    }
  }

  @Test
  void reverse_sequence_clamps_lengths() {
    agree(
      """
      func @r(%x: tensor<4x2xf32>, %l: tensor<2xi64>) -> (tensor<4x2xf32>) {
        %y = nn.reverse_sequence(%x, %l) {batchAxis = 1, timeAxis = 0} : tensor<4x2xf32>
        return %y : tensor<4x2xf32>
      }
      """,
      f32(new long[] { 4, 2 }, 1, 2, 3, 4, 5, 6, 7, 8),
      i64(new long[] { 2 }, 4, 2)
    );
  }

  @Test
  void bit_cast_between_floats_and_integers_keeps_the_bits() {
    agree(
      """
      func @b(%x: tensor<5xf32>) -> (tensor<5xi32>) {
        %y = nn.bit_cast(%x) {to = i32} : tensor<5xi32>
        return %y : tensor<5xi32>
      }
      """,
      f32(new long[] { 5 }, 1.5, -0.0, Double.NEGATIVE_INFINITY, 1e-40, -3.25e38)
    );
    agree(
      """
      func @b(%x: tensor<4xi64>) -> (tensor<4xf64>) {
        %y = nn.bit_cast(%x) {to = f64} : tensor<4xf64>
        return %y : tensor<4xf64>
      }
      """,
      Tensor.ofLongs(
        TensorType.of(ElementType.I64, 4),
        0x3ff8000000000000L,
        Long.MIN_VALUE,
        1,
        0x7ff0000000000000L
      )
    );
  }

  @Test
  void transpose_loop_ir_reads_permuted_indices() {
    String ir = LoopPrinter.print(
      lower(
        parse(
          """
          func @t(%x: tensor<2x3x4xf32>) -> (tensor<4x2x3xf32>) {
            %y = nn.transpose(%x) {perm = [2, 0, 1]} : tensor<4x2x3xf32>
            return %y : tensor<4x2x3xf32>
          }
          """
        )
      )
    );
    assertTrue(ir.contains("for %i0 = 0 to 4 {"), ir);
    assertTrue(ir.contains("for %i2 = 0 to 3 {"), ir);
    assertTrue(
      ir.contains(
        "%out0[add(add(%i2, mul(%i1, 3)), mul(%i0, 6))] = " +
        "%in0[add(add(%i0, mul(%i2, 4)), mul(%i1, 12))]"
      ),
      ir
    );
  }
}
