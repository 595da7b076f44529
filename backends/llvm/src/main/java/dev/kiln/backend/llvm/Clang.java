package dev.kiln.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.LLVMGetVersion;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bytedeco.javacpp.Loader;

/**
 * The {@code clang} shipped in Bytedeco's LLVM package, used to compile Kiln's freestanding C11
 * micro-kernels to LLVM bitcode for the exact target and CPU the model is compiled for.
 *
 * <p>JavaCPP extracts the package (executables, shared libraries, clang's resource headers) into
 * its cache, {@code ~/.javacpp/cache} unless {@code org.bytedeco.javacpp.cachedir} says otherwise.
 * The {@code clang} there is linked against {@code libclang-cpp.so.MAJOR.MINOR} and {@code
 * libLLVM.so.MAJOR.MINOR}, while the package holds them as {@code libclang-cpp.so} and {@code
 * libLLVM.so}; {@link #bundled} therefore makes a private directory of symlinks with the versioned
 * names and runs clang with it on {@code LD_LIBRARY_PATH}, and passes the package's resource
 * directory explicitly so that {@code stddef.h}, {@code immintrin.h} and {@code arm_neon.h} are
 * found. Linux hosts only. The system's {@code libstdc++.so.6} must be installed (it is wherever a
 * JDK runs).
 */
public final class Clang {

  private static final long TIMEOUT_SECONDS = 120;
  private static Clang bundled;

  private final Path executable;
  private final Path libraryDir;
  private final Path resourceDir;

  /**
   * A clang at {@code executable}, run with {@code libraryDir} (may be null) on {@code
   * LD_LIBRARY_PATH} and {@code resourceDir} (may be null for clang's own) as its resource
   * directory. Nothing is checked until it runs.
   */
  public Clang(Path executable, Path libraryDir, Path resourceDir) {
    this.executable = executable;
    this.libraryDir = libraryDir;
    this.resourceDir = resourceDir;
  }

  /** The clang of the Bytedeco LLVM package, extracted and made runnable once per JVM. */
  public static synchronized Clang bundled() {
    if (bundled == null) {
      bundled = locate();
    }
    return bundled;
  }

  private static Clang locate() {
    Llvm.load();
    String path;
    try {
      path = Loader.load(org.bytedeco.llvm.program.clang.class);
    } catch (Throwable e) {
      throw missing("cannot extract it: " + Llvm.oneLine(e));
    }
    if (path == null) {
      throw missing("org.bytedeco:llvm has no clang for platform " + Loader.getPlatform());
    }
    Path exe = Path.of(path);
    Path dir = exe.getParent();
    int[] major = new int[1];
    int[] minor = new int[1];
    int[] patch = new int[1];
    LLVMGetVersion(major, minor, patch);
    String suffix = ".so." + major[0] + "." + minor[0];
    Path resources = dir.resolve("lib").resolve("clang").resolve(Integer.toString(major[0]));
    if (!Files.isRegularFile(resources.resolve("include").resolve("stddef.h"))) {
      throw missing("its resource headers are not at " + resources.resolve("include"));
    }
    try {
      Path links = Files.createTempDirectory("kiln-clang-lib");
      links.toFile().deleteOnExit();
      for (String lib : List.of("libLLVM", "libclang-cpp")) {
        Path target = dir.resolve(lib + ".so");
        if (!Files.isRegularFile(target)) {
          throw missing(lib + ".so is not next to it in " + dir);
        }
        Path link = Files.createSymbolicLink(links.resolve(lib + suffix), target);
        link.toFile().deleteOnExit();
      }
      return new Clang(exe, links, resources);
    } catch (IOException e) {
      throw missing("cannot create its library links: " + Llvm.oneLine(e));
    }
  }

  private static DiagnosticException missing(String reason) {
    return DiagnosticException.error(Location.UNKNOWN, "the bundled clang is unusable: " + reason);
  }

  public Path executable() {
    return executable;
  }

  public Path resourceDir() {
    return resourceDir;
  }

