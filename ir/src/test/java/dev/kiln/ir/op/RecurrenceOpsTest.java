package dev.kiln.ir.op;

import static dev.kiln.ir.op.TypeInferenceTest.returning;
import static dev.kiln.ir.op.TypeInferenceTest.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Region;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Type inference and reference semantics of nn.loop, nn.scan, nn.bit_cast and nn.det. */
class RecurrenceOpsTest {

  /** An evaluation context whose one region is {@code body} and declares {@code resultTypes}. */
  static Op.EvalContext region(
    Function<List<Tensor>, List<Tensor>> body,
    List<TensorType> resultTypes
  ) {
    return new Op.EvalContext() {
      @Override
      public int numRegions() {
        return 1;
      }

      @Override
      public List<Tensor> runRegion(int index, List<Tensor> arguments) {
        return body.apply(arguments);
      }

      @Override
      public List<TensorType> regionResultTypes(int index) {
        return resultTypes;
      }
    };
  }

  static Tensor f32(long[] shape, double... v) {
    return Tensor.ofDoubles(new TensorType(ElementType.F32, Shape.of(shape)), v);
  }

  static Tensor i64(long v) {
    return Tensor.ofLongs(TensorType.of(ElementType.I64), v);
  }

  static Tensor bool(boolean v) {
    return Tensor.ofLongs(TensorType.of(ElementType.BOOL), v ? 1 : 0);
  }

  static Tensor add(Tensor a, Tensor b) {
    return new Add().evaluate(null, List.of(a, b)).getFirst();
  }

  static List<TensorType> types(String... texts) {
    return Stream.of(texts).map(TypeInferenceTest::t).toList();
  }

  // ---------------------------------------------------------------------------------------------
  // nn.loop

  static Stream<Arguments> loopTypes() {
    return Stream.of(
      arguments(
        types("i64", "bool", "2xf32"),
        List.of("bool", "2xf32", "3xi64"),
        types("2xf32", "?x3xi64")
      ),
      arguments(types("i64", "bool", "2xf32"), List.of("bool", "?xf32"), types("?xf32")),
      arguments(types("1xi64", "1xbool"), List.of("bool", "f32"), types("?xf32")),
      arguments(
        types("i64", "bool", "Nxf32", "i64"),
        List.of("bool", "Nxf32", "i64"),
        types("Nxf32", "i64")
      )
    );
  }

  @ParameterizedTest(name = "{index}: loop{0} body -> {1} = {2}")
  @MethodSource("loopTypes")
  void loop_infers_carried_and_stacked_types(
    List<TensorType> operands,
    List<String> body,
    List<TensorType> out
  ) {
    Region r = returning(body.toArray(String[]::new));
    assertEquals(out, new Loop().inferTypes(new Op.InferContext(operands, List.of(r))));
  }

  static Stream<Arguments> loopErrors() {
    return Stream.of(
      arguments(
        types("i32", "bool"),
        List.of("bool"),
        "trip count must be a single i64, got tensor<i32>"
      ),
      arguments(
        types("i64", "2xbool"),
        List.of("bool"),
        "condition must be a single bool, got tensor<2xbool>"
      ),
      arguments(
        types("i64", "bool", "f32"),
        List.of("bool"),
        "the body returns 1 values, needs at least 2 (condition and 1 carried)"
      ),
      arguments(
        types("i64", "bool"),
        List.of("f32"),
        "the body's condition must be a single bool, got tensor<f32>"
      ),
      arguments(
        types("i64", "bool", "2xf32"),
        List.of("bool", "2xf64"),
        "result 0 has element type f32 on one path and f64 on the other"
      )
    );
  }

  @ParameterizedTest(name = "{index}: {2}")
  @MethodSource("loopErrors")
  void loop_rejects(List<TensorType> operands, List<String> body, String message) {
    Region r = returning(body.toArray(String[]::new));
    OpError e = assertThrows(OpError.class, () ->
      new Loop().inferTypes(new Op.InferContext(operands, List.of(r)))
    );
    assertEquals(message, e.getMessage());
  }

  @Test
  void loop_runs_until_the_trip_count_and_stacks_slices() {
    List<Integer> seen = new ArrayList<>();
    Op.EvalContext ctx = region(
      args -> {
        seen.add((int) args.get(0).getLong(0));
        Tensor next = add(args.get(2), f32(new long[] { 2 }, 1, 10));
        return List.of(bool(true), next, next);
      },
      types("bool", "2xf32", "2xf32")
    );
    List<Tensor> out = new Loop().evaluate(
      ctx,
      List.of(i64(3), bool(true), f32(new long[] { 2 }, 0, 0))
    );
    assertEquals(List.of(0, 1, 2), seen);
    assertArrayEquals(new double[] { 3, 30 }, out.get(0).toDoubles());
    assertEquals(Shape.of(3, 2), out.get(1).shape());
    assertArrayEquals(new double[] { 1, 10, 2, 20, 3, 30 }, out.get(1).toDoubles());
  }

