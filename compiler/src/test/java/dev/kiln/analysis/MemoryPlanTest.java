package dev.kiln.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.analysis.ArenaAllocator.Interval;
import dev.kiln.analysis.ArenaAllocator.Order;
import dev.kiln.ir.Block;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Func;
import dev.kiln.ir.Module;
import dev.kiln.ir.Node;
import dev.kiln.ir.Region;
import dev.kiln.ir.Value;
import dev.kiln.ir.text.ModuleParser;
import dev.kiln.pass.PassManager;
import dev.kiln.pass.PlanMemory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Memory plans of hand-built functions whose lifetimes, and so offsets, are known. */
class MemoryPlanTest {

  static Func parse(String text) {
    Module m = ModuleParser.parse(text, "plan.kir");
    return m.funcs().getFirst();
  }

  static Value value(Func f, String name) {
    Value v = find(f.entry(), name);
    if (v == null) {
      throw new AssertionError("no value %" + name);
    }
    return v;
  }

  private static Value find(Block b, String name) {
    for (Value a : b.arguments()) {
      if (name.equals(a.nameHint())) {
        return a;
      }
    }
    for (Node n : b.nodes()) {
      for (Value r : n.results()) {
        if (name.equals(r.nameHint())) {
          return r;
        }
      }
      for (Region r : n.regions()) {
        Value v = find(r.block(), name);
        if (v != null) {
          return v;
        }
      }
    }
    return null;
  }

  static long offset(MemoryPlan p, Func f, String name) {
    return p.offset(value(f, name)).orElseThrow();
  }

  /** {@code %a} is read by the add, so the relu cannot write over it; the add can. */
  static final String CHAIN = """
    func @main(%x: tensor<16xf32>) -> (tensor<16xf32>) {
      %a = nn.exp(%x) : tensor<16xf32>
      %b = nn.relu(%a) : tensor<16xf32>
      %c = nn.add(%a, %b) : tensor<16xf32>
      %d = nn.neg(%c) : tensor<16xf32>
      return %d : tensor<16xf32>
    }
    """;

  @Test
  void chain_known_offsets_and_in_place_add() {
    Func f = parse(CHAIN);
    MemoryPlan p = MemoryPlan.of(f);
    assertEquals(0, offset(p, f, "a"));
    assertEquals(64, offset(p, f, "b"));
    assertEquals(0, offset(p, f, "c"));
    assertSame(p.buffer(value(f, "a")).orElseThrow(), p.buffer(value(f, "c")).orElseThrow());
    MemoryPlan.Buffer ac = p.buffer(value(f, "a")).orElseThrow();
    assertEquals(0, ac.first());
    assertEquals(3, ac.last());
    MemoryPlan.Buffer b = p.buffer(value(f, "b")).orElseThrow();
    assertEquals(1, b.first());
    assertEquals(2, b.last());
    assertEquals(1, p.inPlaceCount());
    assertEquals(128, p.arenaBytes());
    assertEquals(128, p.arenaLowerBound());
  }

  @Test
  void inputs_outputs_and_constants_are_not_in_the_workspace() {
    Func f = parse(
      """
      func @main(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
        %k = nn.constant {value = dense<1.0> : tensor<4xf32>} : tensor<4xf32>
        %a = nn.add(%x, %k) : tensor<4xf32>
        %b = nn.relu(%a) : tensor<4xf32>
        %c = nn.exp(%b) : tensor<4xf32>
        return %a, %c : tensor<4xf32>, tensor<4xf32>
      }
      """
    );
    MemoryPlan p = MemoryPlan.of(f);
    assertTrue(p.offset(value(f, "x")).isEmpty());
    assertTrue(p.offset(value(f, "k")).isEmpty());
    assertTrue(p.offset(value(f, "a")).isEmpty(), "an output lives in the caller's buffer");
    assertTrue(p.offset(value(f, "c")).isEmpty());
    assertEquals(1, p.buffers().size());
    assertEquals(0, offset(p, f, "b"));
    assertEquals(64, p.arenaBytes());
  }

  @Test
  void every_offset_and_the_arena_are_aligned() {
    Func f = parse(
      """
      func @main(%x: tensor<3xf32>) -> (tensor<9xf32>) {
        %a = nn.exp(%x) : tensor<3xf32>
        %b = nn.neg(%x) : tensor<3xf32>
        %c = nn.sin(%x) : tensor<3xf32>
        %d = nn.concat(%a, %b, %c) {axis = 0} : tensor<9xf32>
        return %d : tensor<9xf32>
      }
      """
    );
    MemoryPlan p = MemoryPlan.of(f);
    for (String v : List.of("a", "b", "c")) {
      assertEquals(0, offset(p, f, v) % 64, v);
    }
    assertEquals(192, p.arenaBytes());
    assertEquals(192, p.arenaLowerBound());
  }

