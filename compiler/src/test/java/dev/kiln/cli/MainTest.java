package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

  record Run(int status, String out, String err) {}

  static Run kiln(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(
      args,
      new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
      new PrintStream(out, true, StandardCharsets.UTF_8),
      new PrintStream(err, true, StandardCharsets.UTF_8)
    );
    return new Run(
      status,
      out.toString(StandardCharsets.UTF_8),
      err.toString(StandardCharsets.UTF_8)
    );
  }

  static final String GOOD = """
    func @f(%x: tensor<2xf32>) -> (tensor<2xf32>) {
      %0 = nn.exp(%x) : tensor<2xf32>
      return %x : tensor<2xf32>
    }
    """;

  @Test
  void version_names_kiln_and_exits_zero() {
    Run r = kiln("", "--version");
    assertEquals(0, r.status());
    assertTrue(r.out().startsWith("kiln 0."), r.out());
  }

  @Test
  void help_lists_opt() {
    Run r = kiln("", "--help");
    assertEquals(0, r.status());
    assertTrue(r.out().contains("opt"), r.out());
  }

  @Test
  void unknown_option_is_usage_error_2() {
    Run r = kiln("", "opt", "--no-such-flag", "x.kir");
    assertEquals(Main.BAD_INPUT, r.status());
    assertTrue(r.err().contains("Unknown option: '--no-such-flag'"), r.err());
  }

  @Test
  void missing_file_is_one_line_error_2() {
    Run r = kiln("", "opt", "/nonexistent/model.kir");
    assertEquals(Main.BAD_INPUT, r.status());
    assertEquals("/nonexistent/model.kir: no such file\n", r.err());
  }

  @Test
  void binary_input_is_rejected_without_stack_trace() {
    Run r = kiln("\u0000\u00ff\u0001garbage", "opt", "-");
    assertEquals(Main.BAD_INPUT, r.status());
    assertFalse(r.err().contains("Exception"), r.err());
    assertTrue(r.err().startsWith("<stdin>:1:1: error:"), r.err());
  }

  @Test
  void opt_reads_stdin_and_runs_passes() {
    Run r = kiln(GOOD, "opt", "-", "--passes", "dce");
    assertEquals(0, r.status(), r.err());
    assertFalse(r.out().contains("nn.exp"), r.out());
  }

  @Test
  void output_file_is_written_whole(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("sub/out.kir");
    Run r = kiln(GOOD, "opt", "-", "--passes", "cse", "-o", out.toString());
    assertEquals(0, r.status(), r.err());
    assertTrue(Files.readString(out).contains("nn.exp"));
    try (var files = Files.list(out.getParent())) {
      assertEquals(1, files.count(), "no temporary files are left behind");
    }
  }

  @Test
  void failed_run_leaves_no_output_file(@TempDir Path dir) {
    Path out = dir.resolve("out.kir");
    Run r = kiln("func @f( {", "opt", "-", "-o", out.toString());
    assertEquals(Main.BAD_INPUT, r.status());
    assertFalse(Files.exists(out));
  }

  @Test
  void unknown_pass_lists_known_ones() {
    Run r = kiln(GOOD, "opt", "-", "--passes", "dce,frob");
    assertEquals(Main.BAD_INPUT, r.status());
    assertTrue(r.err().startsWith("<stdin>: unknown pass frob (known: dce, cse, "), r.err());
  }

  static final String LOOP = """
    // a comment before the function
    loop.func @f workspace 0 {
      output %out0: buffer<2xf32> "y"
      for %i = 0 to 2 { %out0[%i] = 1.0:f32 }
    }
    """;

  @Test
  void opt_prints_loop_ir_back_in_canonical_form() {
    Run r = kiln(LOOP, "opt", "-");
    assertEquals(Main.OK, r.status(), r.err());
    assertEquals(
      """
      loop.func @f workspace 0 {
        output %out0: buffer<2xf32> "y"
        for %i = 0 to 2 {
          %out0[%i] = 1.0:f32
        }
      }
      """,
      r.out()
    );
  }

  @Test
  void graph_ir_options_on_loop_ir_are_usage_errors() {
    Run r = kiln(LOOP, "opt", "-", "--lower");
    assertEquals(Main.BAD_INPUT, r.status());
    assertTrue(r.err().contains("apply to Graph IR, not to Loop IR"), r.err());
  }

  @Test
  void loop_ir_syntax_error_is_rendered_with_line_and_column() {
    Run r = kiln("loop.func @f workspace 0 {\n  %y[0] = 1\n}\n", "opt", "-");
    assertEquals(Main.BAD_INPUT, r.status());
    assertTrue(r.err().startsWith("<stdin>:2:3: error: unknown buffer %y"), r.err());
  }
}
