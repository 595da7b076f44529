package dev.kiln.backend.c;

import dev.kiln.ir.loop.KernelStruct;
import dev.kiln.ir.loop.KernelStructs;
import java.util.Map;

/** The parameter struct each runtime-c kernel that Loop IR calls takes as its first argument. */
final class KernelCalls {

  private KernelCalls() {}

  private static final Map<String, KernelStruct> PARAMS = Map.of(
    "kiln_gemm_f32",
    KernelStructs.GEMM_F32,
    "kiln_conv2d_f32",
    KernelStructs.CONV2D_F32,
    "kiln_conv2d_winograd_f32",
    KernelStructs.CONV2D_WINOGRAD_F32,
    "kiln_depthwise_conv2d_f32",
    KernelStructs.DEPTHWISE_CONV2D_F32,
    "kiln_maxpool2d_f32",
    KernelStructs.POOL2D_F32,
    "kiln_avgpool2d_f32",
    KernelStructs.POOL2D_F32,
    "kiln_gemm_s8s8s32",
    KernelStructs.GEMM_S8,
    "kiln_gemm_s8s8s8",
    KernelStructs.GEMM_S8,
    "kiln_conv2d_s8",
    KernelStructs.CONV2D_S8
  );

  /** The declared parameter struct of {@code kernel}. */
  static KernelStruct params(String kernel) {
    KernelStruct s = PARAMS.get(kernel);
    if (s == null) {
      throw new IllegalStateException("the C backend knows no parameter struct of " + kernel);
    }
    return s;
  }
}
