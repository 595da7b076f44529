package dev.kiln.emit;

import dev.kiln.backend.llvm.Targets;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The C compiler that links generated objects into programs, and how to run them: the host's
 * {@code cc} for x86-64 (or whatever the host is), Debian's cross compilers for ARM
 * ({@code aarch64-linux-gnu-gcc}, {@code arm-linux-gnueabihf-gcc}, linked statically) run under
 * {@code qemu-aarch64} / {@code qemu-arm}, and {@code arm-none-eabi-gcc} with newlib for Cortex-M,
 * linked with a QEMU {@link BoardSupport} ({@code board}, null for the others) and run under
 * {@code qemu-system-arm -semihosting}.
 */
public record Toolchain(
  String compiler,
  List<String> runner,
  boolean isStatic,
  BoardSupport board,
  List<String> flags
) {
  public Toolchain {
    runner = List.copyOf(runner);
    flags = List.copyOf(flags);
  }

  /**
   * The flags that build a program under the given sanitizers ({@code address}, {@code
   * undefined}, {@code thread}): any report ends the program with a non-zero status.
   */
  public static List<String> sanitizerFlags(List<String> kinds) {
    if (kinds.contains("address") && kinds.contains("thread")) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "--sanitize: address and thread cannot be combined"
      );
    }
    return List.of(
      "-fsanitize=" + String.join(",", kinds),
      "-fno-sanitize-recover=all",
      "-fno-omit-frame-pointer",
      "-g"
    );
  }

  /** A toolchain passing no flags of its own. */
  public Toolchain(String compiler, List<String> runner, boolean isStatic, BoardSupport board) {
    this(compiler, runner, isStatic, board, List.of());
  }

  /**
   * This toolchain passing {@code extra} too when it compiles and links (e.g. {@code
   * -fsanitize=address}).
   */
  public Toolchain withFlags(List<String> extra) {
    List<String> all = new ArrayList<>(flags);
    all.addAll(extra);
    return new Toolchain(compiler, runner, isStatic, board, all);
  }

  /** Warning flags the runtime, headers and harnesses must pass. */
  public static final List<String> STRICT = List.of(
    "-std=c11",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic"
  );

  /** The same warnings under C99: what the C backend's output must pass. */
  public static final List<String> STRICT_C99 = List.of(
    "-std=c99",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic"
  );

  /**
   * The toolchain for {@code target} on this host, or an error saying what to install when a
   * piece is missing.
   */
  public static Toolchain forTarget(Targets.Resolved target) {
    String name = target.target().name();
    Targets.Target host = hostTarget();
    if (host != null && host.name().equals(name)) {
      return host();
    }
    return switch (name) {
      case "aarch64-linux-gnu" -> new Toolchain(
        require("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
        List.of(require("qemu-aarch64", "qemu-user")),
        true,
        null
      );
      case "armv7a-linux-gnueabihf" -> new Toolchain(
        require("arm-linux-gnueabihf-gcc", "gcc-arm-linux-gnueabihf"),
        List.of(require("qemu-arm", "qemu-user")),
        true,
        null
      );
      case "thumbv7em-none-eabihf" -> {
        BoardSupport board = BoardSupport.forCpu(target.cpuName());
        yield new Toolchain(
          require("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi"),
          List.of(require("qemu-system-arm", "qemu-system-arm")),
          false,
          board
        );
      }
      default -> throw DiagnosticException.error(
        Location.UNKNOWN,
        "programs for " + name + " cannot be linked and run on this host"
      );
    };
  }

  /** The host's {@code cc}, which builds the C backend's output. */
  public static Toolchain host() {
    return new Toolchain(require("cc", "a C compiler (cc)"), List.of(), false, null);
  }

  /** Whether {@code forTarget} would succeed. */
  public static boolean available(Targets.Resolved target) {
    try {
      forTarget(target);
      return true;
    } catch (DiagnosticException e) {
      return false;
    }
  }

  private static Targets.Target hostTarget() {
    try {
      return Targets.host();
    } catch (DiagnosticException e) {
      return null;
    }
  }

  private static String require(String program, String pkg) {
    return find(program).orElseThrow(() ->
      DiagnosticException.error(
        Location.UNKNOWN,
        program + " not found on PATH (install " + pkg + ")"
      )
    );
  }

  /** The absolute path of {@code program} on {@code PATH}. */
  public static Optional<String> find(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, program);
      if (Files.isExecutable(p) && !Files.isDirectory(p)) {
        return Optional.of(p.toString());
      }
    }
    return Optional.empty();
  }

  /**
   * Compiles and links {@code sources} (C files and objects) into the program {@code exe}, at
   * {@code -O2} when {@code optimize}, else {@code -O0} (a harness around compiled code need not be
   * fast, and compiles in half the time).
   */
  public void link(List<Path> sources, Path includeDir, Path exe, boolean optimize) {
    link(sources, List.of(includeDir), exe, optimize);
  }

  /**
   * Compiles and links {@code sources} as {@link #link(List, Path, Path, boolean)} does, searching
   * {@code includeDirs} for headers; the first is the working directory of the compiler.
   */
  public void link(List<Path> sources, List<Path> includeDirs, Path exe, boolean optimize) {
    Path includeDir = includeDirs.getFirst();
    List<String> cmd = new ArrayList<>(List.of(compiler, optimize ? "-O2" : "-O0"));
    cmd.addAll(cpuFlags());
    cmd.addAll(STRICT);
    cmd.addAll(flags);
    includeDirs.forEach(d -> cmd.add("-I" + d));
    if (isStatic) {
      cmd.add("-static");
    }
    sources.forEach(s -> cmd.add(s.toString()));
    if (board != null) {
      cmd.addAll(board.linkArguments(includeDir));
    } else {
      cmd.addAll(List.of("-lm", "-pthread"));
    }
    cmd.addAll(List.of("-o", exe.toString()));
    Result r = exec(cmd, includeDir, 300);
    if (r.exit() != 0) {
      throw new IllegalStateException(
        "linking failed (" + String.join(" ", cmd) + "): " + r.output().strip()
      );
    }
  }

  /**
   * Compiles {@code sources} at {@code -O2} with {@link #STRICT_C99} into objects named after them
   * in {@code dir} (also the working directory), searching {@code includeDirs} for headers, and
   * returns the objects.
   */
  public List<Path> compileC99(List<Path> sources, List<Path> includeDirs, Path dir) {
    List<String> cmd = new ArrayList<>(List.of(compiler, "-O2"));
    cmd.addAll(cpuFlags());
    cmd.addAll(STRICT_C99);
    cmd.addAll(flags);
    includeDirs.forEach(d -> cmd.add("-I" + d));
    cmd.add("-c");
    List<Path> objects = new ArrayList<>();
    for (Path s : sources) {
      cmd.add(s.toString());
      String file = s.getFileName().toString();
      objects.add(dir.resolve(file.substring(0, file.lastIndexOf('.')) + ".o"));
    }
    Result r = exec(cmd, dir, 600);
    if (r.exit() != 0) {
      throw new IllegalStateException(
        "compiling failed (" + String.join(" ", cmd) + "): " + r.output().strip()
      );
    }
    return objects;
  }

  /** The board's {@code -mcpu}/{@code -mfpu} flags, none for a hosted target. */
  private List<String> cpuFlags() {
    return board == null ? List.of() : board.cpuFlags();
  }

  /** Runs {@code exe} with {@code args} (under qemu for a cross target) in {@code dir}. */
  public Result run(Path exe, List<String> args, Path dir, long timeoutSeconds) {
    if (board != null) {
      return exec(board.command(runner.getFirst(), exe, args), dir, timeoutSeconds);
    }
    List<String> cmd = new ArrayList<>(runner);
    cmd.add(exe.toString());
    cmd.addAll(args);
    return exec(cmd, dir, timeoutSeconds);
  }

  /** What a process printed (stdout and stderr together) and its exit status (-1: timed out). */
  public record Result(int exit, String output) {}

  /** Runs {@code cmd} in {@code dir}, killing it after {@code timeoutSeconds}. */
  public static Result exec(List<String> cmd, Path dir, long timeoutSeconds) {
    try {
      Path log = Files.createTempFile("kiln-exec", ".log");
      try {
        Process p = new ProcessBuilder(cmd)
          .directory(dir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(log.toFile())
          .start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor();
          return new Result(-1, "timed out after " + timeoutSeconds + " s");
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(log);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
