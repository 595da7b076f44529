package dev.kiln.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.ir.DiagnosticException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The stack estimate from ARM unwind directives, size parsing and the limit diagnostics. */
class MemoryReportTest {

  private static final String ASM = """
    	.type	net_run,%function
    net_run:
    	.fnstart
    	.save	{r4, r5, lr}
    	push	{r4, r5, lr}
    	.pad	#16
    	sub	sp, #16
    	bl	helper
    	bl	expf
    	movw	r0, :lower16:task
    	blx	r3
    	b	.LBB0_2
    .Lfunc_end0:
    	.fnend
    	.type	helper,%function
    helper:
    	.fnstart
    	.save	{r4-r7, lr}
    	.vsave	{d8, d9}
    	.pad	#8
    	bx	lr
    	.fnend
    	.type	task,%function
    task:
    	.fnstart
    	.save	{r4, lr}
    	.pad	#100
    	bl	helper
    	.fnend
    	.type	unused,%function
    unused:
    	.save	{r4, lr}
    	.pad	#4000
    	.fnend
    """;

  @Test
  void stack_is_the_deepest_chain_with_indirect_calls_to_address_taken_functions() {
    long helper = 5 * 4 + 2 * 8 + 8;
    long task = 2 * 4 + 100 + helper;
    long run = 3 * 4 + 16 + Math.max(helper, task);
    assertEquals(run, MemoryReport.stack(ASM, List.of("net_run", "net_run_ctx")));
  }

  @Test
  void recursion_is_a_bug() {
    String asm = """
      	.type	f,%function
      f:
      	.save	{lr}
      	bl	f
      """;
    assertThrows(IllegalStateException.class, () -> MemoryReport.stack(asm, List.of("f")));
  }

  @Test
  void sizes_take_k_and_m() {
    assertEquals(512L, MemoryReport.parseSize("512"));
    assertEquals(256L * 1024, MemoryReport.parseSize("256K"));
    assertEquals(2L << 20, MemoryReport.parseSize("2MiB"));
    assertNull(MemoryReport.parseSize("2G"));
    assertNull(MemoryReport.parseSize("-1"));
  }

  @Test
  void limits_say_which_is_exceeded_and_by_how_much() {
    MemoryReport r = new MemoryReport(1000, 3000, 10, 20, 400, 70);
    assertEquals(4010, r.flash());
    assertEquals(500, r.ram());
    r.check(4010L, 500L);
    var e = assertThrows(DiagnosticException.class, () -> r.check(4000L, null));
    assertEquals("flash 4010 bytes exceeds --flash-limit 4000 by 10 bytes", e.getMessage());
    e = assertThrows(DiagnosticException.class, () -> r.check(null, 499L));
    assertEquals("RAM 500 bytes exceeds --ram-limit 499 by 1 bytes", e.getMessage());
  }
}
