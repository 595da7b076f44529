package dev.kiln.onnx.ops;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Region;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Concat;
import dev.kiln.ir.op.Loop;
import dev.kiln.ir.op.Scan;
import dev.kiln.ir.op.Shapes;
import dev.kiln.ir.op.Slice;
import dev.kiln.onnx.ConverterRegistry;
import dev.kiln.onnx.ImportContext;
import dev.kiln.onnx.OnnxError;
import dev.kiln.onnx.OnnxGraph;
import dev.kiln.onnx.OnnxNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * ONNX {@code Loop} and {@code Scan}. A loop whose trip count and conditions are known at compile
 * time is unrolled (its iteration number then is a constant inside each copy of the body);
 * otherwise it becomes {@code nn.loop}. {@code Scan} becomes {@code nn.scan}; the opset-8 form,
 * with a batch dimension in front, becomes one {@code nn.scan} per batch entry.
 */
public final class LoopConverters {

  /** The most iterations a loop is unrolled to. */
  static final long UNROLL_LIMIT = 1024;

  private LoopConverters() {}

  public static void register(ConverterRegistry r) {
    r.add("Loop", 1, LoopConverters::loop);
    r.add("Scan", 8, LoopConverters::scan8);
    r.add("Scan", 9, LoopConverters::scan);
  }

  private static OnnxGraph body(OnnxNode n) {
    return n.getGraph("body").orElseThrow(() -> new OnnxError("attribute 'body' is required"));
  }

  private static List<Value> loop(OnnxNode n, ImportContext c) {
    OnnxGraph body = body(n);
    List<Value> initial = new ArrayList<>();
    for (int i = 2; i < n.inputs().size(); i++) {
      OnnxError.check(n.hasInput(i), "loop-carried input %d is absent", i - 2);
      initial.add(n.input(i));
    }
    Optional<List<Value>> unrolled = unroll(n, c, body, initial);
    if (unrolled.isPresent()) {
      return unrolled.get();
    }
    Value trip = n.hasInput(0)
      ? n.input(0)
      : c.constant(Tensor.ofLongs(TensorType.of(ElementType.I64), Long.MAX_VALUE));
    Value cond = n.hasInput(1)
      ? n.input(1)
      : c.constant(Tensor.ofLongs(TensorType.of(ElementType.BOOL), 1));
    OnnxError.check(
      trip.type().elementType() == ElementType.I64,
      "the trip count must be int64, got %s",
      trip.type().elementType()
    );
    List<TensorType> fixed = List.of(
      TensorType.of(ElementType.I64),
      TensorType.of(ElementType.BOOL)
    );
    Region region = importStable(c, body, fixed, types(initial), 1);
    List<Value> operands = new ArrayList<>(List.of(trip, cond));
    operands.addAll(initial);
    return new ArrayList<>(c.emitWithRegions(new Loop(), operands, List.of(region)));
  }

  private static Optional<List<Value>> unroll(
    OnnxNode n,
    ImportContext c,
    OnnxGraph body,
    List<Value> initial
  ) {
    Optional<Tensor> trip = n.hasInput(0) ? c.constantValue(n.input(0)) : Optional.empty();
    Optional<Tensor> cond0 = n.hasInput(1)
      ? c.constantValue(n.input(1))
      : Optional.of(Tensor.ofLongs(TensorType.of(ElementType.BOOL), 1));
    if (trip.isEmpty() || cond0.isEmpty()) {
      return Optional.empty();
    }
    long max = trip.get().getLong(0);
    if (max > UNROLL_LIMIT) {
      return Optional.empty();
    }
    boolean cond = cond0.get().getLong(0) != 0;
    List<Value> state = initial;
    List<List<Value>> scans = new ArrayList<>();
    int carried = initial.size();
    long iterations = 0;
    for (long i = 0; i < max && cond; i++) {
      List<Value> args = new ArrayList<>();
      args.add(c.constant(Tensor.ofLongs(TensorType.of(ElementType.I64), i)));
      args.add(c.constant(Tensor.ofLongs(TensorType.of(ElementType.BOOL), 1)));
      args.addAll(state);
      List<Value> out = c.inlineSubgraph(body, args);
      OnnxError.check(
        out.size() >= 1 + carried,
        "the body returns %d values, needs at least %d",
        out.size(),
        1 + carried
      );
      Optional<Tensor> next = c.constantValue(out.getFirst());
      if (next.isEmpty()) {
        return Optional.empty();
      }
      cond = next.get().getLong(0) != 0;
      state = out.subList(1, 1 + carried);
      for (int k = 1 + carried; k < out.size(); k++) {
        if (scans.size() < k - carried) {
          scans.add(new ArrayList<>());
        }
        scans.get(k - 1 - carried).add(ShapeConverters.unsqueeze(c, out.get(k), List.of(0L)));
      }
      iterations++;
    }
    if (iterations == 0 && n.numOutputs() > carried) {
      return Optional.empty();
    }
    List<Value> results = new ArrayList<>(state);
    for (List<Value> parts : scans) {
      results.add(
        parts.size() == 1 ? parts.getFirst() : c.emitAll(new Concat(0), parts).getFirst()
      );
    }
    return Optional.of(results);
  }

