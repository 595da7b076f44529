package dev.kiln.backend;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.Scalar;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The C header of a compiled model: everything a caller needs and nothing else. For {@code --name
 * net}:
 *
 * <pre>
 * #define NET_NUM_INPUTS 1
 * #define NET_NUM_OUTPUTS 1
 * #define NET_WORKSPACE_SIZE 1024        (bytes for one thread; 0 when none is needed)
 * #define NET_WORKSPACE_PER_THREAD 4096  (bytes more for each thread after the first)
 * #define NET_WORKSPACE_ALIGNMENT 64
 * #define NET_INPUT_0_NAME "x"           (the model's name, as a C string literal)
 * #define NET_INPUT_0_ELEM_TYPE 2        (a kiln_elem_type_t value of kiln/runtime.h: 2 is f32)
 * #define NET_INPUT_0_ELEM_SIZE 4        (bytes per element)
 * #define NET_INPUT_0_RANK 2
 * #define NET_INPUT_0_DIMS { 1, 784 }
 * #define NET_INPUT_0_SIZE 784           (elements)
 * (the same for NET_OUTPUT_i_...)
 * int net_run(const void *const *inputs, void *const *outputs, void *workspace);
 * int net_run_parallel(const void *const *inputs, void *const *outputs, void *workspace,
 *                      const struct kiln_thread_pool *pool);
 * struct kiln_run_ctx;
 * int net_run_ctx(const void *const *inputs, void *const *outputs, void *workspace,
 *                 const struct kiln_run_ctx *ctx);
 * struct kiln_model_info;
 * const struct kiln_model_info *net_info(void);
 * </pre>
 *
 * {@code net_run} reads {@code inputs[i]} (dense row-major tensors of the declared types and
 * shapes), writes every element of {@code outputs[i]}, and uses {@code NET_WORKSPACE_SIZE} bytes at
 * {@code workspace} (64-byte aligned; may be NULL when the size is 0). It returns 0. It keeps no
 * state between calls, is reentrant with separate workspaces, and calls no allocator. {@code
 * net_run_parallel} computes the same bits, cutting its heavy kernels into {@code
 * pool->num_threads} chunks on the caller's pool ({@code kiln_thread_pool_t} of {@code
 * kiln/runtime.h}; NULL runs on the calling thread); its workspace must hold {@code
 * NET_WORKSPACE_SIZE + (num_threads - 1) * NET_WORKSPACE_PER_THREAD} bytes. {@code net_run_ctx}
 * takes the pool and an accelerator hook table ({@code kiln_run_ctx_t} of {@code kiln/runtime.h},
 * {@code kiln_accel_t} of {@code kiln/accel.h}; either or the context may be NULL) and returns 0 or
 * the error status of a hook. {@code
 * net_info} returns the same description as a constant {@code kiln_model_info_t} of {@code
 * kiln/runtime.h} (declared through its struct tag, so the header needs no include).
 */
public final class CHeader {

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

  private CHeader() {}

  /** True when {@code name} can prefix C identifiers ({@code name_run}, {@code NAME_...}). */
  public static boolean validName(String name) {
    return IDENTIFIER.matcher(name).matches();
  }

  /** The header text for {@code f}, compiled as {@code name}; {@code source} names the model. */
  public static String of(LoopFunc f, String name, String source) {
    return of(f, name, source, -1);
  }

  /**
   * The header of code whose weights are a separate blob of {@code weightsBytes} bytes (none when
   * negative): it adds {@code NAME_WEIGHTS_SIZE} and says that only {@code NAME_run_ctx} with
   * {@code ctx->weights} runs the model.
   */
  public static String of(LoopFunc f, String name, String source, long weightsBytes) {
    StringBuilder s = new StringBuilder();
    s.append("\n/* Runs the model: returns 0. See the Kiln README for the contract. */\n");
    s.append("int ").append(name);
    s.append("_run(const void *const *inputs, void *const *outputs, void *workspace);\n");
    s.append(
      "\n/* The same on a thread pool; see NAME_WORKSPACE_PER_THREAD for its workspace. */\n"
    );
    s.append("struct kiln_thread_pool;\nint ").append(name);
    s.append("_run_parallel(const void *const *inputs, void *const *outputs, void *workspace,\n");
    s.append("    const struct kiln_thread_pool *pool);\n\n");
    s.append(
      "/* The same with a kiln_run_ctx_t: a pool and accelerator hooks (kiln/accel.h). */\n"
    );
    s.append("struct kiln_run_ctx;\nint ").append(name);
    s.append("_run_ctx(const void *const *inputs, void *const *outputs, void *workspace,\n");
    s.append("    const struct kiln_run_ctx *ctx);\n\n");
    s.append("/* The model's kiln_model_info_t (kiln/runtime.h): inputs, outputs, workspace. */\n");
    s.append("struct kiln_model_info;\n");
    s.append("const struct kiln_model_info *").append(name).append("_info(void);\n\n");
    return of(f, name, source, weightsBytes, s.toString());
  }

