package dev.kiln.ir.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoopInterpreterTest {

  private static Tensor f32(double... v) {
    return Tensor.ofDoubles(new TensorType(ElementType.F32, Shape.of(v.length)), v);
  }

  private static Buffer in(Scalar s, long n) {
    return Buffer.param(Buffer.Kind.INPUT, "x", s, 0, new long[] { n }, "x");
  }

  private static Buffer out(Scalar s, long n) {
    return Buffer.param(Buffer.Kind.OUTPUT, "y", s, 0, new long[] { n }, "y");
  }

  private static double[] run1(Scalar outType, Expr.Var i, Buffer x, Expr value, Tensor input) {
    Buffer y = out(outType, x.length());
    LoopFunc f = new LoopFunc(
      "f",
      List.of(x),
      List.of(y),
      List.of(),
      List.of(),
      0,
      List.of(
        new Stmt.For(
          i,
          Ex.i64(0),
          Ex.i64(x.length()),
          Schedule.DEFAULT,
          List.of(new Stmt.Store(y, i, value))
        )
      )
    );
    return LoopInterpreter.run(f, List.of(input)).getFirst().toDoubles();
  }

  @Test
  void elementwiseLoopRoundsToF32() {
    Buffer x = in(Scalar.F32, 3);
    Expr.Var i = new Expr.Var("i", Scalar.I64);
    Expr e = Ex.add(new Expr.Load(x, i), Ex.c(Scalar.F32, 0.1));
    double[] got = run1(Scalar.F32, i, x, e, f32(1, 2, 3));
    assertArrayEquals(new double[] { 1.1f, 2.1f, 3.1f }, got);
  }

  @Test
  void floatToIntCastsSaturateAndNanGivesZero() {
    Buffer x = in(Scalar.F32, 4);
    Expr.Var i = new Expr.Var("i", Scalar.I64);
    Expr e = new Expr.Cast(Scalar.I8, new Expr.Load(x, i));
    double[] got = run1(Scalar.I8, i, x, e, f32(300, -300, Double.NaN, -2.7));
    assertArrayEquals(new double[] { 127, -128, 0, -2 }, got);
  }

  @Test
  void integerDivisionByZeroAndOverflowDoNotTrap() {
    Buffer y = out(Scalar.I32, 3);
    Expr min = Ex.ci(Scalar.I32, Integer.MIN_VALUE);
    LoopFunc f = new LoopFunc(
      "f",
      List.of(),
      List.of(y),
      List.of(),
      List.of(),
      0,
      List.of(
        new Stmt.Store(
          y,
          Ex.i64(0),
          new Expr.Binary(BinaryOp.DIV, Ex.ci(Scalar.I32, 7), Ex.ci(Scalar.I32, 0))
        ),
        new Stmt.Store(y, Ex.i64(1), new Expr.Binary(BinaryOp.DIV, min, Ex.ci(Scalar.I32, -1))),
        new Stmt.Store(
          y,
          Ex.i64(2),
          new Expr.Binary(BinaryOp.REM, Ex.ci(Scalar.I32, -7), Ex.ci(Scalar.I32, 2))
        )
      )
    );
    assertArrayEquals(
      new long[] { 0, Integer.MIN_VALUE, -1 },
      LoopInterpreter.run(f, List.of()).getFirst().toLongs()
    );
  }

  @Test
  void reductionWithLetAndAssign() {
    Buffer x = in(Scalar.F32, 4);
    Buffer y = out(Scalar.F32, 1);
    Expr.Var acc = new Expr.Var("acc", Scalar.F32);
    Expr.Var i = new Expr.Var("i", Scalar.I64);
    LoopFunc f = new LoopFunc(
      "sum",
      List.of(x),
      List.of(y),
      List.of(),
      List.of(),
      0,
      List.of(
        new Stmt.Let(acc, Ex.c(Scalar.F32, 0)),
        new Stmt.For(
          i,
          Ex.i64(0),
          Ex.i64(4),
          Schedule.DEFAULT,
          List.of(new Stmt.Assign(acc, Ex.add(acc, new Expr.Load(x, i))))
        ),
        new Stmt.Store(y, Ex.i64(0), acc)
      )
    );
    assertEquals(10.0, LoopInterpreter.run(f, List.of(f32(1, 2, 3, 4))).getFirst().getDouble(0));
  }

  @Test
  void workspaceBuffersShareBytes() {
    Buffer y = out(Scalar.I32, 1);
    Buffer a = Buffer.workspace("a", Scalar.I32, 1, 0);
    Buffer b = Buffer.workspace("b", Scalar.U8, 4, 0);
    LoopFunc f = new LoopFunc(
      "alias",
      List.of(),
      List.of(y),
      List.of(),
      List.of(a, b),
      64,
      List.of(
        new Stmt.Store(a, Ex.i64(0), Ex.ci(Scalar.I32, 0x01020304)),
        new Stmt.Store(y, Ex.i64(0), new Expr.Cast(Scalar.I32, new Expr.Load(b, Ex.i64(0))))
      )
    );
    assertEquals(4, LoopInterpreter.run(f, List.of()).getFirst().getLong(0));
  }

  @Test
  void outOfBoundsLoadIsALoweringBug() {
    Buffer x = in(Scalar.F32, 2);
    Expr.Var i = new Expr.Var("i", Scalar.I64);
    Expr e = new Expr.Load(x, Ex.add(i, Ex.i64(1)));
    IllegalStateException ex = assertThrows(IllegalStateException.class, () ->
      run1(Scalar.F32, i, x, e, f32(1, 2))
    );
    assertTrue(ex.getMessage().contains("out of bounds of %x"), ex.getMessage());
  }

  @Test
  void verifierRejectsOutOfScopeVariablesAndStoresToInputs() {
    Buffer x = in(Scalar.F32, 1);
    Expr.Var v = new Expr.Var("v", Scalar.F32);
    IllegalArgumentException scope = assertThrows(IllegalArgumentException.class, () ->
      new LoopFunc(
        "f",
        List.of(x),
        List.of(),
        List.of(),
        List.of(),
        0,
        List.of(new Stmt.Assign(v, v))
      )
    );
    assertTrue(scope.getMessage().contains("%v used out of scope"), scope.getMessage());
    IllegalArgumentException store = assertThrows(IllegalArgumentException.class, () ->
      new LoopFunc(
        "f",
        List.of(x),
        List.of(),
        List.of(),
        List.of(),
        0,
        List.of(new Stmt.Store(x, Ex.i64(0), Ex.c(Scalar.F32, 1)))
      )
    );
    assertTrue(store.getMessage().contains("store into input %x"), store.getMessage());
    assertThrows(IllegalArgumentException.class, () ->
      new Expr.Binary(BinaryOp.ADD, Ex.c(Scalar.F32, 1), Ex.i64(1))
    );
  }

  @Test
  void printerShowsLoopsSchedulesAndCalls() {
    Buffer x = in(Scalar.F32, 8);
    Buffer y = out(Scalar.F32, 8);
    Expr.Var i = new Expr.Var("i", Scalar.I64);
    LoopFunc f = new LoopFunc(
      "p",
      List.of(x),
      List.of(y),
      List.of(),
      List.of(),
      0,
      List.of(
        new Stmt.For(
          i,
          Ex.i64(0),
          Ex.i64(8),
          Schedule.vectorized(4),
          List.of(new Stmt.Store(y, i, Ex.exp(new Expr.Load(x, i))))
        ),
        new Stmt.Call(
          "kiln_k",
          List.of(
            new Stmt.Struct(List.of(Ex.ci(Scalar.I32, 8), Ex.c(Scalar.F32, 0.5))),
            new Stmt.Pointer(x, Ex.i64(0)),
            new Stmt.Null()
          )
        )
      )
    );
    assertEquals(
      """
      loop.func @p workspace 0 {
        input %x: buffer<8xf32> "x"
        output %y: buffer<8xf32> "y"
        for %i = 0 to 8 vectorize(4) {
          %y[%i] = exp(%x[%i])
        }
        call kiln_k({8:i32, 0.5:f32}, &%x[0], null)
      }
      """,
      LoopPrinter.print(f)
    );
  }
}
