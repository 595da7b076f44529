package dev.kiln.ir.loop;

/**
 * What lowering needs to know about the machine code will run on: which runtime-c kernel set the
 * target links, the vector width, the GEMM micro-kernel's register block, the data caches the
 * cache blocks are sized from, and whether the target has threads.
 *
 * <p>The GEMM block ({@code gemmMr} x {@code gemmNr}) is a contract with the C micro-kernel: the
 * backend compiles the kernels with these values ({@code -DKILN_GEMM_MR}, ...), and weights packed
 * at compile time use the same panel widths.
 *
 * @param name the target and CPU as the user named them, for messages ({@code
 *     x86_64-linux-gnu/native})
 * @param kernels the kernel set the target's C kernels compile to
 * @param vectorBytes the widest float vector the kernels use, in bytes (4 means scalar)
 * @param gemmMr rows of a GEMM register block (rows of a packed A panel)
 * @param gemmNr columns of a GEMM register block (columns of a packed B panel)
 * @param l1Bytes level-1 data cache per core
 * @param l2Bytes level-2 cache per core
 * @param threads whether generated code may be handed a thread pool
 */
public record TargetInfo(
  String name,
  KernelSet kernels,
  int vectorBytes,
  int gemmMr,
  int gemmNr,
  long l1Bytes,
  long l2Bytes,
  boolean threads
) {
  /** The instruction-set families the runtime-c kernels are written for. */
  public enum KernelSet {
    X86_AVX512,
    X86_AVX2,
    X86_SSE,
    NEON64,
    NEON32,
    SCALAR,
    /**
     * No runtime-c kernels: lowering writes every op as Loop IR loops (a GPU target, whose code
     * cannot call host C kernels).
     */
    NONE,
  }

  public TargetInfo {
    if (gemmMr <= 0 || gemmNr <= 0 || vectorBytes < 4 || gemmNr % (vectorBytes / 4) != 0) {
      throw new IllegalArgumentException(
        "gemm block " + gemmMr + "x" + gemmNr + " with " + vectorBytes + "-byte vectors"
      );
    }
  }

  /** Float lanes of a vector. */
  public int vectorLanes() {
    return vectorBytes / 4;
  }

  /**
   * The GEMM reduction block: a {@code kc x nr} panel of B fills about half the level-1 cache,
   * between 64 and 512 and a multiple of 16.
   */
  public int gemmKc() {
    long kc = (l1Bytes / 2) / (4L * gemmNr);
    return (int) Math.max(64, Math.min(512, (kc / 16) * 16));
  }

  /** The GEMM row block: an {@code mc x kc} block of A fills about a quarter of level 2. */
  public int gemmMc() {
    long mc = (l2Bytes / 4) / (4L * gemmKc());
    return (int) Math.max(gemmMr, Math.min(16L * gemmMr, (mc / gemmMr) * gemmMr));
  }

  /** The GEMM column block: a {@code kc x nc} block of B fills about half of level 2. */
  public int gemmNc() {
    long nc = (l2Bytes / 2) / (4L * gemmKc());
    return (int) Math.max(gemmNr, Math.min(64L * gemmNr, (nc / gemmNr) * gemmNr));
  }
}