  @Test
  void in_place_not_when_the_input_is_read_later() {
    Func f = parse(CHAIN);
    MemoryPlan p = MemoryPlan.of(f);
    assertNotEquals(p.buffer(value(f, "a")).orElseThrow(), p.buffer(value(f, "b")).orElseThrow());
  }

  @Test
  void in_place_not_when_sizes_differ() {
    Func f = parse(
      """
      func @main(%x: tensor<4x1xf32>, %y: tensor<4x4xf32>) -> (tensor<4x4xf32>) {
        %a = nn.exp(%x) : tensor<4x1xf32>
        %b = nn.add(%a, %y) : tensor<4x4xf32>
        %c = nn.exp(%b) : tensor<4x4xf32>
        return %c : tensor<4x4xf32>
      }
      """
    );
    MemoryPlan p = MemoryPlan.of(f);
    assertNotEquals(p.buffer(value(f, "a")).orElseThrow(), p.buffer(value(f, "b")).orElseThrow());
    assertEquals(0, p.inPlaceCount());
    assertEquals(128, p.arenaLowerBound());
  }

  @Test
  void in_place_not_when_element_widths_differ() {
    Func f = parse(
      """
      func @main(%x: tensor<16xf32>) -> (tensor<16xbool>) {
        %a = nn.exp(%x) : tensor<16xf32>
        %b = nn.less(%a, %x) : tensor<16xbool>
        %c = nn.not(%b) : tensor<16xbool>
        return %c : tensor<16xbool>
      }
      """
    );
    MemoryPlan p = MemoryPlan.of(f);
    assertNotEquals(p.buffer(value(f, "a")).orElseThrow(), p.buffer(value(f, "b")).orElseThrow());
  }

  @Test
  void in_place_chains_through_several_ops() {
    Func f = parse(
      """
      func @main(%x: tensor<64xf32>) -> (tensor<64xf32>) {
        %a = nn.exp(%x) : tensor<64xf32>
        %b = nn.relu(%a) : tensor<64xf32>
        %c = nn.mul(%b, %b) : tensor<64xf32>
        %d = nn.neg(%c) : tensor<64xf32>
        return %d : tensor<64xf32>
      }
      """
    );
    MemoryPlan p = MemoryPlan.of(f);
    assertEquals(1, p.buffers().size());
    assertEquals(3, p.buffers().getFirst().values().size());
    assertEquals(256, p.arenaBytes());
  }

  @Test
  void non_elementwise_ops_never_write_in_place() {
    Func f = parse(
      """
      func @main(%x: tensor<4x4xf32>) -> (tensor<4x4xf32>) {
        %a = nn.exp(%x) : tensor<4x4xf32>
        %b = nn.transpose(%a) {perm = [1, 0]} : tensor<4x4xf32>
        %c = nn.exp(%b) : tensor<4x4xf32>
        return %c : tensor<4x4xf32>
      }
      """
    );
    MemoryPlan p = MemoryPlan.of(f);
    assertEquals(0, p.inPlaceCount());
    assertEquals(128, p.arenaBytes());
  }

  @Test
  void region_values_live_in_a_scratch_buffer_at_the_if() {
    Func f = parse(
      """
      func @main(%x: tensor<16xf32>, %p: tensor<bool>) -> (tensor<16xf32>) {
        %a = nn.exp(%x) : tensor<16xf32>
        %r = nn.if(%p) : tensor<16xf32> ({
          %t1 = nn.relu(%a) : tensor<16xf32>
          %t2 = nn.neg(%t1) : tensor<16xf32>
          return %t2 : tensor<16xf32>
        }, {
          %e1 = nn.sin(%a) : tensor<16xf32>
          return %e1 : tensor<16xf32>
        })
        %s = nn.exp(%r) : tensor<16xf32>
        return %s : tensor<16xf32>
      }
      """
    );
    MemoryPlan p = MemoryPlan.of(f);
    MemoryPlan.Buffer scratch = p
      .buffers()
      .stream()
      .filter(b -> b.scratchFor() != null)
      .findFirst()
      .orElseThrow();
    assertEquals(1, scratch.first());
    assertEquals(1, scratch.last());
    assertEquals(128, scratch.bytes(), "the larger branch: two values of 64 bytes");
    long base = scratch.offset();
    assertEquals(base, offset(p, f, "t1"));
    assertEquals(base + 64, offset(p, f, "t2"));
    assertEquals(base, offset(p, f, "e1"), "both branches start at the scratch base");
    MemoryPlan.Buffer a = p.buffer(value(f, "a")).orElseThrow();
    assertEquals(1, a.last(), "a read inside a region counts at the if");
    assertTrue(a.offset() >= base + 128 || a.offset() + 64 <= base);
    assertEquals(256, p.arenaLowerBound(), "%a, %r and the scratch at the if");
    assertEquals(256, p.arenaBytes());
  }

