package dev.kiln.ir.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.ir.Diagnostic;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Hand-written Loop IR text: what parses, what it means, and where errors point. */
class LoopParserTest {

  private static final String NET = """
    loop.func @net workspace 64 {
      input %x: buffer<2x3xf32> "x"
      output %y: buffer<2x3xf32> "y"
      constant %c0: buffer<3xf32> = [1.0, 2.0, 3.0]
      workspace %t0: buffer<6xf32> at 0
      for %i = 0 to 6 vectorize(8) {
        %t0[%i] = add(%x[%i], %c0[rem(%i, 3)])
      }
      for %j = 0 to 6 {
        let %v: f32 = %t0[%j]
        if gt(%v, 2.5:f32) {
          %v := 2.5:f32
        } else {
          %v := neg(%v)
        }
        %y[%j] = %v
      }
      call kiln_copy_f32({6:i32, -1.5:f32}, &%t0[0], null, 7:i32)
    }
    """;

  @Test
  void printed_form_is_canonical_and_parses_to_the_same_meaning() {
    LoopFunc f = LoopParser.parse(NET, "net.loop");
    assertEquals(NET, LoopPrinter.print(f));
    assertEquals(List.of("x"), f.inputs().stream().map(Buffer::sourceName).toList());
    assertEquals(3, f.constants().getFirst().data().size());
    Stmt.Call call = (Stmt.Call) f.body().getLast();
    assertEquals(
      List.of(Stmt.Struct.class, Stmt.Pointer.class, Stmt.Null.class, Stmt.Value.class),
      call.args().stream().map(Object::getClass).toList()
    );
    Stmt.For loop = (Stmt.For) f.body().getFirst();
    assertEquals(Schedule.vectorized(8), loop.schedule());
  }

  @Test
  void comments_blank_lines_and_several_functions() {
    String text = "// RUN: kiln opt %s\n\n" + NET + "// -----\n" + NET.replace("@net", "@other");
    List<LoopFunc> funcs = LoopParser.parseAll(text, "two.loop");
    assertEquals(List.of("net", "other"), funcs.stream().map(LoopFunc::name).toList());
  }

  @Test
  void large_and_nan_constants_keep_their_bytes() {
    String text = """
      loop.func @k workspace 0 {
        output %y: buffer<f32> "y"
        constant %c0: buffer<2xf32> = 0x0100C07F0000803F
        %y[0] = %c0[1]
      }
      """;
    LoopFunc f = LoopParser.parse(text, "k.loop");
    assertEquals("0x0100C07F0000803F", f.constants().getFirst().data().toHex());
    assertEquals(text, LoopPrinter.print(f));
  }

  /** Each row: a statement of {@code @f}, where the error points (line, column), its message. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
    delimiter = '|',
    textBlock = """
    %y[0] = %z[0]          | 4 | 11 | unknown buffer %z
    %y[0] = %v             | 4 | 11 | unknown variable %v
    %y[0] = 1:i32          | 4 |  3 | store of i32 into %y of f32
    for %i = 0 6 { }       | 4 | 14 | expected 'to', found '6'
    %y[0] = frob(1.0:f32)  | 4 | 11 | unknown operation 'frob'
    %y[0] = add(1.0:f32)   | 4 | 14 | expected 2 operands, found 1
    %y[0] = 1.5e:f32       | 4 | 11 | expected a number, found '1.5e'
    let %v: f33 = 0        | 4 | 11 | unknown scalar type 'f33'
    %x[0] = 1.0:f32        | 1 |  1 | store into input %x
    """
  )
  void errors_point_at_their_cause(String stmt, int line, int column, String message) {
    assertError(stmt, line, column, message);
  }

  @Test
  void truncated_input_says_so() {
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      LoopParser.parse("loop.func @f workspace 0 {\n", "t.loop")
    );
    assertEquals(
      "expected a statement or '}', found the end of the input",
      e.diagnostics().getFirst().message()
    );
  }

  private static void assertError(String stmt, int line, int column, String message) {
    String text =
      "loop.func @f workspace 0 {\n" +
      "  input %x: buffer<f32> \"x\"\n" +
      "  output %y: buffer<f32> \"y\"\n" +
      "  " +
      stmt +
      "\n}\n";
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      LoopParser.parse(text, "f.loop")
    );
    Diagnostic d = e.diagnostics().getFirst();
    assertEquals(message, d.message());
    assertEquals(new Location.FileLine("f.loop", line, column), d.location());
  }
}
