package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.KernelStruct;
import dev.kiln.ir.loop.KernelStructs;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.TargetInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The packed GEMM of runtime-c ({@code kernels/sgemm.h}) seen from the compiler: the cache blocks
 * a call passes, the per-thread scratch it needs, and the panel layout of operands packed at
 * compile time. The formulas here are the kernel's own ({@code gemm_problem} in {@code
 * gemm_f32.c}): blocks are clamped to the problem and rounded to the register block, and a call
 * needs {@code round(mc, mr) * kc} floats for A unless A is packed plus {@code round(nc, nr) * kc}
 * for B unless B is packed.
 */
record GemmKernel(TargetInfo target, long m, long n, long k, int mc, int nc, int kc) {
  /** {@code kiln_gemm_f32_params_t.packed}: A in panels. */
  static final int PACKED_A = 1;

  /** {@code kiln_gemm_f32_params_t.packed}: B in panels. */
  static final int PACKED_B = 2;

  /** The blocks for an {@code m x n x k} product on {@code target}. */
  static GemmKernel of(TargetInfo target, long m, long n, long k) {
    int mr = target.gemmMr();
    int nr = target.gemmNr();
    long kc = Math.min(target.gemmKc(), Math.max(k, 1));
    long mc = Math.max(roundUp(Math.min(target.gemmMc(), roundUp(m, mr)), mr), mr);
    long nc = Math.max(roundUp(Math.min(target.gemmNc(), roundUp(n, nr)), nr), nr);
    return new GemmKernel(target, m, n, k, (int) mc, (int) nc, (int) kc);
  }

  static long roundUp(long v, long to) {
    return ((v + to - 1) / to) * to;
  }

  /** Bytes of per-thread scratch a call with the given operands packed needs. */
  long scratchBytes(int packed) {
    long floats = 0;
    if ((packed & PACKED_A) == 0) {
      floats += roundUp(mc, target.gemmMr()) * kc;
    }
    if ((packed & PACKED_B) == 0) {
      floats += roundUp(nc, target.gemmNr()) * kc;
    }
    return floats * 4;
  }

  /**
   * Bytes of per-thread scratch {@code kiln_conv2d_f32} needs for its in-place path ({@code
   * conv_linear_layout} in {@code conv2d_f32.c}), 0 where it takes the im2col GEMM: with weights
   * packed, stride 1 or 2 in both axes, no dilation, vector kernels, not a plain 1x1, and at most a
   * quarter of the padded raster's columns dropped. The image of one group is copied zero-padded
   * and split by stride phase ({@code min(s, kernel)} phases per axis, planes of {@code ceil(((out
   * - 1) * s + kernel) / s)} rows and columns) with {@code nr + kernel_w} floats after it, rounded
   * to 64 bytes, then one int32 offset per reduction index. The kernel checks its scratch slot and
   * takes the im2col path when the slot is smaller.
   */
  static long convInPlaceScratchBytes(
    TargetInfo target,
    long groupIn,
    long[] kernel,
    long[] out,
    long[] in,
    long[] strides,
    long[] dilations,
    long[] padBegin
  ) {
    long s = strides[0];
    long kh = kernel[kernel.length - 2];
    long kw = kernel[kernel.length - 1];
    long outH = out[out.length - 2];
    long outW = out[out.length - 1];
    if (
      strides[1] != s ||
      (s != 1 && s != 2) ||
      dilations[0] != 1 ||
      dilations[1] != 1 ||
      target.vectorLanes() == 1 ||
      outH <= 0 ||
      outW <= 0
    ) {
      return 0;
    }
    if (
      kh == 1 &&
      kw == 1 &&
      s == 1 &&
      padBegin[0] == 0 &&
      padBegin[1] == 0 &&
      in[in.length - 2] == outH &&
      in[in.length - 1] == outW
    ) {
      return 0;
    }
    long hq = ((outH - 1) * s + kh + s - 1) / s;
    long wq = ((outW - 1) * s + kw + s - 1) / s;
    if ((wq - outW) * 4 > wq) {
      return 0;
    }
    long planes = groupIn * Math.min(s, kh) * Math.min(s, kw);
    long image = planes * hq * wq + target.gemmNr() + kw;
    if (image > Integer.MAX_VALUE) {
      return 0;
    }
    return roundUp(image * 4, 64) + groupIn * kh * kw * 4;
  }