  @Test
  void loop_stops_when_the_body_condition_turns_false() {
    Op.EvalContext ctx = region(
      args -> {
        long i = args.get(0).getLong(0);
        return List.of(bool(i < 1), add(args.get(2), f32(new long[] {}, 1)));
      },
      types("bool", "f32")
    );
    List<Tensor> out = new Loop().evaluate(
      ctx,
      List.of(i64(Long.MAX_VALUE), bool(true), f32(new long[] {}, 5))
    );
    assertArrayEquals(new double[] { 7 }, out.getFirst().toDoubles());
  }

  @Test
  void loop_with_a_false_condition_runs_nothing_and_stacks_empty() {
    Op.EvalContext ctx = region(
      args -> {
        throw new AssertionError("the body must not run");
      },
      types("bool", "f32", "3xf32")
    );
    List<Tensor> out = new Loop().evaluate(
      ctx,
      List.of(i64(4), bool(false), f32(new long[] {}, 5))
    );
    assertArrayEquals(new double[] { 5 }, out.get(0).toDoubles());
    assertEquals(Shape.of(0, 3), out.get(1).shape());
  }

  // ---------------------------------------------------------------------------------------------
  // nn.scan

  static Stream<Arguments> scanTypes() {
    return Stream.of(
      arguments(
        new Scan(1, List.of(), List.of(), List.of(), List.of()),
        types("2xf32", "3x2xf32"),
        List.of("2xf32", "2xf32"),
        types("2xf32", "3x2xf32")
      ),
      arguments(
        new Scan(1, List.of(1L), List.of(), List.of(-1L), List.of()),
        types("4x5xf32"),
        List.of("4xf32"),
        types("4x5xf32")
      ),
      arguments(
        new Scan(2, List.of(0L, -1L), List.of(1L, 0L), List.of(), List.of()),
        types("Nx2xf32", "2xNxf32"),
        List.of("f32"),
        types("Nxf32")
      ),
      arguments(
        new Scan(1, List.of(), List.of(), List.of(), List.of()),
        types("2xf32", "3x2xf32"),
        List.of("?xf32"),
        types("?xf32")
      )
    );
  }

  @ParameterizedTest(name = "{index}: {0} on {1}")
  @MethodSource("scanTypes")
  void scan_infers_state_and_output_types(
    Scan op,
    List<TensorType> operands,
    List<String> body,
    List<TensorType> out
  ) {
    Region r = returning(body.toArray(String[]::new));
    assertEquals(out, op.inferTypes(new Op.InferContext(operands, List.of(r))));
  }

  static Stream<Arguments> scanErrors() {
    return Stream.of(
      arguments(
        new Scan(2, List.of(), List.of(), List.of(), List.of()),
        types("3xf32"),
        List.of("f32"),
        "num_scan_inputs must be in [1, 1], got 2"
      ),
      arguments(
        new Scan(2, List.of(), List.of(), List.of(), List.of()),
        types("3xf32", "4xf32"),
        List.of("f32"),
        "scan input 1 has 4 steps, scan input 0 has 3"
      ),
      arguments(
        new Scan(1, List.of(0L, 1L), List.of(), List.of(), List.of()),
        types("3xf32"),
        List.of("f32"),
        "scan_input_axes has 2 entries, expected 1"
      ),
      arguments(
        new Scan(1, List.of(), List.of(), List.of(), List.of()),
        types("f32", "3xf32"),
        List.of(),
        "the body returns 0 values, needs at least 1 states"
      )
    );
  }

  @ParameterizedTest(name = "{index}: {3}")
  @MethodSource("scanErrors")
  void scan_rejects(Scan op, List<TensorType> operands, List<String> body, String message) {
    Region r = returning(body.toArray(String[]::new));
    OpError e = assertThrows(OpError.class, () ->
      op.inferTypes(new Op.InferContext(operands, List.of(r)))
    );
    assertEquals(message, e.getMessage());
  }

