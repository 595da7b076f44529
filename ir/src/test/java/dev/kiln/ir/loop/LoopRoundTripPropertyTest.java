package dev.kiln.ir.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.DiagnosticRenderer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The Loop IR text is a fixed point after one parse: for random well-formed functions ({@link
 * LoopFuncGenerator}) {@code print(parse(print(f))) == print(f)}, and the parsed function passes
 * {@link LoopFunc}'s verification (its constructor).
 */
class LoopRoundTripPropertyTest {

  @Property(tries = 300)
  void print_parse_print_is_a_fixed_point(
    @ForAll long seed,
    @ForAll @IntRange(min = 0, max = 40) int statements
  ) {
    LoopFunc f = LoopFuncGenerator.generate(seed, statements);
    String text = LoopPrinter.print(f);
    LoopFunc parsed;
    try {
      parsed = LoopParser.parse(text, "random.loop");
    } catch (DiagnosticException e) {
      throw new AssertionError(
        new DiagnosticRenderer("random.loop")
          .withSource("random.loop", text)
          .render(e.diagnostics()),
        e
      );
    }
    assertEquals(text, LoopPrinter.print(parsed));
  }
}
