package dev.kiln.onnx.ops;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Region;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.If;
import dev.kiln.onnx.ConverterRegistry;
import dev.kiln.onnx.ImportContext;
import dev.kiln.onnx.OnnxError;
import dev.kiln.onnx.OnnxGraph;
import dev.kiln.onnx.OnnxNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * ONNX {@code If}: with a condition known at compile time the taken branch is imported in place;
 * otherwise both branches become the regions of {@code nn.if}. Optional values exist only as
 * tensors or absent inputs: {@code OptionalHasElement} is a constant and {@code
 * OptionalGetElement} of a tensor is that tensor.
 */
public final class ControlFlowConverters {

  private ControlFlowConverters() {}

  public static void register(ConverterRegistry r) {
    r.add("If", 1, ControlFlowConverters::convertIf);
    r.add("OptionalHasElement", 15, (n, c) ->
      List.of(c.constant(Tensor.scalar(ElementType.BOOL, n.hasInput(0) ? 1 : 0)))
    );
    r.add("OptionalGetElement", 15, (n, c) -> {
      OnnxError.check(n.hasInput(0), "the input is required");
      return new ArrayList<>(List.of(n.input(0)));
    });
  }

  private static List<Value> convertIf(OnnxNode n, ImportContext c) {
    OnnxGraph then = n
      .getGraph("then_branch")
      .orElseThrow(() -> new OnnxError("attribute 'then_branch' is required"));
    OnnxGraph otherwise = n
      .getGraph("else_branch")
      .orElseThrow(() -> new OnnxError("attribute 'else_branch' is required"));
    Value cond = n.input(0);
    Optional<Tensor> known = c.constantValue(cond);
    if (known.isPresent()) {
      OnnxError.check(
        known.get().size() == 1,
        "the condition must hold one element, got %d",
        known.get().size()
      );
      return new ArrayList<>(c.inlineSubgraph(known.get().getLong(0) != 0 ? then : otherwise));
    }
    List<Region> regions = List.of(
      c.importSubgraph(then, List.of()),
      c.importSubgraph(otherwise, List.of())
    );
    return new ArrayList<>(c.emitWithRegions(new If(), List.of(cond), regions));
  }
}