  /** Sets the {@code packed, mc, nc, kc} fields of a params struct. */
  KernelStruct.Builder blocks(KernelStruct.Builder b, int packed) {
    return b.i32("packed", packed).i32("mc", mc).i32("nc", nc).i32("kc", kc);
  }

  /** Elements of one matrix of {@code rows x k} packed in panels of {@code block} rows. */
  static long panelsSize(long rows, long k, int block) {
    return roundUp(rows, block) * k;
  }

  /** How element {@code (row, q)} of a matrix to pack is found in a tensor's flat data. */
  interface Source {
    long offset(long row, long q);
  }

  /**
   * {@code count} matrices of {@code rows x k}, matrix {@code i}'s element {@code (row, q)} at
   * flat position {@code base(i) + source.offset(row, q)} of {@code data}, packed one after another
   * into zero-padded panels of {@code block} rows: {@code [matrix][row / block][q][row % block]}.
   */
  static Tensor pack(
    Tensor data,
    long count,
    long matrixStride,
    long rows,
    long k,
    int block,
    Source source
  ) {
    long per = panelsSize(rows, k, block);
    long total = Math.multiplyExact(count, per);
    FloatBuffer in = ByteBuffer.wrap(data.bytes()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(Math.multiplyExact(total, 4))).order(
      ByteOrder.LITTLE_ENDIAN
    );
    FloatBuffer o = out.asFloatBuffer();
    for (long i = 0; i < count; i++) {
      long base = i * matrixStride;
      long dst = i * per;
      for (long row = 0; row < rows; row++) {
        long panel = dst + (row / block) * k * block + (row % block);
        for (long q = 0; q < k; q++) {
          o.put(
            Math.toIntExact(panel + q * block),
            in.get(Math.toIntExact(base + source.offset(row, q)))
          );
        }
      }
    }
    return Tensor.wrap(new TensorType(ElementType.F32, Shape.of(List.of(total))), out.array());
  }

  /**
   * Whether {@code t} can be packed at compile time: an f32 constant with data. A splat is packed
   * too: a kernel reads its operand as a full array, so the object holds every element either way,
   * and the packed copy replaces the unpacked one.
   */
  static boolean packable(Tensor t) {
    return t != null && t.hasData() && t.elementType() == ElementType.F32;
  }

  /**
   * The params of a {@code kiln_gemm_f32} call and its per-thread scratch, reserved with the
   * context: B packed when the lowering packed it at compile time.
   */
  static Stmt.Struct params(
    LowerContext ctx,
    long m,
    long n,
    long k,
    boolean transA,
    boolean transB,
    long lda,
    long ldb,
    long ldc,
    long biasStrideM,
    long biasStrideN,
    double alpha,
    double beta,
    boolean packedB,
    Activation activation,
    double activationAlpha,
    double activationBeta
  ) {
    GemmKernel g = GemmKernel.of(ctx.target(), m, n, k);
    int packed = packedB ? GemmKernel.PACKED_B : 0;
    ctx.reserveThreadScratch(g.scratchBytes(packed));
    return g
      .blocks(KernelStructs.GEMM_F32.builder(), packed)
      .i32s(
        "m",
        m,
        n,
        k,
        transA ? 1 : 0,
        transB ? 1 : 0,
        lda,
        ldb,
        ldc,
        ldc,
        biasStrideM,
        biasStrideN
      )
      .f32("alpha", alpha)
      .f32("beta", beta)
      .epilogue(
        "epilogue",
        ActivationLowering.kernelEpilogue(activation, activationAlpha, activationBeta)
      )
      .build();
  }
}
