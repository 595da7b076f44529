package dev.kiln.testing;

import dev.kiln.conformance.Tolerance;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.BlockArgument;
import dev.kiln.ir.Func;
import dev.kiln.ir.Module;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.pass.PassManager;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Numeric equivalence of a pass pipeline: runs every function of a module in the interpreter on
 * seeded random inputs, applies the pipeline (verifying after each pass), runs the functions again
 * on the same inputs and compares the results within a tolerance.
 */
public final class InterpreterEquivalence {

  private InterpreterEquivalence() {}

  /** Uniform values in [-1, 1) for floats, in [-3, 3] for integers, random booleans. */
  public static Tensor random(TensorType type, long seed) {
    if (!type.isStatic()) {
      throw new IllegalArgumentException("random input needs a static type, got " + type);
    }
    SplittableRandom r = new SplittableRandom(seed);
    Tensor.Builder b = new Tensor.Builder(type);
    for (long i = 0; i < b.size(); i++) {
      switch (type.elementType()) {
        case BOOL -> b.setLong(i, r.nextInt(2));
        default -> {
          if (type.elementType().isFloat()) {
            b.setDouble(i, r.nextDouble(-1, 1));
          } else {
            b.setLong(i, r.nextInt(-3, 4));
          }
        }
      }
    }
    return b.build();
  }

  /** Seeded random inputs for the arguments of {@code f}. */
  public static List<Tensor> inputs(Func f, long seed) {
    List<Tensor> in = new ArrayList<>();
    long s = seed;
    for (BlockArgument a : f.entry().arguments()) {
      in.add(random(a.type(), s++));
    }
    return in;
  }

  /**
   * Applies {@code pipeline} to {@code module} in place and returns null when every function gives
   * the same results before and after within {@code tolerance}, or the first difference in words.
   */
  public static String check(Module module, String pipeline, long seed, Tolerance tolerance) {
    List<List<Tensor>> inputs = new ArrayList<>();
    List<List<Tensor>> before = new ArrayList<>();
    for (Func f : module.funcs()) {
      List<Tensor> in = inputs(f, seed);
      inputs.add(in);
      before.add(Interpreter.run(f, in));
    }
    PassManager pm = PassManager.parse(
      pipeline,
      new PassManager.Options(
        true,
        false,
        java.util.Set.of(),
        false,
        false,
        dev.kiln.ir.text.PrintOptions.DEFAULT
      )
    );
    pm.run(module, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    for (int i = 0; i < module.funcs().size(); i++) {
      Func f = module.funcs().get(i);
      List<Tensor> after = Interpreter.run(f, inputs.get(i));
      for (int j = 0; j < after.size(); j++) {
        String m = tolerance.mismatch(after.get(j), before.get(i).get(j));
        if (m != null) {
          return "@" + f.name() + " result " + j + " after " + pipeline + ": " + m;
        }
      }
    }
    return null;
  }
}
