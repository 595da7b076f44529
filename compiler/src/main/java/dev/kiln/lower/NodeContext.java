package dev.kiln.lower;

import dev.kiln.ir.Node;
import dev.kiln.ir.OpResult;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.Schedule;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.TargetInfo;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.Elementwise;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** The {@link LowerContext} of one node, backed by its {@link Lowering}. */
final class NodeContext implements LowerContext {

  private final Lowering lowering;
  private final Node node;
  private final long[] scratchTop;

  NodeContext(Lowering lowering, Node node) {
    this.lowering = lowering;
    this.node = node;
    this.scratchTop = new long[] { lowering.arenaEnd() };
  }

  /** Element {@code idx} of this elementwise node's result, operands broadcast to its shape. */
  Expr element(Elementwise e, List<Expr> idx) {
    long[] out = resultDims(0);
    List<Expr> operands = new ArrayList<>();
    for (int i = 0; i < numOperands(); i++) {
      operands.add(load(i, broadcast(idx, operandDims(i), out)));
    }
    return e.lowerElement(this, operands);
  }

  /** The index into an operand of {@code dims} that numpy broadcasting reads for {@code idx}. */
  static List<Expr> broadcast(List<Expr> idx, long[] dims, long[] out) {
    int shift = out.length - dims.length;
    List<Expr> r = new ArrayList<>(dims.length);
    for (int d = 0; d < dims.length; d++) {
      r.add(dims[d] == 1 && out[d + shift] != 1 ? Ex.i64(0) : idx.get(d + shift));
    }
    return r;
  }

  void releaseScratch() {
    scratchTop[0] = lowering.arenaEnd();
  }

  @Override
  public int numOperands() {
    return node.numOperands();
  }

  @Override
  public int numResults() {
    return node.results().size();
  }

  @Override
  public TensorType operandType(int i) {
    return node.operand(i).type();
  }

  @Override
  public TensorType resultType(int i) {
    return node.result(i).type();
  }

  @Override
  public long[] operandDims(int i) {
    return Lowering.dims(operandType(i));
  }

  @Override
  public long[] resultDims(int i) {
    return Lowering.dims(resultType(i));
  }

  @Override
  public Scalar operandScalar(int i) {
    return Lowering.scalar(operandType(i)).compute();
  }

  @Override
  public Scalar resultScalar(int i) {
    return Lowering.scalar(resultType(i)).compute();
  }

  @Override
  public Tensor constant(int i) {
    Value v = node.operand(i);
    if (v instanceof OpResult r && r.definingNode().op() instanceof Constant c) {
      return c.value();
    }
    return null;
  }

  @Override
  public Expr load(int i, List<Expr> index) {
    return lowering.read(node.operand(i), index);
  }

  @Override
  public Expr loadLinear(int i, Expr offset) {
    return lowering.readLinear(node.operand(i), offset);
  }

  @Override
  public void store(int r, List<Expr> index, Expr value) {
    storeTo(resultBuffer(r), index, value);
  }

  void storeTo(Buffer b, List<Expr> index, Expr value) {
    long[] dims = resultDimsOf(b);
    lowering.emitter.emit(
      new Stmt.Store(b, Ex.linear(dims, index), Lowering.narrow(b.elem(), value))
    );
  }

  private long[] resultDimsOf(Buffer b) {
    for (int r = 0; r < numResults(); r++) {
      Lowering.Storage s = lowering.storage(node.result(r));
      if (s instanceof Lowering.Stored st && st.buffer() == b) {
        return resultDims(r);
      }
    }
    return resultDims(0);
  }

  @Override
  public void storeLinear(int r, Expr offset, Expr value) {
    Buffer b = resultBuffer(r);
    lowering.emitter.emit(new Stmt.Store(b, offset, Lowering.narrow(b.elem(), value)));
  }

  @Override
  public Buffer operandBuffer(int i) {
    return lowering.buffer(node.operand(i));
  }

  @Override
  public Buffer resultBuffer(int r) {
    return ((Lowering.Stored) lowering.storage(node.result(r))).buffer();
  }

  @Override
  public Buffer scratch(Scalar elem, long length) {
    return lowering.scratch(elem, length, scratchTop);
  }

  @Override
  public Buffer table(Tensor data) {
    return lowering.table(data);
  }

  @Override
  public void emit(Stmt s) {
    lowering.emitter.emit(s);
  }

  @Override
  public Expr.Var let(String hint, Expr init) {
    return lowering.emitter.letVar(hint, init);
  }

  @Override
  public void loop(
    String hint,
    Expr lower,
    Expr upper,
    Schedule schedule,
    Consumer<Expr.Var> body
  ) {
    lowering.emitter.loop(hint, lower, upper, schedule, body);
  }

  @Override
  public void ifThen(Expr cond, Runnable then, Runnable otherwise) {
    lowering.emitter.ifThen(cond, then, otherwise);
  }

  @Override
  public void whileLoop(Expr cond, Runnable body) {
    lowering.emitter.whileLoop(cond, body);
  }

  @Override
  public void forEach(long[] dims, Consumer<List<Expr>> body) {
    lowering.emitter.forEach(dims, body);
  }

  @Override
  public TargetInfo target() {
    return lowering.target();
  }

  @Override
  public void reserveThreadScratch(long bytes) {
    lowering.reserveThreadScratch(bytes);
  }
}
