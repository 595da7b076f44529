package dev.kiln.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.conformance.Tolerance;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.BlockArgument;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Func;
import dev.kiln.ir.Module;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.text.PrintOptions;
import dev.kiln.pass.PassManager;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Numeric equivalence of a pass pipeline: builds a module twice, runs the pipeline (verifying after
 * each pass) on the second copy, and runs the interpreter on every function of both copies with the
 * same seeded random inputs, comparing outputs. Floats are drawn uniformly from [-1, 1), integers
 * from [0, 3], booleans fairly; unknown or symbolic dimensions become 2. Integer, boolean and
 * float8 outputs must match exactly, other floats within the tolerance. A function whose original
 * form fails on the drawn inputs (an index out of range, say) is not compared.
 */
public final class PassEquivalence {

  /**
   * What was compared: functions run before and after, those whose original failed, and the module
   * after the pipeline.
   */
  public record Report(int compared, List<String> skipped, Module after) {}

  /** Floats within rtol 1e-4, atol 1e-5: folding reassociates nothing, fusions round differently. */
  public static final Tolerance DEFAULT_TOLERANCE = new Tolerance(1e-4, 1e-5);

  private PassEquivalence() {}

  /** {@link #check(Supplier, String, Tolerance, long, int)} with one trial and the defaults. */
  public static Report check(Supplier<Module> source, String pipeline, long seed) {
    return check(source, pipeline, DEFAULT_TOLERANCE, seed, 1);
  }

  /**
   * Fails the calling test when some function of the module {@code source} builds computes
   * different outputs after {@code pipeline} (comma-separated pass names), on {@code trials} input
   * sets drawn from {@code seed}.
   */
  public static Report check(
    Supplier<Module> source,
    String pipeline,
    Tolerance tolerance,
    long seed,
    int trials
  ) {
    Module before = source.get();
    Module after = source.get();
    PassManager.parse(
      pipeline,
      new PassManager.Options(true, false, Set.of(), false, false, PrintOptions.DEFAULT)
    ).run(after, new PrintStream(OutputStream.nullOutputStream()));
    int compared = 0;
    List<String> skipped = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(seed);
    for (Func f : before.funcs()) {
      Func g = after
        .func(f.name())
        .orElseThrow(() -> new AssertionError(pipeline + " removed @" + f.name()));
      for (int trial = 0; trial < trials; trial++) {
        List<Tensor> inputs = new ArrayList<>();
        for (BlockArgument a : f.arguments()) {
          inputs.add(random(a.type(), random));
        }
        List<Tensor> want;
        try {
          want = Interpreter.run(f, inputs);
        } catch (DiagnosticException e) {
          skipped.add("@" + f.name() + ": " + e.diagnostics().getFirst().message());
          break;
        }
        List<Tensor> got = Interpreter.run(g, inputs);
        assertEquals(want.size(), got.size(), "@" + f.name() + " result count after " + pipeline);
        for (int i = 0; i < want.size(); i++) {
          String why = tolerance.mismatch(got.get(i), want.get(i));
          if (why != null) {
            fail("@" + f.name() + " result " + i + " after " + pipeline + ": " + why);
          }
        }
        compared++;
      }
    }
    return new Report(compared, skipped, after);
  }

  /** A tensor of {@code type} with unknown dimensions set to 2, filled from {@code r}. */
  public static Tensor random(TensorType type, SplittableRandom r) {
    List<Dim> dims = new ArrayList<>();
    for (Dim d : type.shape().dims()) {
      dims.add(d.isKnown() ? d : Dim.of(2));
    }
    Tensor.Builder b = new Tensor.Builder(type.withShape(new Shape(dims)));
    for (long i = 0; i < b.size(); i++) {
      if (type.elementType().isFloat()) {
        b.setDouble(i, r.nextDouble(-1, 1));
      } else if (type.elementType().isBool()) {
        b.setLong(i, r.nextBoolean() ? 1 : 0);
      } else {
        b.setLong(i, r.nextInt(4));
      }
    }
    return b.build();
  }
}
