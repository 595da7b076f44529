package dev.kiln.pass;

import dev.kiln.analysis.MemoryPlan;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Func;
import dev.kiln.ir.Module;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code plan-memory}: computes the {@link MemoryPlan} of every function over its final schedule
 * and records it; the IR is left unchanged, so this pass belongs at the end of a pipeline. A
 * function with a dynamic shape gets no plan; the reason is recorded instead, so a pipeline still
 * runs on such models (a backend that needs the plan reports the reason).
 *
 * <p>With every tensor of type {@code tensor<16xf32>} (64 bytes):
 *
 * <pre>
 * %a = nn.exp(%x)         ==>   IR unchanged; plans().get("main"): arena 128 bytes,
 * %b = nn.relu(%a)              %a at 0 (steps 0..2), %b at 64 (steps 1..2),
 * %c = nn.add(%a, %b)           %c in place of %a (steps 2..3), %d the caller's output
 * %d = nn.neg(%c)
 * return %d
 * </pre>
 */
public final class PlanMemory implements Pass {

  private final Map<String, MemoryPlan> plans = new LinkedHashMap<>();
  private final Map<String, String> unplanned = new LinkedHashMap<>();

  @Override
  public String name() {
    return "plan-memory";
  }

  @Override
  public void run(Module module, PassContext ctx) {
    plans.clear();
    unplanned.clear();
    for (Func f : module.funcs()) {
      try {
        plans.put(f.name(), MemoryPlan.of(f));
      } catch (DiagnosticException e) {
        unplanned.put(f.name(), e.getMessage());
      }
    }
  }

  /** The plan of each function that has static shapes, by function name, from the last run. */
  public Map<String, MemoryPlan> plans() {
    return Collections.unmodifiableMap(plans);
  }

  /** Why each function without a plan has none, by function name, from the last run. */
  public Map<String, String> unplanned() {
    return Collections.unmodifiableMap(unplanned);
  }
}
