package dev.kiln.ir.loop;

import java.util.ArrayList;
import java.util.List;

/**
 * The parameter structs of the runtime-c kernels ({@code runtime-c/include/kiln/kernels.h}),
 * declared once. Each list is the C struct's members in order.
 */
public final class KernelStructs {

  private KernelStructs() {}

  private static List<KernelStruct.Field> concat(
    List<KernelStruct.Field> a,
    List<KernelStruct.Field> b
  ) {
    List<KernelStruct.Field> r = new ArrayList<>(a);
    r.addAll(b);
    return r;
  }

  /** The geometry members that open the convolution structs, in order. */
  private static final String[] CONVOLUTION = {
    "batch",
    "in_channels",
    "in_h",
    "in_w",
    "out_channels",
    "out_h",
    "out_w",
    "kernel_h",
    "kernel_w",
    "stride_h",
    "stride_w",
    "pad_top",
    "pad_left",
    "dilation_h",
    "dilation_w",
    "groups",
  };

  /** The window members the depthwise convolution shares with the others. */
  private static final List<KernelStruct.Field> WINDOW = KernelStruct.ints(
    "out_h",
    "out_w",
    "kernel_h",
    "kernel_w",
    "stride_h",
    "stride_w",
    "pad_top",
    "pad_left"
  );

  /** {@code kiln_gemm_f32_params_t}. */
  public static final KernelStruct GEMM_F32 = new KernelStruct(
    "kiln_gemm_f32_params_t",
    concat(
      concat(
        KernelStruct.ints(
          "m",
          "n",
          "k",
          "trans_a",
          "trans_b",
          "lda",
          "ldb",
          "ldc",
          "ldr",
          "bias_stride_m",
          "bias_stride_n"
        ),
        List.of(
          new KernelStruct.Field("alpha", Scalar.F32),
          new KernelStruct.Field("beta", Scalar.F32)
        )
      ),
      concat(KernelStruct.ints("packed", "mc", "nc", "kc"), KernelStruct.epilogue("epilogue"))
    )
  );

  /** {@code kiln_conv2d_f32_params_t}. */
  public static final KernelStruct CONV2D_F32 = new KernelStruct(
    "kiln_conv2d_f32_params_t",
    concat(
      concat(KernelStruct.ints(CONVOLUTION), KernelStruct.ints("packed", "mc", "nc", "kc")),
      KernelStruct.epilogue("epilogue")
    )
  );

  /** {@code kiln_conv2d_winograd_f32_params_t}. */
  public static final KernelStruct CONV2D_WINOGRAD_F32 = new KernelStruct(
    "kiln_conv2d_winograd_f32_params_t",
    concat(
      concat(
        KernelStruct.ints(java.util.Arrays.copyOf(CONVOLUTION, 7)),
        KernelStruct.ints("pad_top", "pad_left", "mc", "kc")
      ),
      KernelStruct.epilogue("epilogue")
    )
  );

  /** {@code kiln_depthwise_conv2d_f32_params_t}. */
  public static final KernelStruct DEPTHWISE_CONV2D_F32 = new KernelStruct(
    "kiln_depthwise_conv2d_f32_params_t",
    concat(
      concat(
        KernelStruct.ints("batch", "channels", "in_h", "in_w", "multiplier"),
        concat(WINDOW, KernelStruct.ints("dilation_h", "dilation_w"))
      ),
      KernelStruct.epilogue("epilogue")
    )
  );

  /** {@code kiln_pool2d_f32_params_t}. */
  public static final KernelStruct POOL2D_F32 = new KernelStruct(
    "kiln_pool2d_f32_params_t",
    concat(
      concat(
        KernelStruct.ints("batch", "channels", "in_h", "in_w"),
        concat(
          WINDOW,
          KernelStruct.ints(
            "pad_bottom",
            "pad_right",
            "dilation_h",
            "dilation_w",
            "count_include_pad"
          )
        )
      ),
      KernelStruct.epilogue("epilogue")
    )
  );

  /** {@code kiln_gemm_s8_params_t}. */
  public static final KernelStruct GEMM_S8 = new KernelStruct(
    "kiln_gemm_s8_params_t",
    KernelStruct.ints(
      "m",
      "n",
      "k",
      "lda",
      "ldb",
      "ldc",
      "a_zero_point",
      "b_zero_point",
      "c_zero_point",
      "multiplier",
      "shift",
      "qmin",
      "qmax"
    )
  );

  /** {@code kiln_conv2d_s8_params_t}. */
  public static final KernelStruct CONV2D_S8 = new KernelStruct(
    "kiln_conv2d_s8_params_t",
    concat(
      KernelStruct.ints(CONVOLUTION),
      KernelStruct.ints(
        "x_zero_point",
        "w_zero_point",
        "y_zero_point",
        "multiplier",
        "shift",
        "qmin",
        "qmax"
      )
    )
  );

  /** Every declared struct. */
  public static final List<KernelStruct> ALL = List.of(
    GEMM_F32,
    CONV2D_F32,
    CONV2D_WINOGRAD_F32,
    DEPTHWISE_CONV2D_F32,
    POOL2D_F32,
    GEMM_S8,
    CONV2D_S8
  );
}
