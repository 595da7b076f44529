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

  static final String LOW_PRECISION = """
    func @main(%x: tensor<4xf8e4m3fn>, %y: tensor<2x3xi4>) -> (tensor<4xf8e5m2>, tensor<2x3xu2>) {
      %a = nn.constant {value = dense<[0.5, -240.0, 1.5, 0.0]> : tensor<4xf8e4m3fnuz>} : tensor<4xf8e4m3fnuz>
      %b = nn.constant {value = dense<[[-8, 7, 0], [1, 2, 3]]> : tensor<2x3xi4>} : tensor<2x3xi4>
      %c = nn.constant {value = dense<[1.0, 4.0, 6.0, -0.5]> : tensor<4xf4e2m1>} : tensor<4xf4e2m1>
      %d = nn.constant {value = dense<[1.0, 2.0, 0.5, 1024.0]> : tensor<4xf8e8m0>} : tensor<4xf8e8m0>
      %e = nn.constant {value = dense<[15, 0]> : tensor<2xu4>} : tensor<2xu4>
      %f = nn.constant {value = dense<[-2, 1]> : tensor<2xi2>} : tensor<2xi2>
      %g = nn.constant {value = dense<[-57344.0, 0.5]> : tensor<2xf8e5m2fnuz>} : tensor<2xf8e5m2fnuz>
      %0 = nn.cast(%x) {roundMode = down, saturate = false, to = f8e5m2} : tensor<4xf8e5m2>
      %1 = nn.cast(%y) {to = u2} : tensor<2x3xu2>
      return %0, %1 : tensor<4xf8e5m2>, tensor<2x3xu2>
    }
    """;

  @Test
  void low_precision_types_round_trip_exactly() {
    Module m = ModuleParser.parse(LOW_PRECISION, "lp.kir");
    assertTrue(Verifier.verify(m).isEmpty());
    assertEquals(LOW_PRECISION, Printer.print(m));
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
