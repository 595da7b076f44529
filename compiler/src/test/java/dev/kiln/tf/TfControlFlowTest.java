package dev.kiln.tf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.TextFormat;
import dev.kiln.frontend.ImportOptions;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.frontend.UnsupportedOpsException;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.op.Loop;
import dev.kiln.ir.text.Printer;
import dev.kiln.tf.proto.TfProto.GraphDef;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * TF1 while loops ({@code Enter}/{@code Merge}/{@code Switch}/{@code LoopCond}/{@code
 * NextIteration}/{@code Exit}) and TensorArrays, written as {@code tf.while_loop} and {@code
 * tf.nn.dynamic_rnn} write them, imported as {@code nn.loop} and run by the interpreter.
 */
class TfControlFlowTest {

  static final String FRAME = "while/while_context";

  static String node(String name, String op, List<String> inputs, String... attrs) {
    StringBuilder b = new StringBuilder("node { name: \"" + name + "\" op: \"" + op + "\"");
    for (String in : inputs) {
      b.append(" input: \"").append(in).append('"');
    }
    for (String a : attrs) {
      b.append(' ').append(a);
    }
    return b.append(" }\n").toString();
  }

  static String attr(String key, String value) {
    return "attr { key: \"" + key + "\" value { " + value + " } }";
  }

  static String type(String key, String dtype) {
    return attr(key, "type: " + dtype);
  }

  static String frame(boolean constant) {
    return attr("frame_name", "s: \"" + FRAME + "\"") + " " + attr("is_constant", "b: " + constant);
  }

  static String intConst(String name, int value, String... control) {
    return scalar(name, "DT_INT32", "int_val: " + value, control);
  }

  static String floatConst(String name, double value, String... control) {
    return scalar(name, "DT_FLOAT", "float_val: " + value, control);
  }

  static String scalar(String name, String dtype, String value, String... control) {
    return node(
      name,
      "Const",
      List.of(control),
      type("dtype", dtype),
      attr("value", "tensor { dtype: " + dtype + " tensor_shape {} " + value + " }")
    );
  }

  static String placeholder(String name, String dtype, long... dims) {
    StringBuilder s = new StringBuilder("shape {");
    for (long d : dims) {
      s.append(" dim { size: ").append(d).append(" }");
    }
    return node(name, "Placeholder", List.of(), type("dtype", dtype), attr("shape", s + " }"));
  }

  /**
   * A loop variable {@code v} entering from {@code init}: Enter, Merge, Switch, Identity (the
   * value in the body, {@code while/Identity_v}), Exit; {@code next} feeds NextIteration.
   */
  static String loopVar(String v, String init, String next, String dtype) {
    return loopVar("while", FRAME, v, init, next, dtype);
  }

  static String loopVar(String p, String frame, String v, String init, String next, String dt) {
    String f = attr("frame_name", "s: \"" + frame + "\"");
    return (
      node(p + "/Enter_" + v, "Enter", List.of(init), f, type("T", dt)) +
      node(p + "/Merge_" + v, "Merge", List.of(p + "/Enter_" + v, p + "/NextIteration_" + v)) +
      node(p + "/Switch_" + v, "Switch", List.of(p + "/Merge_" + v, p + "/LoopCond")) +
      node(p + "/Identity_" + v, "Identity", List.of(p + "/Switch_" + v + ":1")) +
      node(p + "/NextIteration_" + v, "NextIteration", List.of(next)) +
      node(p + "/Exit_" + v, "Exit", List.of(p + "/Switch_" + v))
    );
  }

  /** {@code i = 0; while i < limit: i += 1; x = x * factor} in frame {@code p}, on tensor {@code x}. */
  static String counted(String p, String x, int limit, double factor) {
    String frame = p + "/ctx";
    return (
      intConst(p + "/zero", 0) +
      loopVar(p, frame, "i", p + "/zero", p + "/add", "DT_INT32") +
      loopVar(p, frame, "x", x, p + "/mul", "DT_FLOAT") +
      intConst(p + "/Less/y", limit, "^" + p + "/Merge_i") +
      node(p + "/Less", "Less", List.of(p + "/Merge_i", p + "/Less/y")) +
      node(p + "/LoopCond", "LoopCond", List.of(p + "/Less")) +
      intConst(p + "/add/y", 1, "^" + p + "/Identity_i") +
      node(p + "/add", "Add", List.of(p + "/Identity_i", p + "/add/y")) +
      floatConst(p + "/mul/y", factor, "^" + p + "/Identity_i") +
      node(p + "/mul", "Mul", List.of(p + "/Identity_x", p + "/mul/y"))
    );
  }

