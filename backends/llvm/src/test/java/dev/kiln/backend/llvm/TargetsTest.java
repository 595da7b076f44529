package dev.kiln.backend.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.DiagnosticException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TargetsTest {

  @ParameterizedTest
  @CsvSource(
    {
      "x86_64-linux-gnu, x86-64-v2, x86_64-unknown-linux-gnu, x86-64-v2",
      "x86_64-linux-gnu, x86-64-v3, x86_64-unknown-linux-gnu, x86-64-v3",
      "x86_64-linux-gnu, skylake-avx512, x86_64-unknown-linux-gnu, skylake-avx512",
      "aarch64-linux-gnu, generic, aarch64-unknown-linux-gnu, generic",
      "aarch64-linux-gnu, cortex-a53, aarch64-unknown-linux-gnu, cortex-a53",
      "aarch64-linux-gnu, cortex-a72, aarch64-unknown-linux-gnu, cortex-a72",
      "aarch64-linux-gnu, neoverse-n1, aarch64-unknown-linux-gnu, neoverse-n1",
      "armv7a-linux-gnueabihf, generic, armv7-unknown-linux-gnueabihf, generic",
      "thumbv7em-none-eabihf, cortex-m4, thumbv7em-unknown-none-eabihf, cortex-m4",
      "thumbv7em-none-eabihf, cortex-m7, thumbv7em-unknown-none-eabihf, cortex-m7",
    }
  )
  void resolve_maps_names_to_llvm(String target, String cpu, String triple, String llvmCpu) {
    Targets.Resolved r = Targets.resolve(target, cpu);
    assertEquals(triple, r.triple());
    assertEquals(llvmCpu, r.cpu());
    assertEquals(cpu, r.cpuName());
  }

  @Test
  void resolve_default_cpu_is_first_listed() {
    assertEquals("x86-64-v2", Targets.resolve("x86_64-linux-gnu", null).cpu());
    assertEquals("generic", Targets.resolve("aarch64-linux-gnu", null).cpu());
    assertEquals("cortex-m4", Targets.resolve("thumbv7em-none-eabihf", null).cpu());
  }

  @Test
  void armv7a_has_neon() {
    assertTrue(Targets.resolve("armv7a-linux-gnueabihf", null).features().contains("+neon"));
  }

  @Test
  void bare_metal_is_static_and_linux_is_pic() {
    assertEquals(Targets.Relocation.STATIC, Targets.THUMBV7EM_NONE.relocation());
    for (Targets.Target t : List.of(
      Targets.X86_64_LINUX,
      Targets.AARCH64_LINUX,
      Targets.ARMV7A_LINUX
    )) {
      assertEquals(Targets.Relocation.PIC, t.relocation());
    }
  }

  @Test
  void unknown_target_lists_supported() {
    var e = assertThrows(DiagnosticException.class, () ->
      Targets.resolve("riscv64-linux-gnu", null)
    );
    assertEquals(
      "unknown target \"riscv64-linux-gnu\": supported targets are x86_64-linux-gnu, " +
      "aarch64-linux-gnu, armv7a-linux-gnueabihf, thumbv7em-none-eabihf",
      e.getMessage()
    );
  }

  @Test
  void unknown_cpu_lists_supported() {
    var e = assertThrows(DiagnosticException.class, () ->
      Targets.resolve("aarch64-linux-gnu", "m1")
    );
    assertEquals(
      "unknown cpu \"m1\" for target aarch64-linux-gnu: supported cpus are generic, cortex-a53, " +
      "cortex-a72, neoverse-n1",
      e.getMessage()
    );
  }

  @Test
  void native_only_for_the_host() {
    if (!Targets.host().equals(Targets.X86_64_LINUX)) {
      return;
    }
    Targets.Resolved r = Targets.resolve("x86_64-linux-gnu", "native");
    assertTrue(!r.cpu().isEmpty() && !r.cpu().equals("native"), r.cpu());
    assertTrue(r.features().contains("+sse2"), r.features());
  }
}
