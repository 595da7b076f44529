package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.LoopModule;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopInterpreter;
import dev.kiln.ir.loop.LoopParser;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The GPU scheduler on hand-written Loop IR: which loops become launches of how many threads, the
 * scheduled text, and that the {@link GpuInterpreter} gives the {@link LoopInterpreter}'s results
 * (and reports a race where threads share an element).
 */
class GpuScheduleTest {

  private static GpuSchedule.Scheduled schedule(String text) {
    return GpuSchedule.of(LoopModule.of(LoopParser.parse(text, "test.loop")));
  }

  private static List<Long> threads(GpuSchedule.Scheduled s) {
    return s.launches().stream().map(GpuSchedule.Launch::threads).toList();
  }

  /** Seeded f32 inputs for every input buffer. */
  private static List<Tensor> inputs(LoopFunc f) {
    Random r = new Random(7);
    List<Tensor> in = new ArrayList<>();
    for (Buffer b : f.inputs()) {
      ByteBuffer bytes = ByteBuffer.allocate((int) b.bytes()).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < b.length(); i++) {
        switch (b.elem()) {
          case F32 -> bytes.putFloat(r.nextFloat() * 4 - 2);
          case I64 -> bytes.putLong(r.nextInt((int) b.length()));
          default -> throw new IllegalArgumentException(b.elem().toString());
        }
      }
      in.add(
        Tensor.ofBytes(new TensorType(b.elem().elementType(), Shape.of(b.dims())), bytes.array())
      );
    }
    return in;
  }

  private static void matchesSerialRun(String text) {
    LoopFunc f = LoopParser.parse(text, "test.loop");
    GpuSchedule.Scheduled s = GpuSchedule.of(LoopModule.of(f));
    List<Tensor> in = inputs(f);
    assertEquals(LoopInterpreter.run(f, in), GpuInterpreter.run(s.func(), in));
  }

  static final String ELEMENTWISE = """
    loop.func @m workspace 0 {
      input %in0: buffer<4x8xf32> "x"
      output %out0: buffer<4x8xf32> "y"
      for %i = 0 to 4 {
        for %j = 0 to 8 {
          %out0[add(mul(%i, 8), %j)] = mul(%in0[add(mul(%i, 8), %j)], 2.0:f32)
        }
      }
    }
    """;

  @Test
  void elementwise_nest_collapses_into_one_launch() {
    GpuSchedule.Scheduled s = schedule(ELEMENTWISE);
    assertEquals(List.of(32L), threads(s));
    String text = s.func().toString();
    assertTrue(text.contains("for %gpu.t0 = 0 to 32 parallel {"), text);
    assertTrue(text.contains("let %i: i64 = add(0, div(%gpu.t0, 8))"), text);
    assertTrue(text.contains("let %j: i64 = add(0, rem(%gpu.t0, 8))"), text);
    matchesSerialRun(ELEMENTWISE);
  }

  static final String REDUCTION = """
    loop.func @m workspace 0 {
      input %in0: buffer<3x5xf32> "x"
      output %out0: buffer<3xf32> "y"
      for %o = 0 to 3 {
        let %acc: f32 = 0.0:f32
        for %k = 0 to 5 {
          %acc := add(%acc, %in0[add(mul(%o, 5), %k)])
        }
        %out0[%o] = %acc
      }
    }
    """;

  @Test
  void reduction_runs_a_thread_per_output_and_the_sum_in_it() {
    assertEquals(List.of(3L), threads(schedule(REDUCTION)));
    matchesSerialRun(REDUCTION);
  }

  static final String NEIGHBOURS = """
    loop.func @m workspace 0 {
      input %in0: buffer<8xf32> "x"
      output %out0: buffer<8xf32> "y"
      %out0[0] = %in0[0]
      for %i = 1 to 8 {
        %out0[%i] = add(%out0[sub(%i, 1)], %in0[%i])
      }
    }
    """;

  @Test
  void prefix_sum_reading_the_previous_element_stays_serial() {
    assertEquals(List.of(1L), threads(schedule(NEIGHBOURS)));
    matchesSerialRun(NEIGHBOURS);
  }

  static final String SCATTER = """
    loop.func @m workspace 0 {
      input %in0: buffer<6xf32> "x"
      input %in1: buffer<6xi64> "idx"
      output %out0: buffer<6xf32> "y"
      for %i = 0 to 6 {
        %out0[%i] = 0.0:f32
      }
      for %i2 = 0 to 6 {
        %out0[%in1[%i2]] = add(%out0[%in1[%i2]], %in0[%i2])
      }
    }
    """;

  @Test
  void scatter_at_data_indices_is_serial_after_a_parallel_fill() {
    assertEquals(List.of(6L, 1L), threads(schedule(SCATTER)));
    matchesSerialRun(SCATTER);
  }

  static final String SHARED_VARIABLE = """
    loop.func @m workspace 0 {
      input %in0: buffer<4xf32> "x"
      output %out0: buffer<4xf32> "y"
      let %s: f32 = 0.0:f32
      for %i = 0 to 4 {
        %s := add(%s, %in0[%i])
      }
      for %j = 0 to 4 {
        %out0[%j] = %s
      }
      for %k = 0 to 4 {
        %out0[%k] = mul(%out0[%k], 2.0:f32)
      }
    }
    """;

  @Test
  void top_level_variable_keeps_its_readers_in_one_serial_launch() {
    assertEquals(List.of(1L, 4L), threads(schedule(SHARED_VARIABLE)));
    matchesSerialRun(SHARED_VARIABLE);
  }

  static final String OVERLAPPING_WORKSPACE = """
    loop.func @m workspace 64 {
      input %in0: buffer<8xf32> "x"
      output %out0: buffer<8xf32> "y"
      workspace %t0: buffer<8xf32> at 0
      workspace %t1: buffer<8xf32> at 0
      for %i = 0 to 8 {
        %t0[%i] = %in0[%i]
      }
      for %j = 0 to 8 {
        %t1[%j] = add(%t0[%j], 1.0:f32)
      }
      for %k = 0 to 7 {
        %t1[%k] = %t0[add(%k, 1)]
      }
      for %l = 0 to 8 {
        %out0[%l] = %t1[%l]
      }
    }
    """;

  @Test
  void aliased_workspace_buffers_count_as_one_memory() {
    assertEquals(List.of(8L, 8L, 1L, 8L), threads(schedule(OVERLAPPING_WORKSPACE)));
    matchesSerialRun(OVERLAPPING_WORKSPACE);
  }

  @Test
  void threads_writing_one_element_are_a_race() {
    LoopFunc racy = LoopParser.parse(
      """
      loop.func @m workspace 0 {
        input %in0: buffer<4xf32> "x"
        output %out0: buffer<1xf32> "y"
        for %gpu.t0 = 0 to 4 parallel {
          %out0[0] = %in0[%gpu.t0]
        }
      }
      """,
      "racy.loop"
    );
    IllegalStateException e = assertThrows(IllegalStateException.class, () ->
      GpuInterpreter.run(racy, inputs(racy))
    );
    assertTrue(
      e.getMessage().startsWith("race in launch 0: thread 1 writes %out0[0]"),
      e.getMessage()
    );
  }
}
