package dev.kiln.emit;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How a Cortex-M program runs under QEMU: the MPS2 machine for the CPU ({@code mps2-an386} for
 * Cortex-M4, {@code mps2-an500} for Cortex-M7), {@code arm-none-eabi-gcc}'s flags for it, and the
 * board files ({@code mps2/startup.c}: vector table, reset handler, argv from semihosting;
 * {@code mps2/mps2.ld}: code and weights in the 4 MiB at 0, everything else in the board's 16 MiB
 * PSRAM) linked with newlib over semihosting ({@code --specs=rdimon.specs}), so the harness reads
 * and writes files on the host through {@code qemu-system-arm -semihosting}.
 */
public record BoardSupport(String machine, String ramOrigin, List<String> cpuFlags) {
  public BoardSupport {
    cpuFlags = List.copyOf(cpuFlags);
  }

  /** The board for {@code cpu} ({@code cortex-m4} or {@code cortex-m7}). */
  public static BoardSupport forCpu(String cpu) {
    return switch (cpu) {
      case "cortex-m4" -> new BoardSupport(
        "mps2-an386",
        "0x21000000",
        List.of("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16")
      );
      case "cortex-m7" -> new BoardSupport(
        "mps2-an500",
        "0x60000000",
        List.of("-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16")
      );
      default -> throw DiagnosticException.error(
        Location.UNKNOWN,
        "no QEMU board for cpu " + cpu + " (cortex-m4, cortex-m7)"
      );
    };
  }

  /**
   * Writes the board files into {@code dir} and returns the compiler arguments that link a
   * program with them: the startup source, the linker script, newlib over semihosting, libm.
   */
  List<String> linkArguments(Path dir) {
    try {
      Path startup = dir.resolve("mps2_startup.c");
      Files.writeString(startup, resource("startup.c"));
      Path script = dir.resolve("mps2.ld");
      Files.writeString(script, resource("mps2.ld").replace("RAM_ORIGIN", ramOrigin));
      return List.of(
        startup.toString(),
        "-T",
        script.toString(),
        "-nostartfiles",
        "--specs=rdimon.specs",
        "-Wl,--gc-sections",
        "-Wl,--no-enum-size-warning",
        "-lm"
      );
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The {@code qemu-system-arm} command running {@code exe} with {@code args} as its command line
   * (semihosting's; QEMU's option syntax doubles commas).
   */
  List<String> command(String qemu, Path exe, List<String> args) {
    StringBuilder semihosting = new StringBuilder("enable=on,target=native,arg=");
    semihosting.append(exe.getFileName().toString().replace(",", ",,"));
    for (String a : args) {
      semihosting.append(",arg=").append(a.replace(",", ",,"));
    }
    return new ArrayList<>(
      List.of(
        qemu,
        "-M",
        machine,
        "-nographic",
        "-monitor",
        "none",
        "-semihosting-config",
        semihosting.toString(),
        "-kernel",
        exe.toString()
      )
    );
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = BoardSupport.class.getResourceAsStream("mps2/" + name)) {
      if (in == null) {
        throw new IllegalStateException("board support file mps2/" + name + " is missing");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
