package dev.kiln.backend.llvm;

import dev.kiln.backend.RuntimeC;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.UnaryOp;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The device math functions of {@code runtime-c/gpu/math.c} ({@code double kiln_gpu_exp(double)},
 * ...): what Loop IR's transcendental operations call on NVIDIA GPUs, where LLVM has no libm to
 * lower {@code llvm.exp}, {@code llvm.log} or {@code llvm.tanh} to. {@link #bitcode} compiles the
 * file with the bundled {@link Clang} for a GPU target (cached per target); {@link LoopTranslator}
 * calls the functions, widening f32 operands, and O3 inlines them. Thread-safe.
 */
final class GpuMath {

  /** The unary operations with a device function, and its name. */
  static final Map<UnaryOp, String> UNARY = Map.ofEntries(
    Map.entry(UnaryOp.EXP, "kiln_gpu_exp"),
    Map.entry(UnaryOp.LOG, "kiln_gpu_log"),
    Map.entry(UnaryOp.SIN, "kiln_gpu_sin"),
    Map.entry(UnaryOp.COS, "kiln_gpu_cos"),
    Map.entry(UnaryOp.TAN, "kiln_gpu_tan"),
    Map.entry(UnaryOp.ASIN, "kiln_gpu_asin"),
    Map.entry(UnaryOp.ACOS, "kiln_gpu_acos"),
    Map.entry(UnaryOp.ATAN, "kiln_gpu_atan"),
    Map.entry(UnaryOp.SINH, "kiln_gpu_sinh"),
    Map.entry(UnaryOp.COSH, "kiln_gpu_cosh"),
    Map.entry(UnaryOp.TANH, "kiln_gpu_tanh"),
    Map.entry(UnaryOp.ASINH, "kiln_gpu_asinh"),
    Map.entry(UnaryOp.ACOSH, "kiln_gpu_acosh"),
    Map.entry(UnaryOp.ATANH, "kiln_gpu_atanh"),
    Map.entry(UnaryOp.ERF, "kiln_gpu_erf")
  );

  /** The binary float operations with a device function ({@code REM} is C's {@code fmod}). */
  static final Map<BinaryOp, String> BINARY = Map.of(
    BinaryOp.REM,
    "kiln_gpu_fmod",
    BinaryOp.POW,
    "kiln_gpu_pow",
    BinaryOp.ATAN2,
    "kiln_gpu_atan2"
  );

  private static final Map<String, byte[]> CACHE = new HashMap<>();

  private GpuMath() {}

  /** The bitcode of {@code gpu/math.c} for {@code target}. */
  static synchronized byte[] bitcode(Targets.Resolved target) {
    String key = target.triple() + " " + target.cpu() + " " + target.features();
    return CACHE.computeIfAbsent(key, k ->
      Clang.bundled().compileToBitcode(RuntimeC.unpacked().resolve("gpu/math.c"), target, List.of())
    );
  }
}
