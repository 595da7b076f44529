package dev.kiln.backend;

import dev.kiln.ir.loop.TargetInfo;
import java.util.List;

/**
 * The preprocessor definitions the runtime-c kernels are compiled with for a target: {@code
 * KILN_VLEN} (float lanes), {@code KILN_GEMM_MR} and {@code KILN_GEMM_NR} (the register block that
 * lowering packed constant weights for). Every backend that compiles the kernels uses these.
 */
public final class KernelConfig {

  private KernelConfig() {}

  /** {@code NAME=VALUE} definitions for {@code target}. */
  public static List<String> defines(TargetInfo target) {
    return List.of(
      "KILN_VLEN=" + target.vectorLanes(),
      "KILN_GEMM_MR=" + target.gemmMr(),
      "KILN_GEMM_NR=" + target.gemmNr()
    );
  }
}
