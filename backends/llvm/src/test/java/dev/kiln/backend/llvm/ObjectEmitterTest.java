package dev.kiln.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ObjectEmitterTest {

  static byte[] emitAdd(String target, String cpu, LlvmTarget.Output output) {
    try (LlvmTarget t = LlvmTarget.create(target, cpu)) {
      LLVMContextRef ctx = LLVMContextCreate();
      try {
        return ObjectEmitter.emit(t, Modules.addArrays(ctx, "add"), output);
      } finally {
        LLVMContextDispose(ctx);
      }
    }
  }

  @ParameterizedTest
  @CsvSource(
    {
      "x86_64-linux-gnu, x86-64-v2, 62, true",
      "x86_64-linux-gnu, x86-64-v3, 62, true",
      "x86_64-linux-gnu, skylake-avx512, 62, true",
      "aarch64-linux-gnu, generic, 183, true",
      "aarch64-linux-gnu, cortex-a53, 183, true",
      "aarch64-linux-gnu, cortex-a72, 183, true",
      "aarch64-linux-gnu, neoverse-n1, 183, true",
      "armv7a-linux-gnueabihf, generic, 40, false",
      "thumbv7em-none-eabihf, cortex-m4, 40, false",
      "thumbv7em-none-eabihf, cortex-m7, 40, false",
    }
  )
  void object_has_machine_and_symbol(String target, String cpu, int machine, boolean is64) {
    byte[] first = emitAdd(target, cpu, LlvmTarget.Output.OBJECT);
    Elf elf = Elf.read(first);
    assertEquals(machine, elf.machine());
    assertEquals(is64, elf.is64());
    assertTrue(elf.defines("kiln_add"), elf.symbols().toString());
    assertArrayEquals(first, emitAdd(target, cpu, LlvmTarget.Output.OBJECT));
  }

  @Test
  void native_cpu_emits_host_object() {
    if (!Targets.host().equals(Targets.X86_64_LINUX)) {
      return;
    }
    assertEquals(
      Elf.EM_X86_64,
      Elf.read(emitAdd("x86_64-linux-gnu", "native", LlvmTarget.Output.OBJECT)).machine()
    );
  }

  @Test
  void assembly_and_ir_are_deterministic_and_optimized() {
    String asm = new String(
      emitAdd("aarch64-linux-gnu", "generic", LlvmTarget.Output.ASSEMBLY),
      StandardCharsets.UTF_8
    );
    assertTrue(asm.contains("kiln_add:"), asm);
    assertTrue(asm.contains("fadd\tv"), asm);
    assertEquals(
      asm,
      new String(
        emitAdd("aarch64-linux-gnu", "generic", LlvmTarget.Output.ASSEMBLY),
        StandardCharsets.UTF_8
      )
    );
    String ir = new String(
      emitAdd("x86_64-linux-gnu", "x86-64-v3", LlvmTarget.Output.LLVM_IR),
      StandardCharsets.UTF_8
    );
    assertTrue(ir.contains("target triple = \"x86_64-unknown-linux-gnu\""), ir);
    assertTrue(ir.contains("define void @kiln_add"), ir);
    assertTrue(ir.contains("fadd <8 x float>"), ir);
    assertEquals(
      ir,
      new String(
        emitAdd("x86_64-linux-gnu", "x86-64-v3", LlvmTarget.Output.LLVM_IR),
        StandardCharsets.UTF_8
      )
    );
  }

  @Test
  void broken_module_is_a_bug() {
    try (LlvmTarget t = LlvmTarget.create("x86_64-linux-gnu", null)) {
      LLVMContextRef ctx = LLVMContextCreate();
      try {
        var m = LLVMModuleCreateWithNameInContext("broken", ctx);
        var fn = LLVMAddFunction(
          m,
          "f",
          LLVMFunctionType(
            LLVMVoidTypeInContext(ctx),
            (org.bytedeco.javacpp.PointerPointer<?>) null,
            0,
            0
          )
        );
        LLVMAppendBasicBlockInContext(ctx, fn, "entry");
        var e = assertThrows(IllegalStateException.class, () ->
          ObjectEmitter.emit(t, m, LlvmTarget.Output.OBJECT)
        );
        assertTrue(
          e.getMessage().startsWith("invalid llvm module before optimization"),
          e.getMessage()
        );
      } finally {
        LLVMContextDispose(ctx);
      }
    }
  }
}
