package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.backend.LoopModule;
import dev.kiln.backend.cuda.GpuSchedule;
import dev.kiln.backend.llvm.PtxCodegen;
import dev.kiln.backend.llvm.Targets;
import dev.kiln.emit.CudaDriver;
import dev.kiln.emit.Toolchain;
import dev.kiln.io.Npy;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.LoopParser;
import dev.kiln.testing.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln run --backend cuda} end to end without a GPU: the CLI runs in a child JVM whose
 * {@code libcuda.so.1} is the fake driver of the CUDA backend's tests, running the CPU twins of the
 * model's kernels ({@link PtxCodegen#twins}), so the PTX, host plan and harness path is exercised
 * and its outputs compared with the interpreter's. On this JVM (no driver) the command stops with
 * one line, exit 2.
 */
class CudaRunTest {

  private static final Path MODEL = Path.of("../examples/digits.onnx");
  private static final Path FAKE = Path.of(
    "../backends/cuda/src/test/resources/dev/kiln/backend/cuda/fake_libcuda.c"
  );

  @Test
  void run_backend_cuda_without_a_driver_is_one_line_exit_2(@TempDir Path dir) {
    assumeTrue(!CudaDriver.present(), "skipped: this machine has a CUDA driver");
    Cli.Result r = Cli.run(
      "run",
      MODEL.toString(),
      "--backend",
      "cuda",
      "--input",
      "image=" + dir.resolve("missing.npy"),
      "--output-dir",
      dir.resolve("out").toString()
    );
    assertEquals(2, r.status(), r.err());
    assertTrue(
      r.err().endsWith(": --backend cuda: no CUDA driver found (libcuda.so.1 does not load)\n"),
      r.err()
    );
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(Files.notExists(dir.resolve("out")));
  }

  @Test
  void run_backend_cuda_on_the_fake_driver_matches_the_interpreter(@TempDir Path dir)
    throws IOException, InterruptedException {
    assumeTrue(Toolchain.find("cc").isPresent(), "skipped: no C compiler (cc)");
    Path fake = dir.resolve("fake");
    Files.createDirectories(fake);
    exec(
      dir,
      List.of(),
      "cc",
      "-std=c11",
      "-shared",
      "-fPIC",
      FAKE.toAbsolutePath().toString(),
      "-ldl",
      "-o",
      fake.resolve("libcuda.so.1").toString()
    );
    Cli.Result c = Cli.run(
      "compile",
      MODEL.toString(),
      "--target",
      "cuda",
      "--name",
      "model",
      "--emit",
      "loop",
      "-o",
      dir.toString()
    );
    assertEquals(0, c.status(), c.err());
    LoopModule lowered = LoopModule.of(
      LoopParser.parse(Files.readString(dir.resolve("model.loop")), "model.loop")
    );
    Path twins = dir.resolve("twins.so");
    Files.write(
      twins,
      PtxCodegen.twins(GpuSchedule.of(lowered).func(), Targets.resolve(Targets.host().name(), null))
    );
    float[] x = new float[64];
    Random random = new Random(3);
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextFloat() * 16;
    }
    Path input = dir.resolve("image.npy");
    Files.write(
      input,
      Npy.encode(Tensor.ofDoubles(new TensorType(ElementType.F32, Shape.of(1, 64)), toDoubles(x)))
    );
    Cli.Result interp = Cli.run(
      "run",
      MODEL.toString(),
      "--input",
      "image=" + input,
      "--output-dir",
      dir.resolve("interp").toString()
    );
    assertEquals(0, interp.status(), interp.err());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    exec(
      dir,
      List.of(
        "LD_LIBRARY_PATH=" + fake,
        "KILN_FAKE_CUDA_TWINS=" + twins,
        "KILN_FAKE_CUDA_LOG=" + dir.resolve("driver.log")
      ),
      java,
      "--enable-native-access=ALL-UNNAMED",
      "--sun-misc-unsafe-memory-access=allow",
      "-cp",
      System.getProperty("java.class.path"),
      "dev.kiln.cli.Main",
      "run",
      MODEL.toAbsolutePath().toString(),
      "--backend",
      "cuda",
      "--input",
      "image=" + input,
      "--output-dir",
      dir.resolve("cuda").toString()
    );
    double[] want = Npy.read(dir.resolve("interp/output_0.npy")).toDoubles();
    double[] got = Npy.read(dir.resolve("cuda/output_0.npy")).toDoubles();
    assertEquals(want.length, got.length);
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], 1e-5 + 1e-4 * Math.abs(want[i]), "probabilities[" + i + "]");
    }
    List<String> log = Files.readAllLines(dir.resolve("driver.log"));
    assertTrue(log.stream().anyMatch(l -> l.startsWith("launch model_k0 grid ")), log.toString());
  }

  private static double[] toDoubles(float[] x) {
    double[] d = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      d[i] = x[i];
    }
    return d;
  }

  private static void exec(Path dir, List<String> env, String... cmd)
    throws IOException, InterruptedException {
    ProcessBuilder b = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    for (String e : env) {
      String[] kv = e.split("=", 2);
      b.environment().put(kv[0], kv[1]);
    }
    Path log = dir.resolve("exec.log");
    b.redirectOutput(log.toFile());
    Process p = b.start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "timed out: " + String.join(" ", cmd));
    List<String> shown = new ArrayList<>(List.of(cmd));
    Path driver = dir.resolve("driver.log");
    assertEquals(
      0,
      p.exitValue(),
      String.join(" ", shown) +
      "\n" +
      Files.readString(log) +
      (Files.exists(driver) ? Files.readString(driver) : "")
    );
  }
}
