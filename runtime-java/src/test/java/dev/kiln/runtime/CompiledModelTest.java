package dev.kiln.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CompiledModel} on {@code toy.c}, a hand-written library keeping the generated-model
 * contract, built with the system {@code cc} with and without {@code toy_run_parallel} (skipped
 * without a C compiler).
 */
class CompiledModelTest {

  private static final int ROWS = 4;
  private static final int COLS = 8;
  private static final long PER_THREAD = 256;

  @TempDir
  static Path dir;

  static Path parallel;
  static Path serial;

  @BeforeAll
  static void build() throws IOException, InterruptedException {
    assumeTrue(onPath("cc"), "skipped: no C compiler (cc)");
    Path source = dir.resolve("toy.c");
    try (InputStream in = CompiledModelTest.class.getResourceAsStream("toy.c")) {
      Files.copy(in, source);
    }
    parallel = dir.resolve("toy.so");
    serial = dir.resolve("serial.so");
    cc(source, parallel, "-DTOY_PARALLEL=" + PER_THREAD);
    cc(source, serial, "-DTOY_PARALLEL=0");
  }

  private static void cc(Path source, Path out, String define)
    throws IOException, InterruptedException {
    Path include = Path.of("../runtime-c/include").toAbsolutePath();
    List<String> cmd = List.of(
      "cc",
      "-std=c11",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-O1",
      "-shared",
      "-fPIC",
      define,
      "-I" + include,
      source.toString(),
      "-o",
      out.toString()
    );
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "cc timed out");
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + log);
  }

  private static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }

  private static float[][] randomInputs(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] a = new float[ROWS * COLS];
    float[] b = new float[COLS];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) r.nextDouble(-1, 1);
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) r.nextDouble(-1, 1);
    }
    return new float[][] { a, b };
  }

  private static float[] sum(float[][] in) {
    float[] s = new float[ROWS * COLS];
    for (int i = 0; i < s.length; i++) {
      s[i] = in[0][i] + in[1][i % COLS];
    }
    return s;
  }

  @Test
  void info_table_gives_inputs_outputs_and_workspace() {
    try (CompiledModel m = CompiledModel.load(parallel)) {
      assertEquals("toy", m.name());
      assertEquals(
        List.of(
          new TensorInfo("a", ElementType.F32, List.of(4L, 8L)),
          new TensorInfo("b", ElementType.F32, List.of(8L))
        ),
        m.inputs()
      );
      assertEquals(
        List.of(
          new TensorInfo("sum", ElementType.F32, List.of(4L, 8L)),
          new TensorInfo("chunks", ElementType.F32, List.of(1L))
        ),
        m.outputs()
      );
      assertEquals(64, m.workspaceSize());
      assertEquals(PER_THREAD, m.workspacePerThread());
      assertTrue(m.parallel());
    }
  }

  @Test
  void run_floats_on_one_thread() {
    try (CompiledModel m = CompiledModel.load(parallel)) {
      float[][] in = randomInputs(1);
      float[][] out = m.run(in);
      assertArrayEquals(sum(in), out[0]);
      assertArrayEquals(new float[] { 1 }, out[1]);
    }
  }

  @Test
  void run_parallel_splits_into_the_thread_count() {
    try (CompiledModel m = CompiledModel.load(parallel)) {
      for (int threads = 1; threads <= 5; threads++) {
        float[][] in = randomInputs(threads);
        float[][] out = m.run(threads, in);
        assertArrayEquals(sum(in), out[0], "threads " + threads);
        assertArrayEquals(new float[] { threads }, out[1], "threads " + threads);
      }
    }
  }

  @Test
  void without_run_parallel_threads_run_serially() {
    try (CompiledModel m = CompiledModel.load(serial, "toy")) {
      assertFalse(m.parallel());
      assertEquals(0, m.workspacePerThread());
      float[][] in = randomInputs(7);
      float[][] out = m.run(4, in);
      assertArrayEquals(sum(in), out[0]);
      assertArrayEquals(new float[] { 1 }, out[1]);
    }
  }

  @Test
  void concurrent_callers_get_their_own_workspaces() throws Exception {
    ExecutorService callers = Executors.newFixedThreadPool(6);
    try (CompiledModel m = CompiledModel.load(parallel)) {
      List<Future<?>> runs = new ArrayList<>();
      for (int t = 0; t < 6; t++) {
        int threads = 1 + (t % 3);
        long seed = 100 + t;
        runs.add(
          callers.submit(() -> {
            for (int k = 0; k < 200; k++) {
              float[][] in = randomInputs(seed * 1000 + k);
              float[][] out = m.run(threads, in);
              assertArrayEquals(sum(in), out[0]);
              assertArrayEquals(new float[] { threads }, out[1]);
            }
            return null;
          })
        );
      }
      for (Future<?> f : runs) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void run_segments_writes_native_outputs() {
    try (CompiledModel m = CompiledModel.load(parallel); Arena arena = Arena.ofConfined()) {
      float[][] in = randomInputs(3);
      MemorySegment a = arena.allocateFrom(ValueLayout.JAVA_FLOAT, in[0]);
      MemorySegment b = arena.allocateFrom(ValueLayout.JAVA_FLOAT, in[1]);
      MemorySegment s = arena.allocate(ValueLayout.JAVA_FLOAT, ROWS * COLS);
      MemorySegment c = arena.allocate(ValueLayout.JAVA_FLOAT, 1);
      m.run(2, new MemorySegment[] { a, b }, new MemorySegment[] { s, c });
      assertArrayEquals(sum(in), s.toArray(ValueLayout.JAVA_FLOAT));
      assertEquals(2f, c.get(ValueLayout.JAVA_FLOAT, 0));
    }
  }

  @Test
  void wrong_inputs_are_refused_with_the_expected_shapes() {
    try (CompiledModel m = CompiledModel.load(parallel); Arena arena = Arena.ofConfined()) {
      float[][] in = randomInputs(5);
      var count = assertThrows(IllegalArgumentException.class, () -> m.run(in[0]));
      assertEquals("toy takes 2 inputs, got 1", count.getMessage());
      var size = assertThrows(IllegalArgumentException.class, () -> m.run(in[0], new float[3]));
      assertEquals("input 1 'b' [8] needs 8 floats, got 3", size.getMessage());
      var threads = assertThrows(IllegalArgumentException.class, () -> m.run(0, in));
      assertEquals("threads must be at least 1, got 0", threads.getMessage());
      MemorySegment a = arena.allocate(ValueLayout.JAVA_FLOAT, ROWS * COLS);
      MemorySegment shortB = arena.allocate(ValueLayout.JAVA_FLOAT, COLS - 1);
      MemorySegment s = arena.allocate(ValueLayout.JAVA_FLOAT, ROWS * COLS);
      MemorySegment c = arena.allocate(ValueLayout.JAVA_FLOAT, 1);
      var segment = assertThrows(IllegalArgumentException.class, () ->
        m.run(new MemorySegment[] { a, shortB }, new MemorySegment[] { s, c })
      );
      assertEquals("input 1 'b' F32[8] needs 32 bytes, the segment has 28", segment.getMessage());
      MemorySegment heap = MemorySegment.ofArray(new float[ROWS * COLS]);
      var onHeap = assertThrows(IllegalArgumentException.class, () ->
        m.run(new MemorySegment[] { a, a }, new MemorySegment[] { heap, c })
      );
      assertTrue(onHeap.getMessage().startsWith("output 0 'sum' F32[4, 8]: needs a native"));
    }
  }

  @Test
  void library_without_the_info_symbol_is_refused() {
    var e = assertThrows(IllegalArgumentException.class, () -> CompiledModel.load(serial));
    assertEquals(
      serial +
      " does not export serial_info: not a Kiln model compiled under that name" +
      " (CompiledModel.load(path, name) names it)",
      e.getMessage()
    );
    var missing = assertThrows(IllegalArgumentException.class, () ->
      CompiledModel.load(dir.resolve("absent.so"))
    );
    assertTrue(missing.getMessage().startsWith("cannot load "), missing.getMessage());
  }

  @Test
  void closed_model_refuses_to_run() {
    CompiledModel m = CompiledModel.load(parallel);
    m.close();
    m.close();
    var e = assertThrows(IllegalStateException.class, () -> m.run(randomInputs(9)));
    assertEquals("model toy is closed", e.getMessage());
  }
}