  /**
   * The header's macros for {@code f} (counts, workspace sizes, every tensor), followed by {@code
   * declarations}, the backend's own part: what a backend without {@code NAME_run} (the CUDA one)
   * declares instead.
   */
  public static String of(LoopFunc f, String name, String source, String declarations) {
    return of(f, name, source, -1, declarations);
  }

  private static String of(
    LoopFunc f,
    String name,
    String source,
    long weightsBytes,
    String declarations
  ) {
    String up = name.toUpperCase(Locale.ROOT);
    String guard = up + "_H";
    StringBuilder s = new StringBuilder();
    s.append("/* Generated by Kiln from ").append(comment(source)).append(". Do not edit. */\n");
    s.append("#ifndef ").append(guard).append("\n#define ").append(guard).append("\n\n");
    s.append("#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    s.append("#define ").append(up).append("_NUM_INPUTS ").append(f.inputs().size()).append('\n');
    s.append("#define ").append(up).append("_NUM_OUTPUTS ").append(f.outputs().size()).append('\n');
    s.append("#define ").append(up).append("_WORKSPACE_SIZE ").append(f.workspaceBytes());
    s.append('\n');
    s.append("#define ").append(up).append("_WORKSPACE_PER_THREAD ");
    s.append(f.threadScratchBytes()).append('\n');
    s.append("#define ").append(up).append("_WORKSPACE_ALIGNMENT 64\n");
    if (weightsBytes >= 0) {
      s.append("/* The weights are not compiled in: pass the bytes of ").append(name);
      s.append("_weights.bin (64-byte aligned) as\n   kiln_run_ctx_t.weights to ").append(name);
      s.append("_run_ctx; the other run functions return KILN_ERR_BAD_ARGUMENT. */\n");
      s.append("#define ").append(up).append("_WEIGHTS_SIZE ").append(weightsBytes).append('\n');
    }
    tensors(s, up + "_INPUT_", f.inputs());
    tensors(s, up + "_OUTPUT_", f.outputs());
    s.append(declarations);
    s.append("#ifdef __cplusplus\n}\n#endif\n\n#endif /* ").append(guard).append(" */\n");
    return s.toString();
  }

  private static void tensors(StringBuilder s, String prefix, List<Buffer> buffers) {
    for (Buffer b : buffers) {
      String p = "#define " + prefix + b.param() + "_";
      s.append('\n');
      s.append(p).append("NAME ").append(literal(b.sourceName())).append('\n');
      s.append(p).append("ELEM_TYPE ").append(elemType(b.elem()));
      s.append(" /* ").append(b.elem()).append(" */\n");
      s.append(p).append("ELEM_SIZE ").append(b.elem().bytes()).append('\n');
      long[] dims = b.dims();
      s.append(p).append("RANK ").append(dims.length).append('\n');
      s.append(p).append("DIMS {");
      for (int i = 0; i < dims.length; i++) {
        s.append(i == 0 ? " " : ", ").append(dims[i]);
      }
      s.append(dims.length == 0 ? "0 }" : " }").append('\n');
      s.append(p).append("SIZE ").append(b.length()).append('\n');
    }
  }

  /**
   * The {@code kiln_elem_type_t} value of {@code kiln/runtime.h} for {@code t}: its element type's
   * ordinal, as that enum lists them.
   */
  public static int elemType(Scalar t) {
    return t.elementType().ordinal();
  }

  /** {@code text} as a C string literal: printable ASCII kept, the rest as octal escapes. */
  public static String literal(String text) {
    StringBuilder s = new StringBuilder("\"");
    for (byte b : text.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c == '"' || c == '\\') {
        s.append('\\').append((char) c);
      } else if (c >= 0x20 && c < 0x7f && c != '?') {
        s.append((char) c);
      } else {
        s.append(String.format("\\%03o", c));
      }
    }
    return s.append('"').toString();
  }

  /** {@code text} safe inside a C comment: printable ASCII kept, no comment terminator. */
  public static String comment(String text) {
    StringBuilder s = new StringBuilder();
    for (char c : text.toCharArray()) {
      s.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return s.toString().replace("*/", "*?/");
  }
}