  @Test
  void scan_sums_running_totals() {
    Op.EvalContext ctx = region(
      args -> {
        Tensor sum = add(args.get(0), args.get(1));
        return List.of(sum, sum);
      },
      types("2xf32", "2xf32")
    );
    List<Tensor> out = new Scan(1, List.of(), List.of(), List.of(), List.of()).evaluate(
      ctx,
      List.of(f32(new long[] { 2 }, 0, 0), f32(new long[] { 3, 2 }, 1, 2, 3, 4, 5, 6))
    );
    assertArrayEquals(new double[] { 9, 12 }, out.get(0).toDoubles());
    assertArrayEquals(new double[] { 1, 2, 4, 6, 9, 12 }, out.get(1).toDoubles());
  }

  @Test
  void scan_reverses_inputs_and_outputs_and_places_the_output_axis() {
    Op.EvalContext ctx = region(
      args -> {
        Tensor sum = add(args.get(0), args.get(1));
        return List.of(sum, sum);
      },
      types("2xf32", "2xf32")
    );
    Scan op = new Scan(1, List.of(1L), List.of(1L), List.of(1L), List.of(1L));
    List<Tensor> out = op.evaluate(
      ctx,
      List.of(f32(new long[] { 2 }, 0, 0), f32(new long[] { 2, 3 }, 1, 2, 3, 4, 5, 6))
    );
    assertArrayEquals(new double[] { 6, 15 }, out.get(0).toDoubles());
    assertEquals(Shape.of(2, 3), out.get(1).shape());
    assertArrayEquals(new double[] { 6, 5, 3, 15, 11, 6 }, out.get(1).toDoubles());
  }

  @Test
  void scan_canonicalizes_zero_attributes() {
    assertEquals(
      new Scan(1, List.of(), List.of(), List.of(), List.of()),
      new Scan(1, List.of(0L), List.of(0L), List.of(0L), List.of(0L))
    );
  }

  // ---------------------------------------------------------------------------------------------
  // nn.bit_cast, nn.det

  @Test
  void bit_cast_reinterprets_bits() {
    Tensor x = f32(new long[] { 2 }, 1.0, -2.0);
    Tensor y = new BitCast(ElementType.I32).evaluate(null, List.of(x)).getFirst();
    assertEquals(t("2xi32"), y.type());
    assertArrayEquals(
      new long[] { Float.floatToRawIntBits(1.0f), Float.floatToRawIntBits(-2.0f) },
      y.toLongs()
    );
  }

  @Test
  void bit_cast_rejects_width_changes_and_bad_bools() {
    OpError e = assertThrows(OpError.class, () ->
      new BitCast(ElementType.I64).inferTypes(new Op.InferContext(types("2xf32"), List.of()))
    );
    assertEquals("bit_cast needs equal widths, f32 has 32 bits and i64 has 64", e.getMessage());
    Tensor u8 = Tensor.ofLongs(TensorType.of(ElementType.U8, 2), 1, 7);
    OpError b = assertThrows(OpError.class, () ->
      new BitCast(ElementType.BOOL).evaluate(null, List.of(u8))
    );
    assertEquals("element 1 is 7, not a bool (0 or 1)", b.getMessage());
  }

  static Stream<Arguments> determinants() {
    return Stream.of(
      arguments(new long[] { 2, 2 }, new double[] { 1, 2, 3, 4 }, new double[] { -2 }),
      arguments(
        new long[] { 3, 3 },
        new double[] { 0, 1, 0, 1, 0, 0, 0, 0, 1 },
        new double[] { -1 }
      ),
      arguments(
        new long[] { 3, 3 },
        new double[] { 1, 2, 3, 2, 4, 6, 0, 1, 1 },
        new double[] { 0 }
      ),
      arguments(new long[] { 2, 1, 1 }, new double[] { 3, -4 }, new double[] { 3, -4 })
    );
  }

  @ParameterizedTest(name = "{index}: det {1}")
  @MethodSource("determinants")
  void det_of_each_matrix(long[] shape, double[] values, double[] want) {
    Tensor y = new Det().evaluate(null, List.of(f32(shape, values))).getFirst();
    assertArrayEquals(want, y.toDoubles(), 1e-6);
  }

  @Test
  void det_infers_batch_shape_and_rejects_non_square() {
    assertEquals(
      List.of(t("Nxf32")),
      new Det().inferTypes(new Op.InferContext(types("Nx3x3xf32"), List.of()))
    );
    OpError e = assertThrows(OpError.class, () ->
      new Det().inferTypes(new Op.InferContext(types("2x3xf32"), List.of()))
    );
    assertEquals("det needs square matrices, got 2 x 3", e.getMessage());
  }
}