  /**
   * Imports {@code body} with arguments {@code fixed} followed by {@code state}; where a state the
   * body returns (at {@code offset} among its results) differs in shape from the one it received,
   * the differing dimensions become unknown and the body is imported again.
   */
  private static Region importStable(
    ImportContext c,
    OnnxGraph body,
    List<TensorType> fixed,
    List<TensorType> state,
    int offset
  ) {
    List<TensorType> current = state;
    for (int attempt = 0; ; attempt++) {
      List<TensorType> args = new ArrayList<>(fixed);
      args.addAll(current);
      Region region = c.importSubgraph(body, args);
      List<TensorType> out = region.resultTypes();
      OnnxError.check(
        out.size() >= offset + current.size(),
        "the body returns %d values, needs at least %d",
        out.size(),
        offset + current.size()
      );
      List<TensorType> joined = new ArrayList<>();
      for (int i = 0; i < current.size(); i++) {
        joined.add(join(current.get(i), out.get(offset + i), i));
      }
      if (joined.equals(current)) {
        return region;
      }
      OnnxError.check(attempt < 2, "the loop-carried types do not settle: %s", joined);
      current = joined;
    }
  }

  private static TensorType join(TensorType a, TensorType b, int i) {
    OnnxError.check(
      a.elementType() == b.elementType() && a.rank() == b.rank(),
      "loop-carried value %d enters as %s and leaves the body as %s",
      i,
      a,
      b
    );
    List<dev.kiln.ir.Dim> dims = new ArrayList<>();
    for (int d = 0; d < a.rank(); d++) {
      dev.kiln.ir.Dim x = a.shape().dim(d);
      dims.add(x.equals(b.shape().dim(d)) ? x : dev.kiln.ir.Dim.UNKNOWN);
    }
    return a.withShape(new dev.kiln.ir.Shape(dims));
  }

  private static List<TensorType> types(List<Value> vs) {
    return vs.stream().map(Value::type).toList();
  }

  private static List<Long> directions(List<Long> ds, String what) {
    for (long d : ds) {
      OnnxError.check(d == 0 || d == 1, "%s must be 0 or 1, got %d", what, d);
    }
    return ds;
  }

  private static List<Value> scan(OnnxNode n, ImportContext c) {
    OnnxGraph body = body(n);
    long m = n.getInt("num_scan_inputs");
    List<Value> inputs = new ArrayList<>();
    for (int i = 0; i < n.inputs().size(); i++) {
      inputs.add(n.input(i));
    }
    OnnxError.check(
      m >= 1 && m <= inputs.size(),
      "num_scan_inputs must be in [1, %d], got %d",
      inputs.size(),
      m
    );
    int states = inputs.size() - (int) m;
    Scan op = new Scan(
      m,
      n.getInts("scan_input_axes", List.of()),
      directions(n.getInts("scan_input_directions", List.of()), "scan_input_directions"),
      n.getInts("scan_output_axes", List.of()),
      directions(n.getInts("scan_output_directions", List.of()), "scan_output_directions")
    );
    return emitScan(c, body, op, inputs.subList(0, states), inputs.subList(states, inputs.size()));
  }

