package dev.kiln.conformance;

import dev.kiln.frontend.ImportedModel;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopInterpreter;
import dev.kiln.lower.Lowering;
import java.util.List;

/**
 * Runs a model the way native code would compute it, without a native toolchain: lowered to Loop
 * IR (no micro-kernel calls) and executed by the {@link LoopInterpreter}. It tests lowering on any
 * machine; {@code --backend loop}.
 */
public final class LoopEngine implements ConformanceRunner.Engine {

  public static final LoopEngine INSTANCE = new LoopEngine();

  private LoopEngine() {}

  @Override
  public List<Tensor> run(ImportedModel m, List<Tensor> args) {
    LoopFunc f = Lowering.lower(
      m.module().funcs().getFirst(),
      "model",
      m.inputNames(),
      m.outputNames(),
      null
    );
    return LoopInterpreter.run(f, args);
  }
}
