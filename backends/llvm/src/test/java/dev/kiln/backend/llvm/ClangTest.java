package dev.kiln.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.DiagnosticException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClangTest {

  static final String SCALE = """
    #include <stddef.h>
    #include <stdint.h>

    void kiln_scale(float *restrict out, const float *restrict in, float s, int64_t n) {
      for (int64_t i = 0; i < n; i++) {
        out[i] = in[i] * s;
      }
    }
    """;

  @Test
  void bundled_clang_runs() {
    assertTrue(
      Clang.bundled().version().startsWith("clang version 20."),
      Clang.bundled().version()
    );
  }

  @ParameterizedTest
  @CsvSource(
    {
      "x86_64-linux-gnu, x86-64-v3, 62",
      "aarch64-linux-gnu, cortex-a72, 183",
      "armv7a-linux-gnueabihf, generic, 40",
      "thumbv7em-none-eabihf, cortex-m7, 40",
    }
  )
  void kernel_links_into_module_and_emits(String target, String cpu, int machine) {
    Targets.Resolved r = Targets.resolve(target, cpu);
    byte[] bitcode = Clang.bundled().compileToBitcode("scale.c", SCALE, r);
    assertArrayEquals(bitcode, Clang.bundled().compileToBitcode("scale.c", SCALE, r));
    byte[] object = linkAndEmit(r, bitcode);
    assertArrayEquals(object, linkAndEmit(r, bitcode));
    Elf elf = Elf.read(object);
    assertEquals(machine, elf.machine());
    assertTrue(elf.defines("model_run"), elf.symbols().toString());
    assertTrue(elf.defines("kiln_scale"), elf.symbols().toString());
    assertFalse(elf.symbols().containsValue(false), "undefined symbols: " + elf.symbols());
    String ir = new String(
      linkAndEmit(r, bitcode, LlvmTarget.Output.LLVM_IR),
      StandardCharsets.UTF_8
    );
    String run = ir.substring(ir.indexOf("define void @model_run"));
    assertFalse(
      run.substring(0, run.indexOf("\n}")).contains("@kiln_scale("),
      "kernel not inlined:\n" + ir
    );
  }

  static byte[] linkAndEmit(Targets.Resolved r, byte[] bitcode) {
    return linkAndEmit(r, bitcode, LlvmTarget.Output.OBJECT);
  }

  static byte[] linkAndEmit(Targets.Resolved r, byte[] bitcode, LlvmTarget.Output output) {
    try (LlvmTarget t = LlvmTarget.create(r)) {
      LLVMContextRef ctx = LLVMContextCreate();
      try {
        var m = Modules.callScale(ctx, "model");
        t.configure(m);
        t.markFunction(LLVMGetNamedFunction(m, "model_run"));
        BitcodeLinker.link(m, bitcode, "scale.bc");
        return ObjectEmitter.emit(t, m, output);
      } finally {
        LLVMContextDispose(ctx);
      }
    }
  }

  @ParameterizedTest
  @CsvSource(
    delimiter = '|',
    value = {
      "x86_64-linux-gnu | skylake-avx512 | immintrin.h | __m512 v = _mm512_set1_ps(x); return _mm512_reduce_add_ps(v);",
      "aarch64-linux-gnu | generic | arm_neon.h | float32x4_t v = vdupq_n_f32(x); return vaddvq_f32(v);",
      "armv7a-linux-gnueabihf | generic | arm_neon.h | float32x2_t v = vdup_n_f32(x); return vget_lane_f32(vadd_f32(v, v), 0);",
      "thumbv7em-none-eabihf | cortex-m4 | stdint.h | return x * (float) INT8_MAX;",
    }
  )
  void resource_headers_for_every_target(String target, String cpu, String header, String body) {
    String source = "#include <" + header + ">\nfloat kiln_f(float x) { " + body + " }\n";
    byte[] bc = Clang.bundled().compileToBitcode("f.c", source, Targets.resolve(target, cpu));
    assertEquals('B', bc[0]);
    assertEquals('C', bc[1]);
  }

  @Test
  void compile_error_is_one_line_with_clangs_message() {
    var e = assertThrows(DiagnosticException.class, () ->
      Clang.bundled().compileToBitcode(
        "bad.c",
        "int f(void) { return undeclared; }\n",
        Targets.resolve("x86_64-linux-gnu", null)
      )
    );
    assertEquals(
      "clang failed on bad.c for x86_64-linux-gnu cpu x86-64-v2: bad.c:1:22: error: use of undeclared identifier 'undeclared'",
      e.getMessage()
    );
  }

  @Test
  void missing_clang_is_one_line(@TempDir Path dir) {
    var e = assertThrows(DiagnosticException.class, () ->
      new Clang(dir.resolve("clang"), null, null).version()
    );
    assertTrue(
      e.getMessage().startsWith("cannot run clang at " + dir.resolve("clang") + ": "),
      e.getMessage()
    );
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void unrunnable_clang_is_one_line(@TempDir Path dir) throws Exception {
    Path fake = Files.writeString(dir.resolve("clang"), "not a program");
    var e = assertThrows(DiagnosticException.class, () -> new Clang(fake, null, null).version());
    assertTrue(e.getMessage().startsWith("cannot run clang at " + fake + ": "), e.getMessage());
  }

  @Test
  void clang_without_its_libraries_is_one_line() {
    Clang bare = new Clang(Clang.bundled().executable(), null, null);
    var e = assertThrows(DiagnosticException.class, bare::version);
    assertTrue(e.getMessage().contains("exited with 127"), e.getMessage());
    assertTrue(e.getMessage().contains("libclang-cpp.so.20.1"), e.getMessage());
  }

  @Test
  void bitcode_for_another_triple_is_refused() {
    byte[] bc = Clang.bundled().compileToBitcode(
      "scale.c",
      SCALE,
      Targets.resolve("aarch64-linux-gnu", null)
    );
    var e = assertThrows(DiagnosticException.class, () ->
      linkAndEmit(Targets.resolve("x86_64-linux-gnu", null), bc)
    );
    assertEquals(
      "scale.bc was compiled for aarch64-unknown-linux-gnu but the module is for x86_64-unknown-linux-gnu",
      e.getMessage()
    );
  }

  @Test
  void garbage_bitcode_is_refused() {
    var e = assertThrows(DiagnosticException.class, () ->
      linkAndEmit(Targets.resolve("x86_64-linux-gnu", null), new byte[] { 1, 2, 3 })
    );
    assertEquals("scale.bc is not valid llvm bitcode: Invalid bitcode signature", e.getMessage());
  }
}
