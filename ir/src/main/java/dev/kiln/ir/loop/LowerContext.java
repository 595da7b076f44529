package dev.kiln.ir.loop;

import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.List;
import java.util.function.Consumer;

/**
 * What an op's lowering sees while it writes the Loop IR of one node: its operand and result types
 * (all static), reads of operand elements, its result buffers, and a statement builder. Operand
 * reads and result writes use the compute type ({@link Scalar#compute()}): 16-bit float tensors
 * are widened on load and narrowed on store by the context.
 *
 * <p>Statements are appended to the innermost open body: {@link #loop}, {@link #ifThen} and {@link
 * #forEach} open a body, run the given code, and close it.
 */
public interface LowerContext {
  /** Number of operands the node has (optional operands that are absent are not counted). */
  int numOperands();

  /** Number of results. */
  int numResults();

  TensorType operandType(int i);

  TensorType resultType(int i);

  /** Static dims of operand {@code i}. */
  long[] operandDims(int i);

  /** Static dims of result {@code i}. */
  long[] resultDims(int i);

  /** The compute type of operand {@code i}'s elements. */
  Scalar operandScalar(int i);

  /** The compute type of result {@code i}'s elements. */
  Scalar resultScalar(int i);

  /** The value of operand {@code i} when it is a constant, otherwise null. */
  Tensor constant(int i);

  /** Operand {@code i}'s element at the multi-index {@code index} (one {@code I64} per dim). */
  Expr load(int i, List<Expr> index);

  /** Operand {@code i}'s element at the row-major linear offset {@code offset}. */
  Expr loadLinear(int i, Expr offset);

  /** Stores {@code value} (of the result's compute type) at {@code index} of result {@code r}. */
  void store(int r, List<Expr> index, Expr value);

  /** Stores {@code value} at the row-major linear offset of result {@code r}. */
  void storeLinear(int r, Expr offset, Expr value);

  /**
   * The buffer holding operand {@code i} (materialized first when it was fused away), for
   * micro-kernel calls; elements keep their storage type.
   */
  Buffer operandBuffer(int i);

  /** The buffer result {@code r} is written to. */
  Buffer resultBuffer(int r);

  /**
   * A workspace buffer of {@code length} elements private to this node, live only while it runs.
   */
  Buffer scratch(Scalar elem, long length);

  /**
   * A read-only buffer holding {@code data}, for tables a lowering computes at compile time (such
   * as interpolation weights); it becomes one of the function's constants.
   */
  Buffer table(Tensor data);

  /** Appends a statement to the current body. */
  void emit(Stmt s);

  /** Declares a scalar variable initialized to {@code init} and returns it. */
  Expr.Var let(String hint, Expr init);

  /** Assigns {@code value} to a variable from {@link #let}. */
  default void assign(Expr.Var v, Expr value) {
    emit(new Stmt.Assign(v, value));
  }

  /** Emits {@code for i in [lower, upper)} whose body {@code body} writes, and returns nothing. */
  void loop(String hint, Expr lower, Expr upper, Schedule schedule, Consumer<Expr.Var> body);

  /** {@link #loop} from 0 to {@code upper} with the default schedule. */
  default void loop(String hint, long upper, Consumer<Expr.Var> body) {
    loop(hint, Ex.i64(0), Ex.i64(upper), Schedule.DEFAULT, body);
  }

  /** Emits {@code if cond then ... else ...}; {@code otherwise} may be null. */
  void ifThen(Expr cond, Runnable then, Runnable otherwise);

  /** Emits {@code while cond { body }}; {@code cond} is re-evaluated before each run. */
  void whileLoop(Expr cond, Runnable body);

  /**
   * Emits a loop nest over every index of {@code dims} (row-major, the innermost loop vectorized)
   * and runs {@code body} with the indices.
   */
  void forEach(long[] dims, Consumer<List<Expr>> body);

  /** Emits a micro-kernel call. */
  default void call(String kernel, List<Stmt.Arg> args) {
    emit(new Stmt.Call(kernel, args));
  }

  /**
   * The target the code is for when it links the runtime-c micro-kernels; null when it does not
   * (the Loop IR interpreter).
   */
  TargetInfo target();

  /**
   * Whether the target links the runtime-c micro-kernels (the Loop IR interpreter and GPU targets do
   * not).
   */
  default boolean kernelsAvailable() {
    return target() != null && target().kernels() != TargetInfo.KernelSet.NONE;
  }

  /**
   * Asks for {@code bytes} of per-thread scratch for a kernel call passed {@link Stmt.Exec}: every
   * thread slot of the function is at least that large.
   */
  void reserveThreadScratch(long bytes);
}