  private static List<Value> emitScan(
    ImportContext c,
    OnnxGraph body,
    Scan op,
    List<Value> states,
    List<Value> scans
  ) {
    OnnxError.check(
      op.scanInputAxes().isEmpty() || op.scanInputAxes().size() == scans.size(),
      "scan_input_axes has %d entries for %d scan inputs",
      op.scanInputAxes().size(),
      scans.size()
    );
    List<TensorType> slices = new ArrayList<>();
    for (int j = 0; j < scans.size(); j++) {
      TensorType t = scans.get(j).type();
      long a = op.scanInputAxes().isEmpty() ? 0 : op.scanInputAxes().get(j);
      OnnxError.check(
        a >= -t.rank() && a < t.rank(),
        "scan input axis %d is out of range for rank %d",
        a,
        t.rank()
      );
      List<dev.kiln.ir.Dim> dims = new ArrayList<>(t.shape().dims());
      dims.remove(Shapes.axis(a, t.rank()));
      slices.add(t.withShape(new dev.kiln.ir.Shape(dims)));
    }
    Region region = importStableScan(c, body, types(states), slices);
    List<Value> operands = new ArrayList<>(states);
    operands.addAll(scans);
    return new ArrayList<>(c.emitWithRegions(op, operands, List.of(region)));
  }

  private static Region importStableScan(
    ImportContext c,
    OnnxGraph body,
    List<TensorType> states,
    List<TensorType> slices
  ) {
    List<TensorType> current = states;
    for (int attempt = 0; ; attempt++) {
      List<TensorType> args = new ArrayList<>(current);
      args.addAll(slices);
      Region region = c.importSubgraph(body, args);
      List<TensorType> out = region.resultTypes();
      OnnxError.check(
        out.size() >= current.size(),
        "the body returns %d values, needs at least %d",
        out.size(),
        current.size()
      );
      List<TensorType> joined = new ArrayList<>();
      for (int i = 0; i < current.size(); i++) {
        joined.add(join(current.get(i), out.get(i), i));
      }
      if (joined.equals(current)) {
        return region;
      }
      OnnxError.check(attempt < 2, "the scan states do not settle: %s", joined);
      current = joined;
    }
  }

  private static List<Value> scan8(OnnxNode n, ImportContext c) {
    OnnxGraph body = body(n);
    long m = n.getInt("num_scan_inputs");
    List<Value> inputs = new ArrayList<>();
    for (int i = 1; i < n.inputs().size(); i++) {
      inputs.add(n.input(i));
    }
    OnnxError.check(
      m >= 1 && m <= inputs.size(),
      "num_scan_inputs must be in [1, %d], got %d",
      inputs.size(),
      m
    );
    int states = inputs.size() - (int) m;
    List<Long> dirs = directions(n.getInts("directions", List.of()), "directions");
    Value first = inputs.get(states);
    OnnxError.check(first.type().rank() >= 2, "scan inputs need a batch and a sequence axis");
    dev.kiln.ir.Dim batchDim = first.type().shape().dim(0);
    dev.kiln.ir.Dim seqDim = first.type().shape().dim(1);
    if (!batchDim.isKnown()) {
      throw new OnnxError(
        "Scan (opset 8) with a batch size unknown at compile time is not supported"
      );
    }
    if (n.hasInput(0)) {
      Tensor lens = c.requireConstant(n.input(0), "sequence_lens");
      for (long len : lens.toLongs()) {
        if (!seqDim.isKnown() || len != seqDim.size()) {
          throw new OnnxError(
            "Scan (opset 8) with sequence_lens shorter than the sequence is not supported"
          );
        }
      }
    }
    Scan op = new Scan(m, List.of(), dirs, List.of(), List.of());
    long batch = batchDim.size();
    List<List<Value>> perBatch = new ArrayList<>();
    for (long b = 0; b < batch; b++) {
      final long bb = b;
      Function<Value, Value> pick = v ->
        ShapeConverters.squeeze(
          c,
          c.emit(new Slice(List.of(0L), List.of(bb), List.of(bb + 1), List.of(1L)), v),
          List.of(0L)
        );
      List<Value> st = inputs.subList(0, states).stream().map(pick).toList();
      List<Value> sc = inputs.subList(states, inputs.size()).stream().map(pick).toList();
      perBatch.add(emitScan(c, body, op, st, sc));
    }
    List<Value> results = new ArrayList<>();
    for (int k = 0; k < perBatch.getFirst().size(); k++) {
      List<Value> parts = new ArrayList<>();
      for (List<Value> r : perBatch) {
        parts.add(ShapeConverters.unsqueeze(c, r.get(k), List.of(0L)));
      }
      results.add(
        parts.size() == 1 ? parts.getFirst() : c.emitAll(new Concat(0), parts).getFirst()
      );
    }
    return results;
  }
}
