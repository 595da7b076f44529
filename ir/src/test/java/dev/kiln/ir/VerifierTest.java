package dev.kiln.ir;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.op.Add;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.If;
import dev.kiln.ir.op.Neg;
import dev.kiln.ir.op.Relu;
import dev.kiln.ir.op.Return;
import dev.kiln.ir.text.ModuleParser;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The verifier against modules whose invariants were broken through the public API (builders and
 * the rewriter), and the parser's diagnostics for text that could not even be built.
 */
class VerifierTest {

  static final TensorType F32_2 = TensorType.of(ElementType.F32, 2);
  static final TensorType F32_3 = TensorType.of(ElementType.F32, 3);
  static final TensorType F32_2X3 = TensorType.of(ElementType.F32, 2, 3);
  static final TensorType BOOL = TensorType.of(ElementType.BOOL);
  static final Location L1 = Location.named("n1");
  static final Location L2 = Location.named("n2");
  static final Location L3 = Location.named("n3");

  static List<String> messages(List<Diagnostic> ds) {
    return ds.stream().map(Diagnostic::message).toList();
  }

  static Module module(Func... fs) {
    Module m = new Module();
    for (Func f : fs) {
      m.add(f);
    }
    return m;
  }

  static Node ret(Block b, Value... values) {
    return new Builder(b).create(new Return(), List.of(values), Location.UNKNOWN);
  }

  static Node ret(Block b, Location loc, Value... values) {
    return new Builder(b).create(new Return(), List.of(values), loc);
  }

  static Region returning(Value... values) {
    Region r = new Region();
    ret(r.block(), values);
    return r;
  }

  static Constant constant(TensorType t, double v) {
    return new Constant(Tensor.splat(t, v));
  }

  static Module parse(String text) {
    return ModuleParser.parse(text, "v.kir");
  }

  // ---------------------------------------------------------------------------------------------
  // Well-formed modules

  @Test
  void well_formed_module_has_no_diagnostics() {
    Func f = new Func("f", List.of(F32_2X3), L1);
    BlockArgument x = f.entry().addArgument(F32_2X3, "x");
    BlockArgument c = f.entry().addArgument(BOOL, "c");
    Builder b = new Builder(f.entry());
    OpResult r = b.value(new Relu(), List.of(x), L1);
    Region then = new Region();
    OpResult n = new Builder(then.block()).value(new Neg(), List.of(r), L2);
    ret(then.block(), n);
    Node iff = b.create(new If(), List.of(c), List.of(then, returning(x)), null, L3);
    ret(f.entry(), iff.result());
    Module m = module(f);
    assertEquals(List.of(), Verifier.verify(m));
    assertDoesNotThrow(() -> Verifier.check(m));
  }

  @Test
  void less_precise_declared_result_types_are_accepted() {
    TensorType declared = new TensorType(
      ElementType.F32,
      new Shape(List.of(Dim.UNKNOWN, new Dim.Symbol("n")))
    );
    Func f = new Func("f", List.of(declared), L1);
    ret(f.entry(), f.entry().addArgument(F32_2X3, "x"));
    assertEquals(List.of(), Verifier.verify(module(f)));
  }

  @Test
  void empty_module_verifies() {
    assertEquals(List.of(), Verifier.verify(new Module()));
  }

  // ---------------------------------------------------------------------------------------------
  // Terminators

  @Test
  void block_without_return() {
    Func f = new Func("f", List.of(F32_2), L1);
    new Builder(f.entry()).create(constant(F32_2, 1), List.of(), L2);
    List<Diagnostic> ds = Verifier.verify(module(f));
    assertEquals(List.of("block does not end in return"), messages(ds));
    assertEquals(L2, ds.getFirst().location(), "reported at the last node");
  }

  @Test
  void empty_function_body_is_reported_at_the_function() {
    Func f = new Func("f", List.of(), L1);
    List<Diagnostic> ds = Verifier.verify(module(f));
    assertEquals(List.of("block does not end in return"), messages(ds));
    assertEquals(L1, ds.getFirst().location());
  }

