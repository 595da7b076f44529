package dev.kiln.backend.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.LoopFunc;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code NAME_info} read by a C program through {@code kiln/runtime.h}, natively and on AArch64. */
class ModelInfoTest {

  static Stream<Arguments> cases() {
    return Stream.of(NativeRun.Toolchain.HOST, NativeRun.Toolchain.AARCH64).flatMap(tc ->
      Stream.of(LoopCases.gemm(), LoopCases.casts()).map(c -> Arguments.of(tc, c))
    );
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void info_table_describes_inputs_outputs_and_workspace(
    NativeRun.Toolchain tc,
    LoopCases.Case c,
    @TempDir Path dir
  ) throws Exception {
    String missing = tc.missing();
    assumeTrue(missing == null, missing);
    LoopFunc f = c.func();
    String printed = NativeRun.runDriver(tc, f, driver(f.name()), dir);
    assertEquals(expected(f), printed);
  }

  private static String expected(LoopFunc f) {
    StringBuilder s = new StringBuilder();
    s.append("abi 1 inputs ").append(f.inputs().size());
    s.append(" outputs ").append(f.outputs().size()).append(" reserved 0");
    s.append(" workspace ").append(Math.ceilDiv(f.workspaceBytes(), 64) * 64);
    s.append(" per_thread ").append(f.threadScratchBytes()).append("\n");
    describe(s, "input", f.inputs());
    describe(s, "output", f.outputs());
    return s.toString();
  }

  private static void describe(StringBuilder s, String kind, List<Buffer> buffers) {
    for (Buffer b : buffers) {
      long[] dims = b.dims();
      s.append(kind).append(' ').append(b.sourceName());
      s.append(" type ").append(b.elem().elementType().ordinal());
      s.append(" rank ").append(dims.length).append(" dims");
      for (int d = 0; d < 8; d++) {
        s.append(' ').append(d < dims.length ? dims[d] : 0);
      }
      s.append('\n');
    }
  }

  private static String driver(String name) {
    return """
    #include <inttypes.h>
    #include <stdio.h>
    #include "kiln/runtime.h"

    const kiln_model_info_t *NAME_info(void);

    static void describe(const char *kind, int32_t n, const kiln_tensor_desc_t *d) {
      for (int32_t i = 0; i < n; i++) {
        printf("%s %s type %" PRId32 " rank %" PRId32 " dims", kind, d[i].name, d[i].elem_type,
               d[i].rank);
        for (int k = 0; k < KILN_MAX_RANK; k++) {
          printf(" %" PRId64, d[i].dims[k]);
        }
        printf("\\n");
      }
    }

    int main(void) {
      const kiln_model_info_t *m = NAME_info();
      if (m != NAME_info()) {
        return 7;
      }
      printf("abi %" PRId32 " inputs %" PRId32 " outputs %" PRId32 " reserved %" PRId32
             " workspace %" PRId64 " per_thread %" PRId64 "\\n",
             m->abi_version, m->num_inputs, m->num_outputs, m->reserved, m->workspace_size,
             m->workspace_per_thread);
      describe("input", m->num_inputs, m->inputs);
      describe("output", m->num_outputs, m->outputs);
      return 0;
    }
    """.replace("NAME", name);
  }
}
