package dev.kiln.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.LLVMInstallFatalErrorHandler;

import dev.kiln.ir.DiagnosticException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Supplier;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.llvm.LLVM.LLVMFatalErrorHandler;

/**
 * What code generation is doing on the current thread, so that a failure says where it happened.
 *
 * <p>Stages nest ({@link #during}): compiling a model, translating one group of its Loop IR (the
 * Graph IR nodes it computes), running the optimization pipeline, emitting the object. A Java
 * failure inside a stage propagates as an {@link IllegalStateException} whose message starts with
 * {@code while STAGE, OUTER STAGE, ...: } (a {@link DiagnosticException} passes through as it is).
 *
 * <p>LLVM reports some failures, such as an instruction it cannot select ({@code Cannot select:
 * ...}), through {@code report_fatal_error}, which calls the installed handler and then exits or
 * aborts the process: control never comes back to Java. {@link #installFatalErrorHandler()}
 * installs a handler that prints one line, {@code kiln: internal error: LLVM fatal error while
 * STAGES: REASON; please report}, and halts the JVM with status 1 before LLVM aborts it. That ends
 * every caller in the process, so a long-lived process that must survive such a failure compiles
 * in a worker process.
 */
public final class CodegenStage {

  /** Status the JVM halts with after an LLVM fatal error. */
  public static final int FATAL_STATUS = 1;

  private static final ThreadLocal<Deque<String>> STAGES = ThreadLocal.withInitial(ArrayDeque::new);

  private static LLVMFatalErrorHandler handler;

  private CodegenStage() {}

  /** Runs {@code work} as stage {@code what} (e.g. {@code emitting the object of model}). */
  public static <T> T during(String what, Supplier<T> work) {
    Deque<String> stages = STAGES.get();
    stages.push(what);
    try {
      return work.get();
    } catch (DiagnosticException | StageFailure e) {
      throw e;
    } catch (RuntimeException e) {
      throw new StageFailure("while " + describe() + ": " + e.getMessage(), e);
    } finally {
      stages.pop();
    }
  }

  /** {@link #during} for work without a result. */
  public static void during(String what, Runnable work) {
    during(what, () -> {
      work.run();
      return null;
    });
  }

  /** The stages of this thread, innermost first, joined by {@code ", "}; empty when none. */
  public static String describe() {
    return String.join(", ", STAGES.get());
  }

  /**
   * Installs the fatal error handler described in the class comment, once per process. Called
   * when an LLVM target is first created.
   */
  static synchronized void installFatalErrorHandler() {
    if (handler != null) {
      return;
    }
    handler = new LLVMFatalErrorHandler() {
      @Override
      public void call(BytePointer reason) {
        fatal(reason == null || reason.isNull() ? "" : reason.getString(StandardCharsets.UTF_8));
      }
    };
    LLVMInstallFatalErrorHandler(handler);
  }

  private static void fatal(String reason) {
    String stages = describe();
    PrintStream err = System.err;
    err.println(
      "kiln: internal error: LLVM fatal error" +
      (stages.isEmpty() ? "" : " while " + stages) +
      ": " +
      reason.strip().replaceAll("\\s*\n\\s*", "; ") +
      "; please report"
    );
    err.flush();
    Runtime.getRuntime().halt(FATAL_STATUS);
  }

  /** A failure inside a stage, with the stages in its message. */
  public static final class StageFailure extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    StageFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
