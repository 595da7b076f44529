package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.KernelStructs;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.TargetInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code kiln_conv2d_winograd_f32} (runtime-c {@code kernels/winograd_f32.c}) seen from the
 * compiler: when a convolution takes it, the transformed weights {@code U = G g G^T} packed per
 * transform position, the per-thread scratch and the params.
 *
 * <p>F(4x4, 3x3) computes each 4 x 4 output tile from a 6 x 6 input tile with 36 multiplications
 * per channel pair instead of 144, at the cost of an input and an output transform and about ten
 * times the rounding error of a direct sum (still within 1e-3 relative of ONNX Runtime on the
 * models). Its GEMMs run over tiles where the im2col GEMM runs over output positions, both cut
 * into panels of {@code gemmNr} columns, so it does about {@code 4 * tilePanels / positionPanels}
 * of the im2col multiply-adds. It is taken where the gain, the inverse of that fraction, is at
 * least {@link #MIN_GAIN}, the channel counts are at least {@link #MIN_IN_CHANNELS} and {@link #MIN_OUT_CHANNELS}, and the
 * transformed weights, which every block of tiles streams once, stay within {@link
 * #MAX_WEIGHT_BYTES}. Measured on AVX-512 (Zen 5) with weights streamed from memory, against the
 * packed direct kernel: 13 x 13 outputs (gain 1.5) 1.4x faster at 48 -> 192 and 64 -> 256
 * channels, 14 x 14 (gain 1.75) 1.3x to 1.75x faster up to 256 -> 256 (9.9 MB of transformed
 * weights) but slower at 384 -> 384 (22 MB) and 512 -> 512 (39 MB), 28 x 28 1.6x to 1.8x, and 12
 * x 12 or smaller (gain 1.25 and below) at best as fast.
 */
final class WinogradKernel {

  /** Positions of the 6 x 6 transform. */
  static final int POSITIONS = 36;

  /** Smallest input channel count that takes the Winograd kernel. */
  static final long MIN_IN_CHANNELS = 4;

  /** Smallest output channel count that takes the Winograd kernel. */
  static final long MIN_OUT_CHANNELS = 8;

  /** Smallest ratio of im2col panels to transform-weighted tile panels that takes it. */
  static final double MIN_GAIN = 1.4;

  /** Largest transformed weight tensor ({@code 36 * out * in} floats) that takes it. */
  static final long MAX_WEIGHT_BYTES = 16L << 20;

  /** G of F(4x4, 3x3) (6 x 3), points 0, 1, -1, 2, -2 and infinity. */
  private static final double[][] G = {
    { 1.0 / 4, 0, 0 },
    { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
    { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
    { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
    { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
    { 0, 0, 1 },
  };

  private WinogradKernel() {}

  /**
   * Whether a 2-D convolution ({@code x}, {@code w}, {@code y} NCHW/OIHW dims) should run on the
   * Winograd kernel: a 3x3 window with stride 1, dilation 1 and one group, constant f32 weights, a
   * target with vector kernels, and a problem big enough to pay.
   */
  static boolean applies(
    LowerContext ctx,
    Conv op,
    long[] x,
    long[] w,
    long[] y,
    WindowLowering.Geometry g
  ) {
    TargetInfo t = ctx.target();
    if (
      t.kernels() == TargetInfo.KernelSet.SCALAR ||
      op.group() != 1 ||
      w[2] != 3 ||
      w[3] != 3 ||
      g.strides()[0] != 1 ||
      g.strides()[1] != 1 ||
      g.dilations()[0] != 1 ||
      g.dilations()[1] != 1 ||
      !GemmKernel.packable(ctx.constant(1))
    ) {
      return false;
    }
    long nr = t.gemmNr();
    long tilePanels = ceilDiv(y[0] * ceilDiv(y[2], 4) * ceilDiv(y[3], 4), nr);
    long positionPanels = y[0] * ceilDiv(y[2] * y[3], nr);
    return (
      x[1] >= MIN_IN_CHANNELS &&
      w[0] >= MIN_OUT_CHANNELS &&
      positionPanels >= MIN_GAIN * 4 * tilePanels &&
      POSITIONS * 4L * w[0] * w[1] <= MAX_WEIGHT_BYTES
    );
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  /**
   * Bytes of per-thread scratch, as {@code kiln_conv2d_winograd_f32_scratch_size}: the transformed
   * input and the products of one block of {@code nr} tiles ({@code 36 * (in + out) * nr} floats)
   * and the gathered patch, which the output rows reuse ({@code 36 * nr}).
   */
  static long scratchBytes(TargetInfo t, long inChannels, long outChannels) {
    long nr = t.gemmNr();
    return POSITIONS * (inChannels + outChannels + 1) * nr * 4;
  }

  /** The params of a call, reserving the scratch it needs. */
  static Stmt.Struct params(
    LowerContext ctx,
    long[] x,
    long[] w,
    long[] y,
    long[] padBegin,
    List<Expr> epilogue
  ) {
    GemmKernel gk = GemmKernel.of(ctx.target(), w[0], ctx.target().gemmNr(), x[1]);
    ctx.reserveThreadScratch(scratchBytes(ctx.target(), x[1], w[0]));
    return KernelStructs.CONV2D_WINOGRAD_F32.builder()
      .i32s("batch", x[0], x[1], x[2], x[3], w[0], y[2], y[3], padBegin[0], padBegin[1])
      .i32("mc", gk.mc())
      .i32("kc", gk.kc())
      .epilogue("epilogue", epilogue)
      .build();
  }

  /**
   * {@code U = G g G^T} of every 3x3 kernel of {@code weights} ({@code [out][in][3][3]} f32),
   * computed in double and rounded to float, then packed as the kernel reads it: for each position
   * {@code xi = 6 * a + b}, the {@code out x in} matrix in panels of {@code gemmMr} rows.
   */
  static Tensor transformedWeights(TargetInfo t, Tensor weights, long out, long in) {
    FloatBuffer src = ByteBuffer.wrap(weights.bytes())
      .order(ByteOrder.LITTLE_ENDIAN)
      .asFloatBuffer();
    long plane = Math.multiplyExact(out, in);
    ByteBuffer u = ByteBuffer.allocate(
      Math.toIntExact(Math.multiplyExact(plane, POSITIONS * 4L))
    ).order(ByteOrder.LITTLE_ENDIAN);
    FloatBuffer dst = u.asFloatBuffer();
    double[] kernel = new double[9];
    for (int f = 0; f < plane; f++) {
      for (int i = 0; i < 9; i++) {
        kernel[i] = src.get(f * 9 + i);
      }
      for (int a = 0; a < 6; a++) {
        for (int b = 0; b < 6; b++) {
          double s = 0;
          for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
              s += G[a][i] * kernel[i * 3 + j] * G[b][j];
            }
          }
          dst.put(Math.toIntExact((a * 6 + b) * plane + f), (float) s);
        }
      }
    }
    Tensor all = Tensor.wrap(
      new TensorType(ElementType.F32, Shape.of(List.of(POSITIONS * plane))),
      u.array()
    );
    return GemmKernel.pack(all, POSITIONS, plane, out, in, t.gemmMr(), (r, q) -> r * in + q);
  }
}