  @Test
  void return_that_is_not_last() {
    Func f = new Func("f", List.of(F32_2), L1);
    BlockArgument x = f.entry().addArgument(F32_2, "x");
    ret(f.entry(), L2, x);
    new Builder(f.entry()).create(new Relu(), List.of(x), L3);
    List<Diagnostic> ds = Verifier.verify(module(f));
    assertEquals(
      List.of("block does not end in return", "return: return must be the last node of its block"),
      messages(ds)
    );
    assertEquals(L3, ds.get(0).location());
    assertEquals(L2, ds.get(1).location());
  }

  @Test
  void region_without_return() {
    Func f = new Func("f", List.of(), L1);
    BlockArgument c = f.entry().addArgument(BOOL, "c");
    Region then = new Region();
    Region otherwise = new Region();
    Node iff = new Builder(f.entry()).create(
      new If(),
      List.of(c),
      List.of(then, otherwise),
      null,
      L2
    );
    ret(f.entry());
    assertEquals(0, iff.results().size());
    List<Diagnostic> ds = Verifier.verify(module(f));
    assertEquals(
      List.of("block does not end in return", "block does not end in return"),
      messages(ds)
    );
    assertEquals(L2, ds.get(0).location(), "empty regions are reported at their node");
  }

  // ---------------------------------------------------------------------------------------------
  // Function signatures

  @Test
  void function_returning_the_wrong_shape() {
    Func f = new Func("f", List.of(F32_2), L1);
    ret(f.entry(), L2, f.entry().addArgument(F32_3, "x"));
    List<Diagnostic> ds = Verifier.verify(module(f));
    assertEquals(
      List.of("@f result 0 is declared tensor<2xf32> but return gives tensor<3xf32>"),
      messages(ds)
    );
    assertEquals(L2, ds.getFirst().location());
  }

  @Test
  void function_returning_the_wrong_element_type_or_rank() {
    Func f = new Func("g", List.of(F32_2, F32_2), L1);
    BlockArgument a = f.entry().addArgument(TensorType.of(ElementType.F16, 2), "a");
    BlockArgument b = f.entry().addArgument(F32_2X3, "b");
    ret(f.entry(), a, b);
    assertEquals(
      List.of(
        "@g result 0 is declared tensor<2xf32> but return gives tensor<2xf16>",
        "@g result 1 is declared tensor<2xf32> but return gives tensor<2x3xf32>"
      ),
      messages(Verifier.verify(module(f)))
    );
  }

  @Test
  void function_returning_the_wrong_number_of_values() {
    Func f = new Func("f", List.of(F32_2), L1);
    BlockArgument x = f.entry().addArgument(F32_2, "x");
    ret(f.entry(), x, x);
    Func g = new Func("g", List.of(), L1);
    ret(g.entry(), g.entry().addArgument(F32_2, "y"));
    assertEquals(
      List.of("@f declares 1 results, return gives 2", "@g declares 0 results, return gives 1"),
      messages(Verifier.verify(module(f, g)))
    );
  }

