package dev.kiln.backend.cuda;

import dev.kiln.backend.CHeader;
import dev.kiln.ir.loop.LoopFunc;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The host plan of a CUDA model as C source ({@code NAME_host.c}): the PTX embedded as bytes, the
 * CUDA driver API reached through {@code dlopen("libcuda.so.1")} at create time (no link-time CUDA
 * dependency; the versioned symbols {@code cuMemAlloc_v2}, ...), and the functions the header
 * declares ({@link #declarations}):
 *
 * <ul>
 *   <li>{@code NAME_cuda_create(&ctx, device)}: the device's primary context, the module loaded
 *       (its globals hold the weights, uploaded once), every kernel looked up, and device buffers
 *       for {@code run_host};
 *   <li>{@code NAME_cuda_run(ctx, inputs, outputs, workspace, stream)}: device pointers, the
 *       launches of the table in order on {@code stream}, no synchronization;
 *   <li>{@code NAME_cuda_run_host(ctx, inputs, outputs)}: host buffers copied in, run, synchronized,
 *       copied out;
 *   <li>{@code NAME_cuda_destroy(ctx)} and {@code NAME_cuda_error(code)}.
 * </ul>
 *
 * <p>It compiles under {@code -std=c11 -Wall -Wextra -Werror -pedantic} with only {@code
 * <stddef.h>} (the few libc and libdl functions it calls are declared in the file, {@code dlsym}
 * returning a function pointer so that no object-to-function pointer conversion is needed) and
 * links with {@code -ldl} on older C libraries.
 */
public final class HostPlan {

  /** The error codes {@code NAME_cuda_*} return, in order from 1; 0 is success. */
  static final List<String> ERRORS = List.of(
    "NO_DRIVER",
    "MISSING_SYMBOL",
    "DRIVER_ERROR",
    "OUT_OF_MEMORY"
  );

  private static final List<String> MESSAGES = List.of(
    "no CUDA driver found (libcuda.so.1 does not load)",
    "the CUDA driver lacks a function the plan needs",
    "a CUDA driver call failed",
    "out of host memory"
  );

  /** The driver functions the plan calls: field name, symbol, C parameter list. */
  private static final String[][] DRIVER = {
    { "init", "cuInit", "unsigned flags" },
    { "device_get", "cuDeviceGet", "int *device, int ordinal" },
    { "primary_retain", "cuDevicePrimaryCtxRetain", "void **context, int device" },
    { "primary_release", "cuDevicePrimaryCtxRelease_v2", "int device" },
    { "set_current", "cuCtxSetCurrent", "void *context" },
    { "synchronize", "cuCtxSynchronize", "void" },
    { "module_load", "cuModuleLoadData", "void **module, const void *image" },
    { "module_unload", "cuModuleUnload", "void *module" },
    { "get_function", "cuModuleGetFunction", "void **function, void *module, const char *name" },
    {
      "launch",
      "cuLaunchKernel",
      "void *function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, " +
      "unsigned bz, unsigned shared, void *stream, void **params, void **extra",
    },
    { "mem_alloc", "cuMemAlloc_v2", "unsigned long long *pointer, size_t bytes" },
    { "mem_free", "cuMemFree_v2", "unsigned long long pointer" },
    { "copy_in", "cuMemcpyHtoD_v2", "unsigned long long to, const void *from, size_t bytes" },
    { "copy_out", "cuMemcpyDtoH_v2", "void *to, unsigned long long from, size_t bytes" },
  };

  private HostPlan() {}

  /** What the header declares for the plan of model {@code name}. */
  public static String declarations(String name) {
    String up = name.toUpperCase(Locale.ROOT);
    StringBuilder d = new StringBuilder();
    d.append("/* Host plan (").append(name).append("_host.c): see the Kiln README. Device ");
    d.append("pointers are CUdeviceptr\n   values; a stream is a CUstream. */\n");
    d.append("#define ").append(up).append("_CUDA_OK 0\n");
    for (int i = 0; i < ERRORS.size(); i++) {
      d.append("#define ").append(up).append("_CUDA_").append(ERRORS.get(i)).append(' ');
      d.append(i + 1).append('\n');
    }
    d.append("typedef struct ").append(name).append("_cuda ").append(name).append("_cuda_t;\n");
    d.append("int ").append(name).append("_cuda_create(").append(name);
    d.append("_cuda_t **ctx, int device);\n");
    d.append("int ").append(name).append("_cuda_run(").append(name);
    d.append("_cuda_t *ctx, const unsigned long long *inputs,\n");
    d.append(
      "    const unsigned long long *outputs, unsigned long long workspace, void *stream);\n"
    );
    d.append("int ").append(name).append("_cuda_run_host(").append(name);
    d.append("_cuda_t *ctx, const void *const *inputs, void *const *outputs);\n");
    d.append("void ").append(name).append("_cuda_destroy(").append(name).append("_cuda_t *ctx);\n");
    d.append("const char *").append(name).append("_cuda_error(int code);\n\n");
    return d.toString();
  }

  /**
   * The plan's C source for {@code f} compiled as {@code name} into {@code ptx}, launching {@code
   * launches} ({@code NAME_CUDA_LAUNCH_<k>} of {@code NAME.h}).
   */
  public static String source(
    LoopFunc f,
    String name,
    String source,
    String ptx,
    List<GpuSchedule.Launch> launches
  ) {
    String up = name.toUpperCase(Locale.ROOT);
    int nIn = f.inputs().size();
    int nOut = f.outputs().size();
    int nLaunch = launches.size();
    StringBuilder s = new StringBuilder();
    s.append("/* Generated by Kiln from ").append(CHeader.comment(source));
    s.append(": the host plan of ").append(name).append(".ptx. Do not edit. */\n");
    s.append("#include \"").append(name).append(".h\"\n#include <stddef.h>\n\n");
    s.append("typedef void (*kiln_cu_symbol_t)(void);\n");
    s.append("void *dlopen(const char *file, int mode);\n");
    s.append("kiln_cu_symbol_t dlsym(void *handle, const char *symbol);\n");
    s.append("int dlclose(void *handle);\n");
    s.append("void *calloc(size_t count, size_t size);\nvoid free(void *pointer);\n\n");
    s.append("static const unsigned char ptx[] = {");
    byte[] bytes = (ptx + "\0").getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      s.append(i % 16 == 0 ? "\n  " : " ").append(bytes[i] & 0xff).append(',');
    }
    s.append("\n};\n\n");
    s.append("struct ").append(name).append("_cuda {\n  void *library;\n");
    for (String[] fn : DRIVER) {
      s.append("  int (*").append(fn[0]).append(")(").append(fn[2]).append(");\n");
    }
    s.append("  int device;\n  void *context;\n  void *module;\n");
    s.append("  void *functions[").append(Math.max(1, nLaunch)).append("];\n");
    s.append("  unsigned long long buffers[").append(nIn + nOut + 1).append("];\n};\n\n");
    s.append("static const char *const kernels[] = {");
    for (int k = 0; k < nLaunch; k++) {
      s.append(k == 0 ? "" : ",").append("\n  ").append(up).append("_CUDA_LAUNCH_").append(k);
      s.append("_KERNEL");
    }
    s.append(nLaunch == 0 ? "0};\n" : "\n};\n");
    s.append("static const unsigned grids[][2] = {");
    for (int k = 0; k < nLaunch; k++) {
      s.append(k == 0 ? "" : ",").append("\n  {").append(up).append("_CUDA_LAUNCH_").append(k);
      s.append("_BLOCKS, ").append(up).append("_CUDA_LAUNCH_").append(k).append("_THREADS}");
    }
    s.append(nLaunch == 0 ? "{0, 0}};\n" : "\n};\n");
    s.append("static const size_t sizes[] = {");
    for (int i = 0; i < nIn; i++) {
      s.append(up).append("_INPUT_").append(i).append("_SIZE * ").append(up);
      s.append("_INPUT_").append(i).append("_ELEM_SIZE, ");
    }
    for (int i = 0; i < nOut; i++) {
      s.append(up).append("_OUTPUT_").append(i).append("_SIZE * ").append(up);
      s.append("_OUTPUT_").append(i).append("_ELEM_SIZE, ");
    }
    s.append(up).append("_WORKSPACE_SIZE};\n\n");
    s.append(
      """
      const char *NAME_cuda_error(int code) {
        switch (code) {
        case 0:
          return "ok";
      """.replace("NAME", name)
    );
    for (int i = 0; i < MESSAGES.size(); i++) {
      s.append("  case ").append(i + 1).append(":\n    return \"").append(MESSAGES.get(i));
      s.append("\";\n");
    }
    s.append("  default:\n    return \"unknown error\";\n  }\n}\n\n");
    s.append("void NAME_cuda_destroy(NAME_cuda_t *c) {\n".replace("NAME", name));
    s.append(
      """
        if (c == NULL) {
          return;
        }
        if (c->context != NULL) {
          c->set_current(c->context);
          for (size_t i = 0; i < sizeof c->buffers / sizeof c->buffers[0]; i++) {
            if (c->buffers[i] != 0) {
              c->mem_free(c->buffers[i]);
            }
          }
          if (c->module != NULL) {
            c->module_unload(c->module);
          }
          c->primary_release(c->device);
        }
        if (c->library != NULL) {
          dlclose(c->library);
        }
        free(c);
      }

      """
    );
    s.append("int NAME_cuda_create(NAME_cuda_t **out, int device) {\n".replace("NAME", name));
    s.append("  NAME_cuda_t *c = calloc(1, sizeof *c);\n".replace("NAME", name));
    s.append("  *out = NULL;\n  if (c == NULL) {\n    return ").append(up);
    s.append("_CUDA_OUT_OF_MEMORY;\n  }\n");
    s.append("  c->library = dlopen(\"libcuda.so.1\", 2);\n  if (c->library == NULL) {\n");
    s.append("    free(c);\n    return ").append(up).append("_CUDA_NO_DRIVER;\n  }\n");
    for (String[] fn : DRIVER) {
      s.append("  c->").append(fn[0]).append(" = (int (*)(").append(fn[2]).append("))dlsym(");
      s.append("c->library, \"").append(fn[1]).append("\");\n");
      s.append("  if (c->").append(fn[0]).append(" == NULL) {\n    ").append(name);
      s.append("_cuda_destroy(c);\n    return ").append(up).append("_CUDA_MISSING_SYMBOL;\n  }\n");
    }
    s.append(
      """
        c->device = -1;
        if (c->init(0) != 0 || c->device_get(&c->device, device) != 0 ||
            c->primary_retain(&c->context, c->device) != 0) {
          c->context = NULL;
          @NAME@_cuda_destroy(c);
          return @UP@_CUDA_DRIVER_ERROR;
        }
        if (c->set_current(c->context) != 0 || c->module_load(&c->module, ptx) != 0) {
          @NAME@_cuda_destroy(c);
          return @UP@_CUDA_DRIVER_ERROR;
        }
        for (int k = 0; k < @NLAUNCH@; k++) {
          if (c->get_function(&c->functions[k], c->module, kernels[k]) != 0) {
            @NAME@_cuda_destroy(c);
            return @UP@_CUDA_DRIVER_ERROR;
          }
        }
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
          if (sizes[i] > 0 && c->mem_alloc(&c->buffers[i], sizes[i]) != 0) {
            @NAME@_cuda_destroy(c);
            return @UP@_CUDA_DRIVER_ERROR;
          }
        }
        *out = c;
        return @UP@_CUDA_OK;
      }

      int @NAME@_cuda_run(@NAME@_cuda_t *c, const unsigned long long *inputs,
          const unsigned long long *outputs, unsigned long long workspace, void *stream) {
        void *params[@NPARAMS@];
        int p = 0;
        for (int i = 0; i < @NIN@; i++) {
          params[p++] = (void *)&inputs[i];
        }
        for (int i = 0; i < @NOUT@; i++) {
          params[p++] = (void *)&outputs[i];
        }
        params[p] = &workspace;
        if (c->set_current(c->context) != 0) {
          return @UP@_CUDA_DRIVER_ERROR;
        }
        for (int k = 0; k < @NLAUNCH@; k++) {
          if (c->launch(c->functions[k], grids[k][0], 1, 1, grids[k][1], 1, 1, 0, stream, params,
                        NULL) != 0) {
            return @UP@_CUDA_DRIVER_ERROR;
          }
        }
        return @UP@_CUDA_OK;
      }

      int @NAME@_cuda_run_host(@NAME@_cuda_t *c, const void *const *inputs, void *const *outputs) {
        if (c->set_current(c->context) != 0) {
          return @UP@_CUDA_DRIVER_ERROR;
        }
        for (int i = 0; i < @NIN@; i++) {
          if (sizes[i] > 0 && c->copy_in(c->buffers[i], inputs[i], sizes[i]) != 0) {
            return @UP@_CUDA_DRIVER_ERROR;
          }
        }
        int status = @NAME@_cuda_run(c, c->buffers, c->buffers + @NIN@, c->buffers[@NIN@ + @NOUT@], NULL);
        if (status != @UP@_CUDA_OK) {
          return status;
        }
        if (c->synchronize() != 0) {
          return @UP@_CUDA_DRIVER_ERROR;
        }
        for (int i = 0; i < @NOUT@; i++) {
          if (sizes[@NIN@ + i] > 0 && c->copy_out(outputs[i], c->buffers[@NIN@ + i], sizes[@NIN@ + i]) != 0) {
            return @UP@_CUDA_DRIVER_ERROR;
          }
        }
        return @UP@_CUDA_OK;
      }
      """.replace("@NAME@", name)
        .replace("@UP@", up)
        .replace("@NLAUNCH@", Integer.toString(nLaunch))
        .replace("@NPARAMS@", Integer.toString(nIn + nOut + 1))
        .replace("@NIN@", Integer.toString(nIn))
        .replace("@NOUT@", Integer.toString(nOut))
    );
    return s.toString();
  }
}
