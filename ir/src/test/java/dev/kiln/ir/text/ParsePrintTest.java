package dev.kiln.ir.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.DiagnosticRenderer;
import dev.kiln.ir.Module;
import dev.kiln.ir.Verifier;
import org.junit.jupiter.api.Test;

class ParsePrintTest {

  static final String CONV = """
    func @main(%x: tensor<1x3x8x8xf32>) -> (tensor<1x4x4x4xf32>) {
      %w = nn.constant {value = dense<0.5> : tensor<4x3x3x3xf32>} : tensor<4x3x3x3xf32>
      %b = nn.constant {value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : tensor<4xf32>
      %0 = nn.conv(%x, %w, %b) {pads = [1, 1, 1, 1], strides = [2, 2]} : tensor<1x4x4x4xf32>
      %1 = nn.relu(%0) : tensor<1x4x4x4xf32>
      return %1 : tensor<1x4x4x4xf32>
    }
    """;

  @Test
  void conv_relu_round_trips_exactly() {
    Module m = ModuleParser.parse(CONV, "conv.kir");
    assertTrue(Verifier.verify(m).isEmpty());
    assertEquals(CONV, Printer.print(m));
  }

  @Test
  void large_constant_moves_to_resources_and_back() {
    String text = """
      func @f() -> (tensor<2x10xf32>) {
        %w = nn.constant {value = resource<w> : tensor<2x10xf32>} : tensor<2x10xf32>
        return %w : tensor<2x10xf32>
      }
      """;
    StringBuilder hex = new StringBuilder("0x");
    for (int i = 0; i < 20; i++) {
      hex.append(String.format("%08X", Integer.reverseBytes(Float.floatToIntBits(i))));
    }
    String withResources =
      text.replace("resource<w> : tensor<2x10xf32>", "resource<w>") +
      "\nresources {\n  w: tensor<2x10xf32> = \"" +
      hex +
      "\"\n}\n";
    Module m = ModuleParser.parse(withResources, "r.kir");
    assertEquals(withResources, Printer.print(m));
    String elided = Printer.print(m, PrintOptions.DEFAULT.withElideOver(4));
    assertTrue(elided.contains("w: tensor<2x10xf32> = elided"), elided);
    assertEquals(
      elided,
      Printer.print(ModuleParser.parse(elided, "e.kir"), PrintOptions.DEFAULT.withElideOver(4))
    );
  }

  @Test
  void type_error_names_line_and_column() {
    String text = """
      func @f(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> (tensor<2x3xf32>) {
        %0 = nn.add(%a, %b) : tensor<2x3xf32>
        return %0 : tensor<2x3xf32>
      }
      """;
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      ModuleParser.parse(text, "t.kir")
    );
    String shown = new DiagnosticRenderer("t.kir")
      .withSource("t.kir", text)
      .render(e.diagnostics());
    assertTrue(
      shown.startsWith("t.kir:2:8: error: nn.add: shapes [2, 3] and [4] do not broadcast"),
      shown
    );
    assertTrue(shown.contains("\n       ^\n"), shown);
  }
}
