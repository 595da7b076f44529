package dev.kiln.pass;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** Every pass a pipeline may name, by flag. */
public final class PassRegistry {

  private static final Map<String, Supplier<Pass>> PASSES = new LinkedHashMap<>();

  static {
    register(DeadCodeElimination::new);
    register(CommonSubexpressionElimination::new);
    register(Canonicalize::new);
    register(ConstantFold::new);
    register(PlanMemory::new);
    register(FoldConvBatchNorm::new);
    register(FuseActivation::new);
    register(ConvertLayout::new);
    register(FuseQdq::new);
  }

  private PassRegistry() {}

  private static void register(Supplier<Pass> s) {
    PASSES.put(s.get().name(), s);
  }

  public static Optional<Pass> create(String name) {
    return Optional.ofNullable(PASSES.get(name)).map(Supplier::get);
  }

  public static List<String> names() {
    return List.copyOf(PASSES.keySet());
  }
}