  @Test
  void dynamic_shape_is_reported() {
    Func f = parse(
      """
      func @main(%x: tensor<"n"x4xf32>) -> (tensor<"n"x4xf32>) {
        %a = nn.exp(%x) : tensor<"n"x4xf32>
        %b = nn.neg(%a) : tensor<"n"x4xf32>
        return %b : tensor<"n"x4xf32>
      }
      """
    );
    DiagnosticException e = assertThrows(DiagnosticException.class, () -> MemoryPlan.of(f));
    assertTrue(e.getMessage().startsWith("the memory plan needs static shapes: "), e.getMessage());
    assertTrue(e.getMessage().contains("nn.exp"), e.getMessage());
    assertTrue(e.getMessage().contains("tensor<\"n\"x4xf32>"), e.getMessage());
  }

  @Test
  void dynamic_input_and_output_only_still_plans() {
    Func f = parse(
      """
      func @main(%x: tensor<"n"x4xf32>) -> (tensor<"n"x4xf32>) {
        %a = nn.exp(%x) : tensor<"n"x4xf32>
        return %a : tensor<"n"x4xf32>
      }
      """
    );
    assertEquals(0, MemoryPlan.of(f).arenaBytes());
  }

  @Test
  void plan_memory_pass_records_plans_and_reasons() {
    Module m = ModuleParser.parse(
      CHAIN +
      """
      func @dyn(%x: tensor<?xf32>) -> (tensor<?xf32>) {
        %a = nn.exp(%x) : tensor<?xf32>
        %b = nn.neg(%a) : tensor<?xf32>
        return %b : tensor<?xf32>
      }
      """,
      "plan.kir"
    );
    PassManager pm = PassManager.parse("plan-memory", PassManager.Options.defaults());
    pm.run(m, System.err);
    PlanMemory pass = (PlanMemory) pm.passes().getFirst();
    assertEquals(128, pass.plans().get("main").arenaBytes());
    assertTrue(pass.unplanned().get("dyn").contains("static shapes"));
    assertFalse(pass.plans().containsKey("dyn"));
  }

  @Test
  void report_lists_every_buffer() {
    MemoryPlan p = MemoryPlan.of(parse(CHAIN));
    String r = p.report();
    assertTrue(r.startsWith("memory plan @main: arena 128 bytes, lower bound 128 bytes"), r);
    assertTrue(r.contains("nn.exp %a <- nn.add %c"), r);
  }

  // ArenaAllocator on hand-made lifetimes

  @Test
  void allocator_reuses_space_of_dead_buffers() {
    List<Interval> items = List.of(
      new Interval(100, 0, 2),
      new Interval(64, 1, 3),
      new Interval(100, 3, 4)
    );
    ArenaAllocator.Assignment a = ArenaAllocator.assign(items, Order.SIZE);
    assertArrayEquals(new long[] { 0, 128, 0 }, a.offsets());
    assertEquals(192, a.arenaBytes());
    assertEquals(192, ArenaAllocator.lowerBound(items));
  }

  /** A gap of 192 bytes at 0 and one of 64 at 320: best fit takes the tight one. */
  @Test
  void allocator_takes_the_best_fitting_gap() {
    List<Interval> items = List.of(
      new Interval(192, 0, 0),
      new Interval(128, 0, 5),
      new Interval(64, 0, 0),
      new Interval(64, 0, 5),
      new Interval(64, 1, 5)
    );
    ArenaAllocator.Assignment a = ArenaAllocator.assign(items, Order.SIZE);
    assertArrayEquals(new long[] { 0, 192, 320, 384, 320 }, a.offsets());
    assertEquals(448, a.arenaBytes());
  }

  @Test
  void allocator_keeps_the_best_order() {
    List<Interval> items = List.of(
      new Interval(192, 0, 0),
      new Interval(128, 0, 5),
      new Interval(64, 0, 0),
      new Interval(64, 0, 5),
      new Interval(64, 1, 5)
    );
    ArenaAllocator.Assignment best = ArenaAllocator.assign(items);
    for (Order o : Order.values()) {
      assertTrue(best.arenaBytes() <= ArenaAllocator.assign(items, o).arenaBytes(), o.name());
    }
    assertTrue(best.arenaBytes() >= ArenaAllocator.lowerBound(items));
  }

  @Test
  void zero_byte_buffers_take_no_space() {
    List<Interval> items = List.of(new Interval(0, 0, 3), new Interval(64, 0, 3));
    ArenaAllocator.Assignment a = ArenaAllocator.assign(items);
    assertEquals(64, a.arenaBytes());
    assertEquals(0, a.offsets()[0]);
  }
}