  /** The first line of {@code clang --version}, which also proves that clang runs. */
  public String version() {
    Result r = run(List.of(executable.toString(), "--version"), Path.of("").toAbsolutePath());
    if (r.exit != 0) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "clang at " + executable + " exited with " + r.exit + ": " + summary(r.stderr)
      );
    }
    return r.stdout.lines().findFirst().orElse("").strip();
  }

  /**
   * The command line that compiles {@code source} (a file name, relative to the working directory)
   * to bitcode in {@code output} for {@code target}: C11, freestanding, no builtins, {@code -O2}.
   * On AArch64 without {@code outline-atomics}, which clang enables for Linux: the kernels use no
   * atomics, and a callee with a target feature its caller lacks is not inlined.
   */
  public List<String> bitcodeCommand(
    Targets.Resolved target,
    String source,
    String output,
    List<Path> includeDirs
  ) {
    List<String> cmd = new ArrayList<>();
    cmd.add(executable.toString());
    cmd.add("-target");
    cmd.add(target.triple());
    boolean march = target.arch() == Targets.Arch.X86 || target.arch() == Targets.Arch.NVPTX;
    cmd.add((march ? "-march=" : "-mcpu=") + target.cpu());
    for (String feature : target.features().split(",")) {
      if (!feature.isEmpty()) {
        cmd.addAll(List.of("-Xclang", "-target-feature", "-Xclang", feature));
      }
    }
    if (resourceDir != null) {
      cmd.add("-resource-dir");
      cmd.add(resourceDir.toString());
    }
    if (target.arch() == Targets.Arch.AARCH64) {
      cmd.add("-mno-outline-atomics");
    }
    cmd.addAll(
      List.of(
        "-std=c11",
        "-ffreestanding",
        "-fno-builtin",
        "-O2",
        "-fno-color-diagnostics",
        "-fno-caret-diagnostics",
        "-emit-llvm",
        "-c"
      )
    );
    for (Path dir : includeDirs) {
      cmd.add("-I" + dir.toAbsolutePath());
    }
    for (String define : Targets.kernelDefines(target)) {
      cmd.add("-D" + define);
    }
    cmd.add("-o");
    cmd.add(output);
    cmd.add(source);
    return cmd;
  }

  /**
   * Compiles a C11 file to LLVM bitcode for {@code target}. Clang runs in the file's directory on
   * its bare name, so the bitcode does not depend on where the file is. A compile error is a
   * diagnostic carrying clang's messages.
   */
  public byte[] compileToBitcode(Path source, Targets.Resolved target, List<Path> includeDirs) {
    Path abs = source.toAbsolutePath();
    Path work;
    try {
      work = Files.createTempDirectory("kiln-clang");
    } catch (IOException e) {
      throw new IllegalStateException("cannot create a temporary directory", e);
    }
    try {
      Path out = work.resolve("out.bc");
      Result r = run(
        bitcodeCommand(target, abs.getFileName().toString(), out.toString(), includeDirs),
        abs.getParent()
      );
      if (r.exit != 0) {
        throw DiagnosticException.error(
          Location.UNKNOWN,
          "clang failed on " +
          source.getFileName() +
          " for " +
          target.target().name() +
          " cpu " +
          target.cpuName() +
          ": " +
          summary(r.stderr)
        );
      }
      return Files.readAllBytes(out);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read clang's output for " + source, e);
    } finally {
      deleteTree(work);
    }
  }

  /** Compiles C source text, written to a private file called {@code fileName}, to bitcode. */
  public byte[] compileToBitcode(String fileName, String source, Targets.Resolved target) {
    Path dir;
    try {
      dir = Files.createTempDirectory("kiln-src");
      Files.writeString(dir.resolve(fileName), source, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + fileName + " for clang", e);
    }
    try {
      return compileToBitcode(dir.resolve(fileName), target, List.of());
    } finally {
      deleteTree(dir);
    }
  }

  /**
   * Links an ELF object into a shared object with the bundled {@code ld.lld} (next to clang):
   * {@code ld.lld -shared}. Symbols the object leaves undefined (the libm functions some ops call)
   * are resolved when the library is loaded, from the program that links it with {@code -lm}.
   */
  public byte[] linkShared(byte[] object, Targets.Resolved target) {
    Path lld = executable.getParent().resolve("ld.lld");
    if (!Files.isExecutable(lld)) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "the bundled ld.lld is missing next to clang at " + lld.getParent()
      );
    }
    Path work;
    try {
      work = Files.createTempDirectory("kiln-lld");
    } catch (IOException e) {
      throw new IllegalStateException("cannot create a temporary directory", e);
    }
    try {
      Files.write(work.resolve("in.o"), object);
      Result r = run(
        List.of(lld.toString(), "-shared", "--build-id=none", "-o", "out.so", "in.o"),
        work
      );
      if (r.exit != 0) {
        throw DiagnosticException.error(
          Location.UNKNOWN,
          "ld.lld failed for " + target.target().name() + ": " + summary(r.stderr)
        );
      }
      return Files.readAllBytes(work.resolve("out.so"));
    } catch (IOException e) {
      throw new IllegalStateException("cannot run ld.lld", e);
    } finally {
      deleteTree(work);
    }
  }

  /**
   * Compiles the C {@code sources} to objects in {@code workDir} for the host, with {@code flags}
   * (language standard, warnings, optimization, include directories) and the package's resource
   * headers; clang's diagnostics on failure are an {@link IllegalStateException}. This is how
   * generated C is checked against clang where no system clang is installed.
   */
  public void compileHostC(List<String> flags, List<Path> sources, Path workDir) {
    List<String> cmd = new ArrayList<>(List.of(executable.toString()));
    if (resourceDir != null) {
      cmd.addAll(List.of("-resource-dir", resourceDir.toString()));
    }
    cmd.addAll(flags);
    cmd.add("-c");
    sources.forEach(s -> cmd.add(s.toString()));
    Result r = run(cmd, workDir);
    if (r.exit != 0) {
      throw new IllegalStateException(
        String.join(" ", cmd) + " exited with " + r.exit + ": " + r.stderr.strip()
      );
    }
  }

  private record Result(int exit, String stdout, String stderr) {}

  private Result run(List<String> cmd, Path workDir) {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
    if (libraryDir != null) {
      String old = System.getenv("LD_LIBRARY_PATH");
      pb
        .environment()
        .put(
          "LD_LIBRARY_PATH",
          libraryDir + (old == null || old.isEmpty() ? "" : java.io.File.pathSeparator + old)
        );
    }
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "cannot run clang at " + executable + ": " + Llvm.oneLine(e)
      );
    }
    try {
      p.getOutputStream().close();
      var stderr = new java.util.concurrent.CompletableFuture<String>();
      Thread reader = Thread.ofVirtual().start(() -> {
          try {
            stderr.complete(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
          } catch (IOException e) {
            stderr.completeExceptionally(e);
          }
        });
      String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw DiagnosticException.error(
          Location.UNKNOWN,
          "clang did not finish within " + TIMEOUT_SECONDS + " s: " + String.join(" ", cmd)
        );
      }
      reader.join();
      return new Result(p.exitValue(), stdout, stderr.join());
    } catch (IOException e) {
      throw new IllegalStateException("cannot talk to clang", e);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while clang ran", e);
    }
  }

  /** Clang's error lines joined into one line; its whole output when it printed no error line. */
  static String summary(String stderr) {
    List<String> errors = stderr
      .lines()
      .map(String::strip)
      .filter(l -> l.contains("error:"))
      .toList();
    String text = errors.isEmpty() ? stderr.strip() : String.join("; ", errors);
    text = text.replaceAll("\\s*\\R\\s*", "; ");
    return text.isEmpty() ? "no message" : text;
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      dir.toFile().deleteOnExit();
    }
  }
}
