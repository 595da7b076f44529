package dev.kiln.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.ir.Func;
import dev.kiln.ir.Node;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.If;
import dev.kiln.ir.text.ModuleParser;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InterpreterBudgetTest {

  static final String IF = """
    func @f() -> (tensor<2xf32>) {
      %c = nn.constant {value = dense<true> : tensor<bool>} : tensor<bool>
      %a = nn.constant {value = dense<[1.0, 2.0]> : tensor<2xf32>} : tensor<2xf32>
      %r = nn.if(%c) : tensor<2xf32> ({
        %n = nn.neg(%a) : tensor<2xf32>
        return %n : tensor<2xf32>
      }, {
        return %a : tensor<2xf32>
      })
      return %r : tensor<2xf32>
    }
    """;

  /** The nn.if node of {@link #IF} and an environment holding the constants. */
  private static Node ifNode(Map<Value, Tensor> env) {
    Func f = ModuleParser.parse(IF, "if.kir").funcs().getFirst();
    for (Node n : f.entry().nodes()) {
      if (n.op() instanceof Constant(Tensor t)) {
        env.put(n.result(), t);
      }
    }
    return f
      .entry()
      .nodes()
      .stream()
      .filter(n -> n.op() instanceof If)
      .findFirst()
      .orElseThrow();
  }

  @Test
  void evaluates_within_budget() {
    Map<Value, Tensor> env = new IdentityHashMap<>();
    Node n = ifNode(env);
    List<Tensor> r = Interpreter.evaluate(n, env, new Interpreter.Budget(8, 1));
    assertEquals(-1.0, r.getFirst().getDouble(0));
  }

  @Test
  void region_runs_over_budget_throw() {
    Map<Value, Tensor> env = new IdentityHashMap<>();
    Node n = ifNode(env);
    assertThrows(Interpreter.BudgetExceededException.class, () ->
      Interpreter.evaluate(n, env, new Interpreter.Budget(1 << 20, 0))
    );
  }

  @Test
  void results_over_budget_throw() {
    Map<Value, Tensor> env = new IdentityHashMap<>();
    Node n = ifNode(env);
    assertThrows(Interpreter.BudgetExceededException.class, () ->
      Interpreter.evaluate(n, env, new Interpreter.Budget(7, 1))
    );
  }
}
