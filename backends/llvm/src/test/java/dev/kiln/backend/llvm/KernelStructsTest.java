package dev.kiln.backend.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.KernelStruct;
import dev.kiln.ir.loop.KernelStructs;
import dev.kiln.ir.loop.Scalar;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java declarations of the kernels' parameter structs against {@code kiln/kernels.h}: a C file
 * of {@code _Static_assert}s on every struct's size and every field's offset and type size,
 * generated from {@link KernelStructs}, must compile. A field moved, added or removed in either
 * place fails here; the generated file is checked for failing when a declaration is wrong.
 */
class KernelStructsTest {

  private static final Path INCLUDE = Path.of("../../runtime-c/include");

  static String asserts(List<KernelStruct> structs) {
    StringBuilder c = new StringBuilder("#include <stddef.h>\n#include \"kiln/kernels.h\"\n\n");
    for (KernelStruct s : structs) {
      c.append("_Static_assert(sizeof(").append(s.cName()).append(") == ");
      c.append(4 * s.fields().size()).append(", \"size of ").append(s.cName()).append("\");\n");
      for (int i = 0; i < s.fields().size(); i++) {
        KernelStruct.Field f = s.fields().get(i);
        String m = s.cName() + ", " + f.name();
        c.append("_Static_assert(offsetof(").append(m).append(") == ").append(4 * i);
        c.append(", \"offset of ").append(s.cName()).append('.').append(f.name()).append("\");\n");
        c.append("_Static_assert(_Generic(((").append(s.cName()).append(" *)0)->");
        c.append(f.name()).append(", ").append(f.type() == Scalar.F32 ? "float" : "int32_t");
        c.append(": 1, default: 0), \"type of ").append(s.cName()).append('.').append(f.name());
        c.append("\");\n");
      }
    }
    return c.toString();
  }

  private static int compile(String source, Path dir) throws Exception {
    Path file = dir.resolve("structs.c");
    Files.writeString(file, source);
    Process p = new ProcessBuilder(
      "cc",
      "-std=c11",
      "-fsyntax-only",
      "-I",
      INCLUDE.toAbsolutePath().toString(),
      file.toString()
    )
      .redirectErrorStream(true)
      .start();
    String out = new String(p.getInputStream().readAllBytes());
    int rc = p.waitFor();
    if (rc != 0) {
      System.err.println(out);
    }
    return rc;
  }

  @Test
  void declarations_match_the_header(@TempDir Path dir) throws Exception {
    assumeTrue(NativeRun.Toolchain.HOST.missing() == null, "skipped: no C compiler (cc)");
    assertEquals(0, compile(asserts(KernelStructs.ALL), dir));
  }

  @Test
  void a_moved_field_fails_the_check(@TempDir Path dir) throws Exception {
    assumeTrue(NativeRun.Toolchain.HOST.missing() == null, "skipped: no C compiler (cc)");
    List<KernelStruct.Field> swapped = new java.util.ArrayList<>(KernelStructs.GEMM_F32.fields());
    KernelStruct.Field m = swapped.get(0);
    swapped.set(0, swapped.get(1));
    swapped.set(1, m);
    KernelStruct wrong = new KernelStruct(KernelStructs.GEMM_F32.cName(), swapped);
    assertTrue(compile(asserts(List.of(wrong)), dir) != 0);
  }

  @Test
  void the_builder_puts_fields_in_order_and_wants_them_all() {
    KernelStruct s = KernelStructs.GEMM_S8;
    KernelStruct.Builder b = s.builder();
    for (int i = s.fields().size() - 1; i >= 0; i--) {
      b.i32(s.fields().get(i).name(), i);
    }
    var built = b.build();
    for (int i = 0; i < s.fields().size(); i++) {
      assertEquals(Ex.ci(Scalar.I32, i), built.fields().get(i));
    }
    assertThrows(IllegalStateException.class, () -> s.builder().i32("m", 1).build());
    assertThrows(IllegalStateException.class, () -> s.builder().i32("nope", 1));
    assertThrows(IllegalStateException.class, () -> s.builder().i32("m", 1).i32("m", 2));
    assertThrows(IllegalStateException.class, () -> s.builder().f32("m", 1));
  }
}
