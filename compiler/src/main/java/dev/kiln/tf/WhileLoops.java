package dev.kiln.tf;

import dev.kiln.ir.Block;
import dev.kiln.ir.Builder;
import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Location;
import dev.kiln.ir.Node;
import dev.kiln.ir.Region;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Add;
import dev.kiln.ir.op.Loop;
import dev.kiln.ir.op.Return;
import dev.kiln.tf.TensorArrays.Carried;
import dev.kiln.tf.TensorArrays.Content;
import dev.kiln.tf.TensorArrays.Flow;
import dev.kiln.tf.TensorArrays.Written;
import dev.kiln.tf.TfImporter.Ref;
import dev.kiln.tf.TfImporter.Scope;
import dev.kiln.tf.proto.TfProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A TF1 while loop (one frame of {@link Frames}) as {@code nn.loop}. TensorFlow tests the
 * condition before every iteration, {@code nn.loop} after: the condition's nodes are imported
 * twice, once outside on the initial values (the loop's {@code cond} operand) and once in the body
 * on the values the iteration passes to {@code NextIteration}. Each {@code Merge} is a loop
 * variable: its {@code Enter} input gives the initial value, its {@code NextIteration} input the
 * next one, its {@code Switch}'s true output the value inside the body, and the {@code Exit} on
 * the false output the final value. Other {@code Enter}s are loop invariants the body captures. A
 * TensorArray carried by the loop and written once per iteration at the iteration number (a loop
 * variable that starts at 0 and adds 1) becomes a scan output, stacked along a new leading axis;
 * arrays only read in the loop are captured and read with {@code nn.gather}. Loop variables whose
 * shape changes between iterations get unknown dimensions.
 *
 * <pre>
 * Enter(x) -> Merge -> Switch -true-> body -> NextIteration -> Merge     ==>
 *                        `-false-> Exit                                     nn.loop(max, cond(x), x)
 * Merge -> cond -> LoopCond -> Switch                                        { body; cond(next) }
 * </pre>
 */
final class WhileLoops {

  private WhileLoops() {}

  /** Imports loop {@code f} into the importer's current scope and binds its {@code Exit}s. */
  static void importLoop(TfImporter imp, Frames.Frame f) {
    Scope outer = imp.scope();
    Builder outerBuilder = imp.builder;
    Location loc = Location.named(f.name);
    List<Object> initial = new ArrayList<>();
    for (TfProto.NodeDef m : f.merges) {
      initial.add(outer.get(Ref.parse(enterOf(imp, m).getInput(0)).key()));
    }
    for (TfProto.NodeDef e : f.enters) {
      if (outer.get(Ref.parse(e.getInput(0)).key()) == TfImporter.POISON) {
        poisonExits(f, outer);
        return;
      }
    }
    Scope first = enterScope(imp, f, outer);
    bindMerges(f, first, initial);
    imp.setScope(first);
    Object cond0 = evaluate(imp, f, condRef(f));
    imp.setScope(outer);
    if (cond0 == TfImporter.POISON) {
      poisonExits(f, outer);
      return;
    }
    List<TensorType> types = new ArrayList<>();
    for (int k = 0; k < initial.size(); k++) {
      if (initial.get(k) instanceof Value v) {
        types.add(v.type());
      } else if (!(initial.get(k) instanceof Flow)) {
        throw new TfError(
          "loop variable " + f.merges.get(k).getName() + " enters with a TensorArray handle"
        );
      }
    }
    Body body = null;
    for (int attempt = 0; body == null || !body.settled(types); attempt++) {
      if (body != null) {
        TfError.check(
          attempt < 3,
          "the shapes of the loop variables of '%s' do not settle",
          f.name
        );
        types = body.joined(types);
      }
      body = body(imp, f, outer, initial, types);
      imp.setScope(outer);
      imp.builder = outerBuilder;
      if (body == null) {
        poisonExits(f, outer);
        return;
      }
    }
    TfContext c = imp.context(loc);
    Value trip = c.constant(Tensor.ofLongs(TensorType.of(ElementType.I64), Long.MAX_VALUE));
    Value cond = condition(c, cond0, f);
    List<Value> operands = new ArrayList<>(List.of(trip, cond));
    for (Object o : initial) {
      if (o instanceof Value v) {
        operands.add(v);
      }
    }
    List<Value> results = imp.emitWithRegion(new Loop(), operands, body.region, loc);
    int carried = types.size();
    List<Object> finals = new ArrayList<>();
    int regular = 0;
    int scan = carried;
    for (int k = 0; k < initial.size(); k++) {
      if (initial.get(k) instanceof Value) {
        finals.add(results.get(regular++));
      } else if (body.next.get(k) instanceof Written w) {
        finals.add(new Content(w.handle(), results.get(scan++)));
      } else {
        finals.add(initial.get(k));
      }
    }
    for (TfProto.NodeDef e : f.exits) {
      TfProto.NodeDef merge = f.switchMerge.get(Ref.parse(e.getInput(0)).node());
      outer.put(e.getName() + ":0", finals.get(f.merges.indexOf(merge)));
    }
  }

  /** One import of the loop body into a fresh region. */
  private record Body(Region region, List<Object> next, List<TensorType> resultTypes) {
    boolean settled(List<TensorType> types) {
      return joined(types).equals(types);
    }

    List<TensorType> joined(List<TensorType> types) {
      List<TensorType> out = new ArrayList<>();
      for (int k = 0; k < types.size(); k++) {
        TensorType a = types.get(k);
        TensorType b = resultTypes.get(k);
        TfError.check(
          a.elementType() == b.elementType() && a.rank() == b.rank(),
          "loop variable %d enters as %s and leaves the body as %s",
          k,
          a,
          b
        );
        List<Dim> dims = new ArrayList<>();
        for (int d = 0; d < a.rank(); d++) {
          Dim x = a.shape().dim(d);
          dims.add(x.equals(b.shape().dim(d)) ? x : Dim.UNKNOWN);
        }
        out.add(a.withShape(new Shape(dims)));
      }
      return out;
    }
  }

  private static Body body(
    TfImporter imp,
    Frames.Frame f,
    Scope outer,
    List<Object> initial,
    List<TensorType> types
  ) {
    Region region = new Region();
    Block block = region.block();
    block.addArgument(TensorType.of(ElementType.I64), f.name + "/iteration");
    block.addArgument(TensorType.of(ElementType.BOOL), f.name + "/cond");
    List<Object> args = new ArrayList<>();
    int regular = 0;
    for (int k = 0; k < initial.size(); k++) {
      if (initial.get(k) instanceof Flow flow) {
        args.add(new Carried(flow.handle(), flow));
      } else {
        args.add(block.addArgument(types.get(regular++), f.merges.get(k).getName()));
      }
    }
    Scope inside = enterScope(imp, f, outer);
    bindMerges(f, inside, args);
    for (TfProto.NodeDef s : f.switches) {
      inside.put(s.getName() + ":1", args.get(f.merges.indexOf(f.switchMerge.get(s.getName()))));
    }
    imp.builder = new Builder(block);
    imp.setScope(inside);
    List<Object> next = new ArrayList<>();
    for (TfProto.NodeDef m : f.merges) {
      TfProto.NodeDef ni = imp.byName.get(Ref.parse(Frames.dataInputs(m).get(1)).node());
      TfError.check(ni.getInputCount() >= 1, "%s has no input", Frames.label(ni));
      next.add(evaluate(imp, f, Ref.parse(ni.getInput(0))));
    }
    Scope again = enterScope(imp, f, outer);
    bindMerges(f, again, next);
    imp.setScope(again);
    Object cond = evaluate(imp, f, condRef(f));
    if (cond == TfImporter.POISON || next.contains(TfImporter.POISON)) {
      return null;
    }
    TfContext c = imp.context(Location.named(f.loopCond().getName()));
    List<Value> results = new ArrayList<>(List.of(condition(c, cond, f)));
    List<TensorType> resultTypes = new ArrayList<>();
    List<Value> scans = new ArrayList<>();
    for (int k = 0; k < initial.size(); k++) {
      String merge = f.merges.get(k).getName();
      Object n = next.get(k);
      if (args.get(k) instanceof Value) {
        if (!(n instanceof Value v)) {
          throw new TfError("loop variable " + merge + " leaves the body as a TensorArray");
        }
        results.add(v);
        resultTypes.add(v.type());
      } else if (n instanceof Written w && w.from() == args.get(k)) {
        checkIterationIndex(imp, f, w, args, initial, next);
        scans.add(w.element());
      } else if (n != args.get(k)) {
        throw new TfError(
          "the TensorArray of loop variable " +
          merge +
          " must be written exactly once per iteration, or not at all"
        );
      }
    }
    results.addAll(scans);
    imp.builder.create(new Return(), results, Location.named(f.name));
    return new Body(region, next, resultTypes);
  }

  /**
   * Checks that {@code w} writes at the iteration number: its index is a loop variable that starts
   * at 0 and grows by 1 per iteration, so the scan output's element {@code i} is the write of
   * iteration {@code i}.
   */
  private static void checkIterationIndex(
    TfImporter imp,
    Frames.Frame f,
    Written w,
    List<Object> args,
    List<Object> initial,
    List<Object> next
  ) {
    int k = args.indexOf(w.index());
    boolean counter = false;
    if (k >= 0 && initial.get(k) instanceof Value init && next.get(k) instanceof Value step) {
      TfContext c = imp.context(Location.UNKNOWN);
      Optional<Tensor> start = c.constantValue(init);
      Node add = step.definingNode();
      counter =
        start.isPresent() &&
        start.get().size() == 1 &&
        start.get().getLong(0) == 0 &&
        add != null &&
        add.op() instanceof Add &&
        add.operands().contains(w.index()) &&
        add
          .operands()
          .stream()
          .anyMatch(
            o ->
              o != w.index() &&
              c
                .constantValue(o)
                .map(t -> t.size() == 1 && t.getLong(0) == 1)
                .orElse(false)
          );
    }
    TfError.check(
      counter,
      "a TensorArray written in while loop '%s' at an index other than the iteration number is not supported",
      f.name
    );
  }

  private static Value condition(TfContext c, Object cond, Frames.Frame f) {
    if (
      cond instanceof Value v &&
      v.type().elementType() == ElementType.BOOL &&
      v.type().shape().numElements().orElse(0L) == 1
    ) {
      return v;
    }
    throw new TfError(
      "the condition of while loop '" + f.name + "' must be a single bool, got " + describe(cond)
    );
  }

  private static String describe(Object o) {
    return o instanceof Value v ? v.type().toString() : "a TensorArray";
  }

  private static Ref condRef(Frames.Frame f) {
    TfProto.NodeDef lc = f.loopCond();
    TfError.check(lc.getInputCount() >= 1, "%s has no input", Frames.label(lc));
    return Ref.parse(lc.getInput(0));
  }

  private static Object evaluate(TfImporter imp, Frames.Frame f, Ref target) {
    for (TfProto.NodeDef n : imp.order(List.of(target), f, Set.of())) {
      imp.importNode(n);
    }
    Object v = imp.scope().get(target.key());
    if (v == null) {
      throw new TfError("node '" + target.node() + "' has no output " + target.index());
    }
    return v;
  }

  private static TfProto.NodeDef enterOf(TfImporter imp, TfProto.NodeDef merge) {
    return imp.byName.get(Ref.parse(Frames.dataInputs(merge).get(0)).node());
  }

  private static Scope enterScope(TfImporter imp, Frames.Frame f, Scope outer) {
    Scope s = new Scope(outer);
    for (TfProto.NodeDef e : f.enters) {
      s.put(e.getName() + ":0", outer.get(Ref.parse(e.getInput(0)).key()));
    }
    return s;
  }

  private static void bindMerges(Frames.Frame f, Scope s, List<Object> values) {
    for (int k = 0; k < f.merges.size(); k++) {
      s.put(f.merges.get(k).getName() + ":0", values.get(k));
    }
  }

  private static void poisonExits(Frames.Frame f, Scope outer) {
    for (TfProto.NodeDef e : f.exits) {
      outer.put(e.getName() + ":0", TfImporter.POISON);
    }
  }
}
