package dev.kiln.backend.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.backend.LoopModule;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.Stmt;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Failures during code generation name where they happened: a Java failure carries the stages
 * (the group and its nodes, the model), and an LLVM fatal error ends the process with one line and
 * status 1 instead of an abort.
 */
class CodegenStageTest {

  @Test
  void failure_in_a_group_names_the_group_and_the_model() {
    LoopCases.Case gemm = LoopCases.gemm();
    Stmt.Call call = (Stmt.Call) gemm.func().body().get(0);
    LoopFunc bad = LlvmCodegenTest.withCall(gemm.func(), new Stmt.Call("kiln_nope", call.args()));
    LoopModule module = new LoopModule(
      bad,
      "model.onnx",
      List.of(new LoopModule.Group(0, 1, List.of("nn.gemm \"fc\"")))
    );
    Targets.Resolved host = Targets.resolve("x86_64-linux-gnu", null);
    var e = assertThrows(CodegenStage.StageFailure.class, () ->
      LlvmCodegen.compile(module, host, Set.of(LlvmTarget.Output.OBJECT))
    );
    assertEquals(
      "while translating group 0 (nn.gemm \"fc\"), compiling model.onnx for " +
      host.triple() +
      " cpu " +
      host.cpu() +
      ": micro-kernel hook kiln_accel_nope is not in runtime-c",
      e.getMessage()
    );
  }

  @Test
  void llvm_fatal_error_prints_one_line_and_exits_1() throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(
      java.toString(),
      "--enable-native-access=ALL-UNNAMED",
      "-cp",
      System.getProperty("java.class.path"),
      UnselectableMain.class.getName()
    ).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(1, p.waitFor(), out + err);
    assertEquals("", out);
    assertEquals(
      "kiln: internal error: LLVM fatal error while emitting the object, compiling " +
      "unselectable.onnx: Cannot select: intrinsic %llvm.aarch64.neon.sqadd; please report\n",
      err
    );
  }
}