  @Test
  void check_throws_with_every_diagnostic() {
    Func f = new Func("f", List.of(F32_2), L1);
    ret(f.entry(), f.entry().addArgument(F32_3, "x"));
    Func g = new Func("g", List.of(), L2);
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      Verifier.check(module(f, g))
    );
    assertEquals(
      List.of(
        "@f result 0 is declared tensor<2xf32> but return gives tensor<3xf32>",
        "block does not end in return"
      ),
      messages(e.diagnostics())
    );
    assertEquals(e.diagnostics().getFirst().message(), e.getMessage());
  }

  // ---------------------------------------------------------------------------------------------
  // Dominance: operands must be defined before use, in the same block or an enclosing one

  @Test
  void use_before_definition_in_one_block() {
    Func f = new Func("f", List.of(F32_2), L1);
    BlockArgument x = f.entry().addArgument(F32_2, "x");
    Node a = new Builder(f.entry()).create(new Relu(), List.of(x), L1);
    OpResult late = new Builder(f.entry()).value(new Neg(), List.of(a.result()), L2);
    ret(f.entry(), late);
    Builder.before(a).create(new Relu(), List.of(late), L3);
    List<Diagnostic> ds = Verifier.verify(module(f));
    assertEquals(List.of("nn.relu: operand 0 is used before it is defined"), messages(ds));
    assertEquals(L3, ds.getFirst().location());
    assertEquals(a, f.entry().nodes().get(1), "inserted right before the node");
  }

  @Test
  void use_of_a_value_from_another_function() {
    Func f = new Func("f", List.of(F32_2), L1);
    BlockArgument x = f.entry().addArgument(F32_2, "x");
    ret(f.entry(), x);
    Func g = new Func("g", List.of(F32_2), L2);
    OpResult y = new Builder(g.entry()).value(new Neg(), List.of(x), L2);
    ret(g.entry(), L3, y);
    assertEquals(
      List.of("nn.neg: operand 0 is used before it is defined"),
      messages(Verifier.verify(module(f, g)))
    );
  }

  @Test
  void use_of_a_region_value_after_the_region() {
    Func f = new Func("f", List.of(F32_2), L1);
    BlockArgument c = f.entry().addArgument(BOOL, "c");
    BlockArgument x = f.entry().addArgument(F32_2, "x");
    Region then = new Region();
    OpResult inner = new Builder(then.block()).value(new Relu(), List.of(x), L2);
    ret(then.block(), inner);
    Builder b = new Builder(f.entry());
    b.create(new If(), List.of(c), List.of(then, returning(x)), null, L2);
    OpResult escaped = b.value(new Neg(), List.of(inner), L3);
    ret(f.entry(), escaped);
    List<Diagnostic> ds = Verifier.verify(module(f));
    assertEquals(List.of("nn.neg: operand 0 is used before it is defined"), messages(ds));
    assertEquals(L3, ds.getFirst().location());
  }

  @Test
  void region_using_an_outer_value_defined_after_its_node() {
    Func f = new Func("f", List.of(F32_2), L1);
    BlockArgument c = f.entry().addArgument(BOOL, "c");
    BlockArgument x = f.entry().addArgument(F32_2, "x");
    Region then = new Region();
    Node inner = new Builder(then.block()).create(new Relu(), List.of(x), L2);
    ret(then.block(), inner.result());
    Builder b = new Builder(f.entry());
    Node iff = b.create(new If(), List.of(c), List.of(then, returning(x)), null, L1);
    OpResult late = b.value(new Neg(), List.of(iff.result()), L3);
    ret(f.entry(), late);
    assertEquals(List.of(), Verifier.verify(module(f)));
    new Rewriter().setOperand(inner, 0, late);
    List<Diagnostic> ds = Verifier.verify(module(f));
    assertEquals(List.of("nn.relu: operand 0 is used before it is defined"), messages(ds));
    assertEquals(L2, ds.getFirst().location());
  }

  @Test
  void sibling_region_values_are_not_visible() {
    Func f = new Func("f", List.of(F32_2), L1);
    BlockArgument c = f.entry().addArgument(BOOL, "c");
    BlockArgument x = f.entry().addArgument(F32_2, "x");
    Region then = new Region();
    OpResult t = new Builder(then.block()).value(new Relu(), List.of(x), L2);
    ret(then.block(), t);
    Region otherwise = new Region();
    OpResult e = new Builder(otherwise.block()).value(new Neg(), List.of(t), L3);
    ret(otherwise.block(), e);
    Node iff = new Builder(f.entry()).create(
      new If(),
      List.of(c),
      List.of(then, otherwise),
      null,
      L1
    );
    ret(f.entry(), iff.result());
    assertEquals(
      List.of("nn.neg: operand 0 is used before it is defined"),
      messages(Verifier.verify(module(f)))
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Result types must agree with inference

  @Test
  void operand_swapped_for_one_of_another_shape() {
    Func f = new Func("f", List.of(F32_2), L1);
    BlockArgument x = f.entry().addArgument(F32_2, "x");
    BlockArgument y = f.entry().addArgument(F32_2X3, "y");
    Node relu = new Builder(f.entry()).create(new Relu(), List.of(x), L2);
    ret(f.entry(), relu.result());
    new Rewriter().setOperand(relu, 0, y);
    List<Diagnostic> ds = Verifier.verify(module(f));
    assertEquals(
      List.of("nn.relu: result 0 is tensor<2xf32> but inference gives tensor<2x3xf32>"),
      messages(ds)
    );
    assertEquals(L2, ds.getFirst().location());
    assertEquals(List.of(), x.uses());
    assertEquals(List.of(new Use(relu, 0)), y.uses());
  }

  @Test
  void operand_swapped_so_that_inference_fails() {
    Func f = new Func("f", List.of(F32_2X3), L1);
    BlockArgument x = f.entry().addArgument(F32_2X3, "x");
    BlockArgument z = f.entry().addArgument(TensorType.of(ElementType.F32, 4), "z");
    Node add = new Builder(f.entry()).create(new Add(), List.of(x, x), L2);
    ret(f.entry(), add.result());
    new Rewriter().setOperand(add, 1, z);
    assertEquals(
      List.of("nn.add: shapes [2, 3] and [4] do not broadcast (3 vs 4)"),
      messages(Verifier.verify(module(f)))
    );
  }

  @Test
  void refining_a_type_keeps_the_module_valid_only_when_compatible() {
    TensorType dynamic = new TensorType(ElementType.F32, new Shape(List.of(Dim.UNKNOWN)));
    Func f = new Func("f", List.of(dynamic), L1);
    BlockArgument x = f.entry().addArgument(dynamic, "x");
    Node relu = new Builder(f.entry()).create(new Relu(), List.of(x), L2);
    ret(f.entry(), relu.result());
    Rewriter rw = new Rewriter();
    rw.refineType(relu.result(), F32_2);
    assertEquals(List.of(), Verifier.verify(module(f)), "? refined to 2 stays compatible");
    assertThrows(IllegalStateException.class, () -> rw.refineType(relu.result(), F32_3));
  }

  @Test
  void if_whose_branches_changed_their_result_count() {
    Func f = new Func("f", List.of(F32_2), L1);
    BlockArgument c = f.entry().addArgument(BOOL, "c");
    BlockArgument x = f.entry().addArgument(F32_2, "x");
    Region then = returning(x);
    Region otherwise = returning(x);
    Node iff = new Builder(f.entry()).create(
      new If(),
      List.of(c),
      List.of(then, otherwise),
      null,
      L2
    );
    ret(f.entry(), iff.result());
    Rewriter rw = new Rewriter();
    for (Region r : List.of(then, otherwise)) {
      rw.erase(r.block().terminator());
      ret(r.block(), x, x);
    }
    List<Diagnostic> ds = Verifier.verify(module(f));
    assertEquals(List.of("nn.if: has 1 results, inference gives 2"), messages(ds));
    assertEquals(L2, ds.getFirst().location());
  }

  @Test
  void if_whose_branches_disagree_after_a_rewrite() {
    Func f = new Func("f", List.of(F32_2), L1);
    BlockArgument c = f.entry().addArgument(BOOL, "c");
    BlockArgument x = f.entry().addArgument(F32_2, "x");
    BlockArgument y = f.entry().addArgument(F32_2X3, "y");
    Region then = returning(x);
    Node iff = new Builder(f.entry()).create(
      new If(),
      List.of(c),
      List.of(then, returning(x)),
      null,
      L2
    );
    ret(f.entry(), iff.result());
    new Rewriter().setOperand(then.block().terminator(), 0, y);
    assertEquals(
      List.of("nn.if: result 0 has rank 2 on one path and 1 on the other"),
      messages(Verifier.verify(module(f)))
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Op-specific verification and structure

  @Test
  void if_region_that_gained_an_argument() {
    Func f = new Func("f", List.of(), L1);
    BlockArgument c = f.entry().addArgument(BOOL, "c");
    Region then = returning();
    new Builder(f.entry()).create(new If(), List.of(c), List.of(then, returning()), null, L2);
    ret(f.entry());
    then.block().addArgument(F32_2, "i");
    assertEquals(
      List.of("nn.if: nn.if regions take no arguments"),
      messages(Verifier.verify(module(f)))
    );
  }

  @Test
  void builder_refuses_if_regions_with_arguments_and_leaves_nothing_behind() {
    Func f = new Func("f", List.of(), L1);
    BlockArgument c = f.entry().addArgument(BOOL, "c");
    Region then = new Region();
    then.block().addArgument(F32_2, "i");
    ret(then.block());
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      new Builder(f.entry()).create(new If(), List.of(c), List.of(then, returning()), null, L2)
    );
    assertEquals("nn.if: nn.if regions take no arguments", e.getMessage());
    assertEquals(List.of(), f.entry().nodes());
    assertEquals(List.of(), c.uses());
  }

  @Test
  void region_shared_by_two_nodes() {
    Func f = new Func("f", List.of(), L1);
    BlockArgument c = f.entry().addArgument(BOOL, "c");
    Region then = returning();
    Region otherwise = returning();
    Builder b = new Builder(f.entry());
    Node first = b.create(new If(), List.of(c), List.of(then, otherwise), null, L2);
    Node second = b.create(new If(), List.of(c), List.of(then, otherwise), null, L3);
    ret(f.entry());
    assertEquals(second, then.parentNode());
    List<Diagnostic> ds = Verifier.verify(module(f));
    assertEquals(
      List.of(
        "nn.if: region does not name its node as parent",
        "nn.if: region does not name its node as parent"
      ),
      messages(ds)
    );
    assertEquals(first.location(), ds.get(0).location());
  }

  @Test
  void diagnostics_accumulate_across_functions_in_order() {
    Func f = new Func("f", List.of(), L1);
    Func g = new Func("g", List.of(F32_2), L2);
    ret(g.entry(), g.entry().addArgument(F32_3, "x"));
    Func h = new Func("h", List.of(), L3);
    new Builder(h.entry()).create(constant(F32_2, 0), List.of(), L3);
    List<Diagnostic> ds = Verifier.verify(module(f, g, h));
    assertEquals(
      List.of(
        "block does not end in return",
        "@g result 0 is declared tensor<2xf32> but return gives tensor<3xf32>",
        "block does not end in return"
      ),
      messages(ds)
    );
    assertEquals(List.of(L1, Location.UNKNOWN, L3), ds.stream().map(Diagnostic::location).toList());
    assertTrue(ds.stream().allMatch(d -> d.severity() == Diagnostic.Severity.ERROR));
  }

  @Test
  void rendered_verifier_diagnostic_names_the_source_node() {
    Func f = new Func("f", List.of(F32_2), L1);
    ret(f.entry(), Location.named("out"), f.entry().addArgument(F32_3, "x"));
    String shown = new DiagnosticRenderer("m.kir").render(Verifier.verify(module(f)));
    String message = "@f result 0 is declared tensor<2xf32> but return gives tensor<3xf32>";
    assertTrue(shown.startsWith("m.kir: "), shown);
    assertTrue(shown.endsWith("node \"out\": " + message + "\n"), shown);
    assertEquals(1, shown.lines().count(), shown);
  }

  // ---------------------------------------------------------------------------------------------
  // Text that breaks the same invariants: the parser builds through Builder, so most of it is
  // refused while parsing, with a file position

  @Test
  void forward_reference_is_a_parse_error() {
    String text = """
      func @f(%x: tensor<2xf32>) -> (tensor<2xf32>) {
        %0 = nn.relu(%1) : tensor<2xf32>
        %1 = nn.neg(%x) : tensor<2xf32>
        return %0 : tensor<2xf32>
      }
      """;
    DiagnosticException e = assertThrows(DiagnosticException.class, () -> parse(text));
    assertEquals(List.of("use of undefined value %1"), messages(e.diagnostics()));
    assertEquals(new Location.FileLine("v.kir", 2, 16), e.diagnostics().getFirst().location());
  }

  @Test
  void region_value_is_not_visible_after_the_region() {
    String text = """
      func @f(%c: tensor<bool>, %x: tensor<2xf32>) -> (tensor<2xf32>) {
        %0 = nn.if(%c) : tensor<2xf32> ({
          %in = nn.relu(%x) : tensor<2xf32>
          return %in : tensor<2xf32>
        }, {
          return %x : tensor<2xf32>
        })
        %1 = nn.neg(%in) : tensor<2xf32>
        return %1 : tensor<2xf32>
      }
      """;
    DiagnosticException e = assertThrows(DiagnosticException.class, () -> parse(text));
    assertEquals(List.of("use of undefined value %in"), messages(e.diagnostics()));
    assertEquals(new Location.FileLine("v.kir", 8, 15), e.diagnostics().getFirst().location());
  }

  @Test
  void region_cannot_use_the_result_of_its_own_node() {
    String text = """
      func @f(%c: tensor<bool>, %x: tensor<2xf32>) -> (tensor<2xf32>) {
        %r = nn.if(%c) : tensor<2xf32> ({
          return %r : tensor<2xf32>
        }, {
          return %x : tensor<2xf32>
        })
        return %r : tensor<2xf32>
      }
      """;
    DiagnosticException e = assertThrows(DiagnosticException.class, () -> parse(text));
    assertEquals(List.of("use of undefined value %r"), messages(e.diagnostics()));
  }

  @Test
  void values_do_not_leak_between_functions() {
    String text = """
      func @f(%x: tensor<2xf32>) -> (tensor<2xf32>) {
        return %x : tensor<2xf32>
      }

      func @g() -> (tensor<2xf32>) {
        return %x : tensor<2xf32>
      }
      """;
    DiagnosticException e = assertThrows(DiagnosticException.class, () -> parse(text));
    assertEquals(List.of("use of undefined value %x"), messages(e.diagnostics()));
    assertEquals(new Location.FileLine("v.kir", 6, 10), e.diagnostics().getFirst().location());
  }

  @Test
  void function_result_mismatch_parses_but_does_not_verify() {
    String text = """
      func @f(%x: tensor<2xf32>) -> (tensor<3xf32>) {
        %0 = nn.relu(%x) : tensor<2xf32>
        return %0 : tensor<2xf32>
      }
      """;
    Module m = parse(text);
    List<Diagnostic> ds = Verifier.verify(m);
    assertEquals(
      List.of("@f result 0 is declared tensor<3xf32> but return gives tensor<2xf32>"),
      messages(ds)
    );
    assertEquals(new Location.FileLine("v.kir", 3, 3), ds.getFirst().location());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
    delimiter = '|',
    quoteCharacter = '"',
    textBlock = """
    missing return          | func @f(%x: tensor<2xf32>) -> () {\\n  %0 = nn.relu(%x) : tensor<2xf32>\\n} | 3:1 | block must end with return
    missing region return   | func @f(%c: tensor<bool>) -> () {\\n  nn.if(%c) : () ({\\n  }, {\\n    return\\n  })\\n  return\\n} | 3:3 | block must end with return
    redefinition            | func @f(%x: tensor<2xf32>) -> () {\\n  %x = nn.relu(%x) : tensor<2xf32>\\n  return\\n} | 2:3 | redefinition of %x
    redefinition in region  | func @f(%c: tensor<bool>, %x: tensor<2xf32>) -> () {\\n  nn.if(%c) : () ({\\n    %x = nn.neg(%x) : tensor<2xf32>\\n    return\\n  }, {\\n    return\\n  })\\n  return\\n} | 3:5 | redefinition of %x
    declared type           | func @f(%x: tensor<2xf32>) -> () {\\n  %0 = nn.relu(%x) : tensor<3xf32>\\n  return\\n} | 2:8 | nn.relu: declared result type tensor<3xf32> does not match inferred type tensor<2xf32>
    return type             | func @f(%x: tensor<2xf32>) -> (tensor<2xf32>) {\\n  return %x : tensor<3xf32>\\n} | 2:10 | return value 0 has type tensor<2xf32>, not tensor<3xf32>
    return counts           | func @f(%x: tensor<2xf32>) -> (tensor<2xf32>) {\\n  return %x : tensor<2xf32>, tensor<2xf32>\\n} | 2:3 | return lists 1 values but 2 types
    result count            | func @f(%x: tensor<2xf32>) -> () {\\n  %0, %1 = nn.relu(%x) : tensor<2xf32>\\n  return\\n} | 2:12 | nn.relu defines 2 values but declares 1 types
    unknown op              | func @f(%x: tensor<2xf32>) -> () {\\n  %0 = nn.frobnicate(%x) : tensor<2xf32>\\n  return\\n} | 2:8 | unknown op 'nn.frobnicate'
    concat of scalars       | func @f(%a: tensor<f32>) -> () {\\n  %0 = nn.concat(%a, %a) {axis = 0} : tensor<2xf32>\\n  return\\n} | 2:8 | nn.concat: inputs must have rank >= 1, got tensor<f32>
    reshape past max rank   | func @f(%a: tensor<1xf32>) -> () {\\n  %0 = nn.reshape(%a) {shape = [RANK65]} : tensor<1xf32>\\n  return\\n} | 2:8 | nn.reshape: rank 65 exceeds 64
    duplicate function      | func @f() -> () {\\n  return\\n}\\nfunc @f() -> () {\\n  return\\n} | 4:6 | redefinition of function @f
    """
  )
  void parse_errors(String what, String escaped, String at, String message) {
    String text = escaped
      .replace("\\n", "\n")
      .replace("RANK65", String.join(", ", Collections.nCopies(65, "1")));
    DiagnosticException e = assertThrows(DiagnosticException.class, () -> parse(text), what);
    assertEquals(List.of(message), messages(e.diagnostics()), what);
    String[] lc = at.split(":");
    assertEquals(
      new Location.FileLine("v.kir", Integer.parseInt(lc[0]), Integer.parseInt(lc[1])),
      e.diagnostics().getFirst().location(),
      what
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Known bugs, kept as disabled regression tests (see the report that came with these tests)

  @Test
  void operand_count_that_breaks_the_spec_is_reported() {
    Func f = new Func("f", List.of(F32_2), L1);
    BlockArgument x = f.entry().addArgument(F32_2, "x");
    Node add = new Builder(f.entry()).create(new Add(), List.of(x, x), L2);
    ret(f.entry(), add.result());
    new Rewriter().setOp(add, new Relu());
    assertEquals(List.of("nn.relu takes 1 operand, got 2"), messages(Verifier.verify(module(f))));
  }

  @Test
  void erasing_nested_regions_drops_every_use() {
    Func f = new Func("f", List.of(), L1);
    BlockArgument c = f.entry().addArgument(BOOL, "c");
    BlockArgument x = f.entry().addArgument(F32_2, "x");
    Region deep = new Region();
    new Builder(deep.block()).create(new Relu(), List.of(x), L2);
    ret(deep.block());
    Region middle = new Region();
    new Builder(middle.block()).create(new If(), List.of(c), List.of(deep, returning()), null, L2);
    ret(middle.block());
    Node outer = new Builder(f.entry()).create(
      new If(),
      List.of(c),
      List.of(middle, returning()),
      null,
      L3
    );
    ret(f.entry());
    assertEquals(1, x.uses().size());
    new Rewriter().erase(outer);
    assertEquals(List.of(), Verifier.verify(module(f)));
    assertEquals(List.of(), x.uses(), "x is used by nothing left in the module");
  }
}