  static GraphDef parse(String text) throws TextFormat.ParseException {
    GraphDef.Builder b = GraphDef.newBuilder();
    TextFormat.merge("versions { producer: 27 }\n" + text, b);
    return b.build();
  }

  static ImportedModel load(String text, List<String> outputs) throws Exception {
    return TfImporter.importGraph(
      parse(text),
      Path.of("loop.pbtxt"),
      new ImportOptions(Map.of(), Map.of(), Map.of()),
      outputs
    );
  }

  static List<Tensor> run(String text, List<String> outputs, Tensor... args) throws Exception {
    ImportedModel m = load(text, outputs);
    return Interpreter.run(m.module().funcs().getFirst(), List.of(args));
  }

  static void assertError(String text, List<String> outputs, String message) {
    DiagnosticException e = assertThrows(DiagnosticException.class, () -> load(text, outputs));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  static boolean hasLoop(ImportedModel m) {
    for (Node n : m.module().funcs().getFirst().entry().nodes()) {
      if (n.op() instanceof Loop) {
        return true;
      }
    }
    return false;
  }

  /** {@code i = 0; while i < 5: i, x = i + 1, x * 2}. */
  static final String COUNTED =
    placeholder("x", "DT_FLOAT", 2) +
    intConst("zero", 0) +
    loopVar("i", "zero", "while/add", "DT_INT32") +
    loopVar("x", "x", "while/mul", "DT_FLOAT") +
    intConst("while/Less/y", 5, "^while/Merge_i") +
    node("while/Less", "Less", List.of("while/Merge_i", "while/Less/y"), type("T", "DT_INT32")) +
    node("while/LoopCond", "LoopCond", List.of("while/Less")) +
    intConst("while/add/y", 1, "^while/Identity_i") +
    node("while/add", "Add", List.of("while/Identity_i", "while/add/y"), type("T", "DT_INT32")) +
    floatConst("while/mul/y", 2, "^while/Identity_i") +
    node("while/mul", "Mul", List.of("while/Identity_x", "while/mul/y"), type("T", "DT_FLOAT"));

  @Test
  void counted_loop_runs_five_times() throws Exception {
    ImportedModel m = load(COUNTED, List.of("while/Exit_i", "while/Exit_x"));
    assertTrue(hasLoop(m), Printer.print(m.module()));
    List<Tensor> out = Interpreter.run(
      m.module().funcs().getFirst(),
      List.of(Tensor.ofDoubles(TensorType.of(ElementType.F32, 2), 1.5, -3))
    );
    assertEquals(5, out.get(0).getLong(0));
    assertArrayEquals(new double[] { 48, -96 }, out.get(1).toDoubles());
  }

  @Test
  void the_graph_text_round_trips_through_the_printer() throws Exception {
    ImportedModel m = load(COUNTED, List.of("while/Exit_x"));
    String text = Printer.print(m.module());
    assertEquals(text, Printer.print(dev.kiln.ir.text.ModuleParser.parse(text, "t.kir")));
  }

  /** {@code while sum(x) < limit: x, n = x * 2, n + 1}, {@code limit} a loop invariant. */
  static final String DATA_DEPENDENT =
    placeholder("x", "DT_FLOAT", 2) +
    placeholder("limit", "DT_FLOAT") +
    intConst("zero", 0) +
    loopVar("n", "zero", "while/add", "DT_INT32") +
    loopVar("x", "x", "while/mul", "DT_FLOAT") +
    node("while/Enter_limit", "Enter", List.of("limit"), frame(true), type("T", "DT_FLOAT")) +
    intConst("while/Sum/axis", 0, "^while/Merge_x") +
    node("while/Sum", "Sum", List.of("while/Merge_x", "while/Sum/axis"), type("T", "DT_FLOAT")) +
    node("while/Less", "Less", List.of("while/Sum", "while/Enter_limit"), type("T", "DT_FLOAT")) +
    node("while/LoopCond", "LoopCond", List.of("while/Less")) +
    intConst("while/add/y", 1, "^while/Identity_n") +
    node("while/add", "AddV2", List.of("while/add/y", "while/Identity_n")) +
    floatConst("while/mul/y", 2, "^while/Identity_x") +
    node("while/mul", "Mul", List.of("while/Identity_x", "while/mul/y"));

  @Test
  void data_dependent_condition_stops_when_the_sum_reaches_the_limit() throws Exception {
    List<String> outs = List.of("while/Exit_n", "while/Exit_x");
    Tensor x = Tensor.ofDoubles(TensorType.of(ElementType.F32, 2), 1, 2);
    List<Tensor> out = run(DATA_DEPENDENT, outs, x, Tensor.scalar(ElementType.F32, 50));
    assertEquals(5, out.get(0).getLong(0));
    assertArrayEquals(new double[] { 32, 64 }, out.get(1).toDoubles());
    List<Tensor> none = run(DATA_DEPENDENT, outs, x, Tensor.scalar(ElementType.F32, 3));
    assertEquals(0, none.get(0).getLong(0));
    assertArrayEquals(new double[] { 1, 2 }, none.get(1).toDoubles());
  }

  /**
   * {@code h_t = 0.5 * h_{t-1} + x_t} over a {@code [T=4, 1, 2]} input, as {@code dynamic_rnn}
   * writes it: the input unstacked into a TensorArray read at {@code time}, the outputs written to
   * a second TensorArray at {@code time} and gathered after the loop.
   */
  static final String RNN =
    placeholder("inputs", "DT_FLOAT", 4, 1, 2) +
    intConst("T", 4) +
    intConst("zero", 0) +
    intConst("one", 1) +
    node(
      "input_ta",
      "TensorArrayV3",
      List.of("T"),
      type("dtype", "DT_FLOAT"),
      attr("element_shape", "shape { dim { size: 1 } dim { size: 2 } }")
    ) +
    node("output_ta", "TensorArrayV3", List.of("T"), type("dtype", "DT_FLOAT")) +
    node("range", "Range", List.of("zero", "T", "one"), type("Tidx", "DT_INT32")) +
    node(
      "scatter",
      "TensorArrayScatterV3",
      List.of("input_ta", "range", "inputs", "input_ta:1"),
      type("T", "DT_FLOAT")
    ) +
    node(
      "h0",
      "Const",
      List.of(),
      type("dtype", "DT_FLOAT"),
      attr(
        "value",
        "tensor { dtype: DT_FLOAT tensor_shape { dim { size: 1 } dim { size: 2 } } float_val: 0 }"
      )
    ) +
    loopVar("time", "zero", "while/add", "DT_INT32") +
    loopVar("flow", "output_ta:1", "while/write", "DT_FLOAT") +
    loopVar("h", "h0", "while/h", "DT_FLOAT") +
    node("while/Enter_T", "Enter", List.of("T"), frame(true)) +
    node("while/Enter_in", "Enter", List.of("input_ta"), frame(true)) +
    node("while/Enter_scatter", "Enter", List.of("scatter"), frame(true)) +
    node("while/Enter_out", "Enter", List.of("output_ta"), frame(true)) +
    node("while/Less", "Less", List.of("while/Merge_time", "while/Enter_T")) +
    node("while/LoopCond", "LoopCond", List.of("while/Less")) +
    node(
      "while/read",
      "TensorArrayReadV3",
      List.of("while/Enter_in", "while/Identity_time", "while/Enter_scatter"),
      type("dtype", "DT_FLOAT")
    ) +
    floatConst("while/half", 0.5, "^while/Identity_time") +
    node("while/scaled", "Mul", List.of("while/Identity_h", "while/half")) +
    node("while/h", "Add", List.of("while/scaled", "while/read")) +
    node(
      "while/write",
      "TensorArrayWriteV3",
      List.of("while/Enter_out", "while/Identity_time", "while/h", "while/Identity_flow"),
      type("T", "DT_FLOAT")
    ) +
    intConst("while/add/y", 1, "^while/Identity_time") +
    node("while/add", "Add", List.of("while/Identity_time", "while/add/y")) +
    node("size", "TensorArraySizeV3", List.of("output_ta", "while/Exit_flow")) +
    node("out_range", "Range", List.of("zero", "size", "one"), type("Tidx", "DT_INT32")) +
    node(
      "outputs",
      "TensorArrayGatherV3",
      List.of("output_ta", "out_range", "while/Exit_flow"),
      type("dtype", "DT_FLOAT"),
      attr("element_shape", "shape { dim { size: 1 } dim { size: 2 } }")
    );

  @Test
  void dynamic_rnn_tensor_arrays_become_sliced_inputs_and_scan_outputs() throws Exception {
    double[] in = { 1, -2, 3, 0.5, -1, 4, 2, 2 };
    List<Tensor> out = run(
      RNN,
      List.of("outputs", "while/Exit_h", "while/Exit_time"),
      Tensor.ofDoubles(TensorType.of(ElementType.F32, 4, 1, 2), in)
    );
    double[] expected = new double[8];
    double h0 = 0;
    double h1 = 0;
    for (int t = 0; t < 4; t++) {
      h0 = 0.5 * h0 + in[2 * t];
      h1 = 0.5 * h1 + in[2 * t + 1];
      expected[2 * t] = h0;
      expected[2 * t + 1] = h1;
    }
    assertEquals(Shape.of(4, 1, 2), out.get(0).shape());
    assertArrayEquals(expected, out.get(0).toDoubles(), 1e-6);
    assertArrayEquals(new double[] { h0, h1 }, out.get(1).toDoubles(), 1e-6);
    assertEquals(4, out.get(2).getLong(0));
  }

  @Test
  void a_write_at_an_index_other_than_the_iteration_number_is_not_supported() throws Exception {
    String shifted = RNN.replace(
      "input: \"while/Enter_out\" input: \"while/Identity_time\"",
      "input: \"while/Enter_out\" input: \"while/add\""
    );
    assertError(
      shifted,
      List.of("outputs"),
      "at an index other than the iteration number is not supported"
    );
  }

  @Test
  void a_cycle_outside_a_loop_frame_is_an_error() {
    String cyclic =
      COUNTED + node("a", "Add", List.of("while/Exit_x", "b")) + node("b", "Relu", List.of("a"));
    assertError(cyclic, List.of("b"), "cycle through this node outside a while loop");
  }

  @Test
  void a_node_inside_the_loop_is_not_an_output() {
    assertError(COUNTED, List.of("while/mul"), "used outside it without an Exit");
  }

  @Test
  void a_predicate_cut_inside_an_identity_chain_is_the_one_selected_on() throws Exception {
    String g =
      placeholder("x", "DT_FLOAT", 2) +
      scalar("lp/default", "DT_BOOL", "bool_val: false") +
      node("lp", "PlaceholderWithDefault", List.of("lp/default"), type("dtype", "DT_BOOL")) +
      node("pid", "Identity", List.of("lp")) +
      node("s", "Switch", List.of("x", "pid")) +
      node("square", "Mul", List.of("s:1", "s:1")) +
      node("m", "Merge", List.of("s", "square"));
    ImportedModel m = TfImporter.importGraph(
      parse(g),
      Path.of("cond.pbtxt"),
      new ImportOptions(Map.of("pid", Shape.SCALAR), Map.of("pid", ElementType.BOOL), Map.of()),
      List.of("m")
    );
    for (boolean p : new boolean[] { false, true }) {
      List<Tensor> args = new ArrayList<>();
      for (String name : m.inputNames()) {
        args.add(name.equals("pid") ? Tensor.scalar(ElementType.BOOL, p ? 1 : 0) : PAIR);
      }
      Tensor y = Interpreter.run(m.module().funcs().getFirst(), args).getFirst();
      assertArrayEquals(p ? new double[] { 9, 16 } : new double[] { 3, -4 }, y.toDoubles());
    }
  }

  @Test
  void a_tf_cond_inside_a_loop_body_selects_per_iteration() throws Exception {
    String g =
      placeholder("x", "DT_FLOAT", 2) +
      intConst("zero", 0) +
      loopVar("i", "zero", "while/add", "DT_INT32") +
      loopVar("x", "x", "while/cond/Merge", "DT_FLOAT") +
      intConst("while/Less/y", 3, "^while/Merge_i") +
      node("while/Less", "Less", List.of("while/Merge_i", "while/Less/y")) +
      node("while/LoopCond", "LoopCond", List.of("while/Less")) +
      intConst("while/add/y", 1, "^while/Identity_i") +
      node("while/add", "Add", List.of("while/Identity_i", "while/add/y")) +
      intConst("while/two", 2, "^while/Identity_i") +
      node("while/early", "Less", List.of("while/Identity_i", "while/two")) +
      node("while/cond/Switch", "Switch", List.of("while/early", "while/early")) +
      node("while/cond/switch_t", "Identity", List.of("while/cond/Switch:1")) +
      node("while/cond/switch_f", "Identity", List.of("while/cond/Switch")) +
      node("while/cond/Switch_1", "Switch", List.of("while/Identity_x", "while/early")) +
      floatConst("while/cond/two", 2, "^while/cond/switch_t") +
      node("while/cond/mul", "Mul", List.of("while/cond/Switch_1:1", "while/cond/two")) +
      floatConst("while/cond/one", 1, "^while/cond/switch_f") +
      node("while/cond/add", "Add", List.of("while/cond/Switch_1", "while/cond/one")) +
      node("while/cond/Merge", "Merge", List.of("while/cond/add", "while/cond/mul"));
    Tensor x = Tensor.ofDoubles(TensorType.of(ElementType.F32, 2), 1, -3);
    List<Tensor> out = run(g, List.of("while/Exit_x"), x);
    assertArrayEquals(new double[] { 5, -11 }, out.getFirst().toDoubles());
  }

  @Test
  void a_merge_whose_inputs_are_not_two_sides_of_one_predicate_is_not_supported() {
    String cond =
      placeholder("x", "DT_FLOAT", 2) +
      placeholder("p", "DT_BOOL") +
      node("s", "Switch", List.of("x", "p")) +
      node("m", "Merge", List.of("x", "s:1"));
    UnsupportedOpsException e = assertThrows(UnsupportedOpsException.class, () ->
      load(cond, List.of("m"))
    );
    assertTrue(e.getMessage().contains("two-branch tf.cond"), e.getMessage());
  }

  /**
   * A Keras-style {@code tf.cond} on {@code learning_phase} (a {@code PlaceholderWithDefault} of a
   * boolean {@code Const}, optionally negated): the true branch scales by 0.5 and holds an op Kiln
   * lacks, the false branch passes {@code x} through.
   */
  static String learningPhaseCond(boolean defaultValue, boolean negate) {
    String pred = negate ? "not_lp" : "lp";
    return (
      placeholder("x", "DT_FLOAT", 2) +
      scalar("lp/default", "DT_BOOL", "bool_val: " + defaultValue) +
      node("lp", "PlaceholderWithDefault", List.of("lp/default"), type("dtype", "DT_BOOL")) +
      node("not_lp", "LogicalNot", List.of("lp")) +
      node("cond/Switch", "Switch", List.of(pred, pred), type("T", "DT_BOOL")) +
      node("cond/switch_t", "Identity", List.of("cond/Switch:1")) +
      node("cond/switch_f", "Identity", List.of("cond/Switch")) +
      node("cond/pred_id", "Identity", List.of(pred)) +
      node("cond/Switch_1", "Switch", List.of("x", "cond/pred_id"), type("T", "DT_FLOAT")) +
      floatConst("cond/half", 0.5, "^cond/switch_t") +
      node("cond/mul", "Mul", List.of("cond/Switch_1:1", "cond/half")) +
      node("cond/train_only", "TrainingOnlyOp", List.of("cond/Switch_1:1")) +
      node("cond/scaled", "Add", List.of("cond/mul", "cond/mul")) +
      node("cond/pass", "Identity", List.of("cond/Switch_1")) +
      node("cond/Merge", "Merge", List.of("cond/pass", "cond/mul"), type("T", "DT_FLOAT"))
    );
  }

  static final Tensor PAIR = Tensor.ofDoubles(TensorType.of(ElementType.F32, 2), 3, -4);

  @Test
  void a_tf_cond_on_a_known_predicate_imports_only_the_branch_taken() throws Exception {
    Tensor y = run(learningPhaseCond(false, false), List.of("cond/Merge"), PAIR).getFirst();
    assertEquals(3.0, y.getDouble(0));
    assertEquals(-4.0, y.getDouble(1));
  }

  @Test
  void a_negated_known_predicate_takes_the_other_branch() throws Exception {
    Tensor y = run(learningPhaseCond(false, true), List.of("cond/Merge"), PAIR).getFirst();
    assertEquals(1.5, y.getDouble(0));
    assertEquals(-2.0, y.getDouble(1));
    assertThrows(UnsupportedOpsException.class, () ->
      load(learningPhaseCond(true, false), List.of("cond/train_only"))
    );
  }

  @Test
  void a_predicate_fed_at_run_time_selects_between_both_branches() throws Exception {
    ImportOptions fed = new ImportOptions(Map.of("lp", Shape.SCALAR), Map.of(), Map.of());
    ImportedModel m = TfImporter.importGraph(
      parse(learningPhaseCond(false, true)),
      Path.of("cond.pbtxt"),
      fed,
      List.of("cond/Merge")
    );
    for (boolean lp : new boolean[] { false, true }) {
      List<Tensor> args = new ArrayList<>();
      for (String name : m.inputNames()) {
        args.add(name.equals("lp") ? Tensor.scalar(ElementType.BOOL, lp ? 1 : 0) : PAIR);
      }
      Tensor y = Interpreter.run(m.module().funcs().getFirst(), args).getFirst();
      double scale = lp ? 1 : 0.5;
      assertEquals(3 * scale, y.getDouble(0), "lp = " + lp);
      assertEquals(-4 * scale, y.getDouble(1), "lp = " + lp);
    }
  }

  @Test
  void nested_loops_become_nested_regions() throws Exception {
    String g =
      placeholder("x", "DT_FLOAT", 2) +
      counted("outer", "x", 3, 1).replace(
        "input: \"outer/Identity_x\" input: \"outer/mul/y\"",
        "input: \"inner/Exit_x\" input: \"outer/mul/y\""
      ) +
      counted("inner", "outer/Identity_x", 2, 2);
    ImportedModel m = load(g, List.of("outer/Exit_x", "outer/Exit_i"));
    assertTrue(Printer.print(m.module()).contains("nn.loop"));
    List<Tensor> out = Interpreter.run(
      m.module().funcs().getFirst(),
      List.of(Tensor.ofDoubles(TensorType.of(ElementType.F32, 2), 1, -0.5))
    );
    assertArrayEquals(new double[] { 64, -32 }, out.get(0).toDoubles());
    assertEquals(3, out.get(1).getLong(0));
  }

  @Test
  void the_o2_pipeline_keeps_the_loops_results() throws Exception {
    Tensor in = Tensor.ofDoubles(
      TensorType.of(ElementType.F32, 4, 1, 2),
      1,
      -2,
      3,
      0.5,
      -1,
      4,
      2,
      2
    );
    List<String> outs = List.of("outputs", "while/Exit_h");
    List<Tensor> before = run(RNN, outs, in);
    ImportedModel m = load(RNN, outs);
    dev.kiln.pass.Pipelines.manager(2, List.of(), dev.kiln.pass.PassManager.Options.defaults()).run(
      m.module(),
      System.err
    );
    List<Tensor> after = Interpreter.run(m.module().funcs().getFirst(), List.of(in));
    assertTrue(hasLoop(m), Printer.print(m.module()));
    for (int k = 0; k < outs.size(); k++) {
      assertArrayEquals(before.get(k).toDoubles(), after.get(k).toDoubles(), 1e-6);
    }
  }

  @Test
  void a_loop_variable_that_grows_gets_an_unknown_dimension() throws Exception {
    String g =
      placeholder("x", "DT_FLOAT", 1) +
      counted("w", "x", 3, 1).replace(
        "name: \"w/mul\" op: \"Mul\" input: \"w/Identity_x\" input: \"w/mul/y\"",
        "name: \"w/mul\" op: \"Pad\" input: \"w/Identity_x\" input: \"w/paddings\""
      ) +
      node(
        "w/paddings",
        "Const",
        List.of("^w/Identity_i"),
        type("dtype", "DT_INT32"),
        attr(
          "value",
          "tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } dim { size: 2 } }" +
          " int_val: 0 int_val: 1 }"
        )
      );
    ImportedModel m = load(g, List.of("w/Exit_x"));
    assertEquals(
      "tensor<?xf32>",
      m.module().funcs().getFirst().resultTypes().getFirst().toString()
    );
    List<Tensor> out = Interpreter.run(
      m.module().funcs().getFirst(),
      List.of(Tensor.ofDoubles(TensorType.of(ElementType.F32, 1), 7))
    );
    assertArrayEquals(new double[] { 7, 0, 0, 0 }, out.getFirst().toDoubles());
  }

  @Test
  void reading_an_empty_tensor_array_is_an_error() {
    String g =
      intConst("two", 2) +
      intConst("zero", 0) +
      node("ta", "TensorArrayV3", List.of("two"), type("dtype", "DT_FLOAT")) +
      node("read", "TensorArrayReadV3", List.of("ta", "zero", "ta:1"), type("dtype", "DT_FLOAT"));
    assertError(g, List.of("read"), "cannot read from an array nothing was written to");
  }
}
