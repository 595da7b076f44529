package dev.kiln.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.backend.AccelHooks;
import dev.kiln.backend.LoopModule;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.Schedule;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.UnaryOp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMMetadataRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Builds the body of {@code NAME_run} from a {@link LoopFunc} into an LLVM module, with the
 * semantics {@link dev.kiln.ir.loop.LoopInterpreter} gives Loop IR (see {@link LlvmCodegen} for the
 * translation rules). One instance translates one function.
 */
final class LoopTranslator {

  /** Unary operations that are LLVM intrinsics overloaded on the float type. */
  private static final Map<UnaryOp, String> UNARY_INTRINSICS = Map.ofEntries(
    Map.entry(UnaryOp.SQRT, "llvm.sqrt"),
    Map.entry(UnaryOp.EXP, "llvm.exp"),
    Map.entry(UnaryOp.LOG, "llvm.log"),
    Map.entry(UnaryOp.SIN, "llvm.sin"),
    Map.entry(UnaryOp.COS, "llvm.cos"),
    Map.entry(UnaryOp.TAN, "llvm.tan"),
    Map.entry(UnaryOp.ASIN, "llvm.asin"),
    Map.entry(UnaryOp.ACOS, "llvm.acos"),
    Map.entry(UnaryOp.ATAN, "llvm.atan"),
    Map.entry(UnaryOp.SINH, "llvm.sinh"),
    Map.entry(UnaryOp.COSH, "llvm.cosh"),
    Map.entry(UnaryOp.TANH, "llvm.tanh"),
    Map.entry(UnaryOp.FLOOR, "llvm.floor"),
    Map.entry(UnaryOp.CEIL, "llvm.ceil"),
    Map.entry(UnaryOp.ROUND, "llvm.roundeven"),
    Map.entry(UnaryOp.TRUNC, "llvm.trunc"),
    Map.entry(UnaryOp.ABS, "llvm.fabs")
  );

  /** Unary operations with no LLVM intrinsic: the C library function ({@code f} suffix for f32). */
  private static final Map<UnaryOp, String> UNARY_LIBM = Map.of(
    UnaryOp.ASINH,
    "asinh",
    UnaryOp.ACOSH,
    "acosh",
    UnaryOp.ATANH,
    "atanh",
    UnaryOp.ERF,
    "erf"
  );

  private record Slot(LLVMValueRef address, LLVMTypeRef type) {}

  private final LLVMContextRef ctx;
  private final LLVMModuleRef module;
  private final LLVMValueRef function;
  private final LLVMBuilderRef b;
  private final LLVMBuilderRef allocas;
  private final Map<Buffer, LLVMValueRef> bases = new IdentityHashMap<>();
  private final int loopKind;
  private Map<String, Slot> scope = new HashMap<>();

  private final LLVMTypeRef i1;
  private final LLVMTypeRef i8;
  private final LLVMTypeRef i16;
  private final LLVMTypeRef i32;
  private final LLVMTypeRef i64;
  private final LLVMTypeRef ptr;

  /** The run's {@code kiln_exec_t}, set up in the entry block. */
  private LLVMValueRef exec;

  private LoopTranslator(LLVMModuleRef module, LLVMValueRef function) {
    this.module = module;
    this.function = function;
    this.ctx = LLVMGetModuleContext(module);
    this.b = LLVMCreateBuilderInContext(ctx);
    this.allocas = LLVMCreateBuilderInContext(ctx);
    this.loopKind = LLVMGetMDKindIDInContext(ctx, "llvm.loop", "llvm.loop".length());
    i1 = LLVMInt1TypeInContext(ctx);
    i8 = LLVMInt8TypeInContext(ctx);
    i16 = LLVMInt16TypeInContext(ctx);
    i32 = LLVMInt32TypeInContext(ctx);
    i64 = LLVMInt64TypeInContext(ctx);
    ptr = LLVMPointerTypeInContext(ctx, 0);
    String triple = LLVMGetTarget(module).getString();
    softDouble = triple.startsWith("arm") || triple.startsWith("thumb");
    gpu = triple.startsWith("nvptx");
  }

  /**
   * Whether the target is an NVIDIA GPU: LLVM cannot lower the transcendental intrinsics there ("no
   * libcall available"), so they call the {@code kiln_gpu_*} functions of {@code
   * runtime-c/gpu/math.c} ({@link GpuMath}), linked into the module, in double precision.
   */
  private final boolean gpu;

  /**
   * Whether the target is 32-bit ARM (ARMv7-A and Cortex-M): LLVM 20 cannot select its expansion
   * of {@code llvm.minimum}/{@code llvm.maximum} on f64 there ("Cannot select: setcc"), so those
   * are built from compares and selects with the same meaning.
   */
  private final boolean softDouble;

  /** The three run functions a model exports. */
  record Entry(LLVMValueRef run, LLVMValueRef runParallel, LLVMValueRef runCtx) {}

  /**
   * Defines {@code int32_t PREFIX_run_ctx(ptr inputs, ptr outputs, ptr workspace, ptr ctx)}
   * computing {@code f} with the {@code kiln_run_ctx_t} at {@code ctx} (pool and accelerator are
   * read, the weights member is for C code; ctx may be null), {@code int32_t
   * PREFIX_run_parallel(ptr inputs, ptr outputs, ptr workspace, ptr pool)} calling it with {@code
   * {pool, null, null}} and {@code int32_t PREFIX_run(ptr inputs, ptr
   * outputs, ptr workspace)} calling that with a null pool, in {@code module} (whose data layout is
   * set); {@code constants} maps each constant buffer to its global. Kernels that {@code f} calls
   * must already be defined in the module. Each of {@code groups} is translated as a {@link
   * CodegenStage} naming its nodes.
   */
  static Entry define(
    LLVMModuleRef module,
    String prefix,
    LoopFunc f,
    Map<Buffer, LLVMValueRef> constants,
    List<LoopModule.Group> groups
  ) {
    LLVMContextRef ctx = LLVMGetModuleContext(module);
    LLVMTypeRef p = LLVMPointerTypeInContext(ctx, 0);
    LLVMTypeRef i32 = LLVMInt32TypeInContext(ctx);
    LLVMTypeRef fourPointers = LLVMFunctionType(i32, new PointerPointer<>(p, p, p, p), 4, 0);
    LLVMValueRef runCtx = LLVMAddFunction(module, prefix + "_run_ctx", fourPointers);
    LoopTranslator t = new LoopTranslator(module, runCtx);
    try {
      t.body(f, constants, groups);
    } finally {
      LLVMDisposeBuilder(t.b);
      LLVMDisposeBuilder(t.allocas);
    }
    LLVMValueRef parallel = LLVMAddFunction(module, prefix + "_run_parallel", fourPointers);
    LLVMValueRef run = LLVMAddFunction(
      module,
      prefix + "_run",
      LLVMFunctionType(i32, new PointerPointer<>(p, p, p), 3, 0)
    );
    LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
    try {
      LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(ctx, parallel, "entry"));
      LLVMTypeRef runCtxType = LLVMStructTypeInContext(ctx, new PointerPointer<>(p, p, p), 3, 0);
      LLVMValueRef c = LLVMBuildAlloca(b, runCtxType, "ctx");
      LLVMBuildStore(b, LLVMGetParam(parallel, 3), LLVMBuildStructGEP2(b, runCtxType, c, 0, ""));
      LLVMBuildStore(b, LLVMConstPointerNull(p), LLVMBuildStructGEP2(b, runCtxType, c, 1, ""));
      LLVMBuildStore(b, LLVMConstPointerNull(p), LLVMBuildStructGEP2(b, runCtxType, c, 2, ""));
      LLVMValueRef[] forward = {
        LLVMGetParam(parallel, 0),
        LLVMGetParam(parallel, 1),
        LLVMGetParam(parallel, 2),
        c,
      };
      LLVMBuildRet(
        b,
        LLVMBuildCall2(b, fourPointers, runCtx, new PointerPointer<>(forward), 4, "")
      );
      LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(ctx, run, "entry"));
      LLVMValueRef[] args = {
        LLVMGetParam(run, 0),
        LLVMGetParam(run, 1),
        LLVMGetParam(run, 2),
        LLVMConstPointerNull(p),
      };
      LLVMBuildRet(b, LLVMBuildCall2(b, fourPointers, parallel, new PointerPointer<>(args), 4, ""));
    } finally {
      LLVMDisposeBuilder(b);
    }
    return new Entry(run, parallel, runCtx);
  }

  /**
   * Defines kernel {@code name} computing one thread of {@code launch} (a loop from 0) over {@code
   * f}'s buffers; {@code constants} maps its constant buffers to globals. On a GPU target it is
   * {@code void name(ptr inputs..., ptr outputs..., ptr workspace)} with the {@code ptx_kernel}
   * calling convention, the global thread index {@code blockIdx.x * blockDim.x + threadIdx.x}
   * bound to the loop index, threads past the upper bound doing nothing. On a CPU it is the
   * kernel's twin {@code void name(void *const *params, int64_t thread)}: {@code params} as the
   * CUDA driver's {@code kernelParams} (a pointer to each argument's value), {@code thread} the
   * global thread index, computing what that GPU thread computes.
   */
  static LLVMValueRef defineKernel(
    LLVMModuleRef module,
    String name,
    LoopFunc f,
    Stmt.For launch,
    Map<Buffer, LLVMValueRef> constants
  ) {
    LLVMContextRef ctx = LLVMGetModuleContext(module);
    LLVMTypeRef p = LLVMPointerTypeInContext(ctx, 0);
    boolean gpu = LLVMGetTarget(module).getString().startsWith("nvptx");
    int n = gpu ? f.inputs().size() + f.outputs().size() + 1 : 2;
    LLVMTypeRef[] params = new LLVMTypeRef[n];
    java.util.Arrays.fill(params, p);
    if (!gpu) {
      params[1] = LLVMInt64TypeInContext(ctx);
    }
    LLVMValueRef kernel = LLVMAddFunction(
      module,
      name,
      LLVMFunctionType(LLVMVoidTypeInContext(ctx), new PointerPointer<>(params), n, 0)
    );
    if (gpu) {
      LLVMSetFunctionCallConv(kernel, LLVMPTXKernelCallConv);
    }
    LoopTranslator t = new LoopTranslator(module, kernel);
    try {
      t.kernelBody(f, launch, constants);
    } finally {
      LLVMDisposeBuilder(t.b);
      LLVMDisposeBuilder(t.allocas);
    }
    return kernel;
  }

  private void kernelBody(LoopFunc f, Stmt.For launch, Map<Buffer, LLVMValueRef> constants) {
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(ctx, function, "entry");
    LLVMBasicBlockRef start = LLVMAppendBasicBlockInContext(ctx, function, "start");
    LLVMPositionBuilderAtEnd(allocas, entry);
    int param = 0;
    List<Buffer> pointers = new ArrayList<>(f.inputs());
    pointers.addAll(f.outputs());
    for (Buffer buf : pointers) {
      bases.put(buf, kernelArgument(param++));
    }
    LLVMValueRef workspace = kernelArgument(param);
    bases.putAll(constants);
    workspaceBases(f, workspace);
    LLVMPositionBuilderAtEnd(b, start);
    LLVMValueRef index;
    if (gpu) {
      LLVMValueRef ctaid = LLVMBuildZExt(b, sreg("ctaid.x"), i64, "");
      LLVMValueRef width = LLVMBuildZExt(b, sreg("ntid.x"), i64, "");
      LLVMValueRef thread = LLVMBuildZExt(b, sreg("tid.x"), i64, "");
      index = LLVMBuildNUWAdd(b, LLVMBuildNUWMul(b, ctaid, width, ""), thread, "");
    } else {
      index = LLVMGetParam(function, 1);
    }
    Slot slot = newSlot(launch.index());
    LLVMBuildStore(b, index, slot.address());
    LLVMBasicBlockRef run = block("thread.run");
    LLVMBasicBlockRef exit = block("thread.exit");
    LLVMValueRef upper = expr(launch.upper());
    LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, index, upper, ""), run, exit);
    LLVMPositionBuilderAtEnd(b, run);
    stmts(launch.body());
    LLVMBuildBr(b, exit);
    LLVMPositionBuilderAtEnd(b, exit);
    LLVMBuildRetVoid(b);
    LLVMBuildBr(allocas, start);
  }

  /**
   * Kernel argument {@code i}: a parameter of a GPU kernel; for a CPU twin, the pointer that
   * {@code params[i]} points at.
   */
  private LLVMValueRef kernelArgument(int i) {
    if (gpu) {
      return LLVMGetParam(function, i);
    }
    LLVMValueRef value = LLVMBuildLoad2(allocas, ptr, slotOf(LLVMGetParam(function, 0), i), "");
    return LLVMBuildLoad2(allocas, ptr, value, "");
  }

  /** The address of pointer {@code i} of the pointer array {@code array}. */
  private LLVMValueRef slotOf(LLVMValueRef array, int i) {
    return LLVMBuildInBoundsGEP2(allocas, ptr, array, one(LLVMConstInt(i64, i, 0)), 1, "");
  }

  /** Each workspace buffer's address: its offset from {@code workspace}, in the entry block. */
  private void workspaceBases(LoopFunc f, LLVMValueRef workspace) {
    for (Buffer buf : f.workspace()) {
      bases.put(
        buf,
        LLVMBuildInBoundsGEP2(
          allocas,
          i8,
          workspace,
          one(LLVMConstInt(i64, buf.offset(), 0)),
          1,
          buf.name()
        )
      );
    }
  }

  /** Reads the PTX special register {@code name} ({@code tid.x}, ...). */
  private LLVMValueRef sreg(String name) {
    return intrinsic("llvm.nvvm.read.ptx.sreg." + name, new LLVMTypeRef[0]);
  }

  private void body(
    LoopFunc f,
    Map<Buffer, LLVMValueRef> constants,
    List<LoopModule.Group> groups
  ) {
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(ctx, function, "entry");
    LLVMBasicBlockRef start = LLVMAppendBasicBlockInContext(ctx, function, "start");
    LLVMPositionBuilderAtEnd(allocas, entry);
    LLVMValueRef inputs = LLVMGetParam(function, 0);
    LLVMValueRef outputs = LLVMGetParam(function, 1);
    LLVMValueRef workspace = LLVMGetParam(function, 2);
    LLVMValueRef runCtx = LLVMGetParam(function, 3);
    LLVMSetValueName2(inputs, "inputs", 6);
    LLVMSetValueName2(outputs, "outputs", 7);
    LLVMSetValueName2(workspace, "workspace", 9);
    LLVMSetValueName2(runCtx, "ctx", 3);
    for (Buffer buf : f.inputs()) {
      bases.put(buf, loadPointer(inputs, buf));
    }
    for (Buffer buf : f.outputs()) {
      bases.put(buf, loadPointer(outputs, buf));
    }
    bases.putAll(constants);
    workspaceBases(f, workspace);
    exec = execContext(f, workspace, runCtx);
    LLVMPositionBuilderAtEnd(b, start);
    topLevel(f.body(), groups);
    LLVMBuildRet(b, LLVMConstInt(i32, 0, 0));
    LLVMBuildBr(allocas, start);
  }

  /**
   * The run's {@code kiln_exec_t} ({@code {ptr pool, ptr scratch, i64 scratch_stride, ptr accel}})
   * in an entry-block alloca: pool and accelerator from the caller's {@code kiln_run_ctx_t} (null
   * for a null ctx) and the thread slots after the arena.
   */
  private LLVMValueRef execContext(LoopFunc f, LLVMValueRef workspace, LLVMValueRef runCtx) {
    LLVMTypeRef type = LLVMStructTypeInContext(ctx, new PointerPointer<>(ptr, ptr, i64, ptr), 4, 0);
    LLVMValueRef e = LLVMBuildAlloca(allocas, type, "exec");
    LLVMTypeRef runCtxType = LLVMStructTypeInContext(
      ctx,
      new PointerPointer<>(ptr, ptr, ptr),
      3,
      0
    );
    LLVMValueRef none = LLVMBuildAlloca(allocas, runCtxType, "no_ctx");
    LLVMBuildStore(allocas, LLVMConstNull(runCtxType), none);
    LLVMValueRef given = LLVMBuildSelect(
      allocas,
      LLVMBuildIsNull(allocas, runCtx, ""),
      none,
      runCtx,
      ""
    );
    LLVMValueRef pool = LLVMBuildLoad2(
      allocas,
      ptr,
      LLVMBuildStructGEP2(allocas, runCtxType, given, 0, ""),
      "pool"
    );
    LLVMValueRef accel = LLVMBuildLoad2(
      allocas,
      ptr,
      LLVMBuildStructGEP2(allocas, runCtxType, given, 1, ""),
      "accel"
    );
    LLVMValueRef scratch = LLVMBuildInBoundsGEP2(
      allocas,
      i8,
      workspace,
      one(LLVMConstInt(i64, f.arenaBytes(), 0)),
      1,
      "thread_scratch"
    );
    LLVMBuildStore(allocas, pool, LLVMBuildStructGEP2(allocas, type, e, 0, ""));
    LLVMBuildStore(allocas, scratch, LLVMBuildStructGEP2(allocas, type, e, 1, ""));
    LLVMBuildStore(
      allocas,
      LLVMConstInt(i64, f.threadScratchBytes(), 0),
      LLVMBuildStructGEP2(allocas, type, e, 2, "")
    );
    LLVMBuildStore(allocas, accel, LLVMBuildStructGEP2(allocas, type, e, 3, ""));
    return e;
  }

  private LLVMValueRef loadPointer(LLVMValueRef array, Buffer buf) {
    return LLVMBuildLoad2(allocas, ptr, slotOf(array, buf.param()), buf.name());
  }

  /** The register type of a scalar: {@code i1} for BOOL, {@code half}, {@code bfloat}, ... */
  LLVMTypeRef type(Scalar s) {
    return switch (s) {
      case BOOL -> i1;
      case I8, U8, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0, F4E2M1, I4, U4, I2, U2 -> i8;
      case I16, U16 -> i16;
      case I32, U32 -> i32;
      case I64, U64 -> i64;
      case F16 -> LLVMHalfTypeInContext(ctx);
      case BF16 -> LLVMBFloatTypeInContext(ctx);
      case F32 -> LLVMFloatTypeInContext(ctx);
      case F64 -> LLVMDoubleTypeInContext(ctx);
    };
  }

  /** The in-memory type: BOOL is a byte. */
  private LLVMTypeRef memoryType(Scalar s) {
    return s == Scalar.BOOL ? i8 : type(s);
  }

  private void topLevel(List<Stmt> body, List<LoopModule.Group> groups) {
    Map<String, Slot> outer = scope;
    scope = new HashMap<>(outer);
    try {
      int g = 0;
      for (int i = 0; i < body.size(); i++) {
        while (g < groups.size() && groups.get(g).to() <= i) {
          g++;
        }
        Stmt s = body.get(i);
        if (g < groups.size() && groups.get(g).from() <= i) {
          String nodes = String.join(", ", groups.get(g).nodes());
          CodegenStage.during("translating group " + g + " (" + nodes + ")", () -> stmt(s));
        } else {
          stmt(s);
        }
      }
    } finally {
      scope = outer;
    }
  }

  private void stmts(List<Stmt> body) {
    Map<String, Slot> outer = scope;
    scope = new HashMap<>(outer);
    try {
      for (Stmt s : body) {
        stmt(s);
      }
    } finally {
      scope = outer;
    }
  }

  private void stmt(Stmt s) {
    switch (s) {
      case Stmt.For f -> forLoop(f);
      case Stmt.While w -> whileLoop(w);
      case Stmt.Store st -> {
        LLVMValueRef v = expr(st.value());
        if (st.buffer().elem() == Scalar.BOOL) {
          v = LLVMBuildZExt(b, v, i8, "");
        }
        LLVMValueRef store = LLVMBuildStore(b, v, element(st.buffer(), st.index()));
        LLVMSetAlignment(store, st.buffer().elem().bytes());
      }
      case Stmt.Let l -> {
        LLVMValueRef init = expr(l.init());
        Slot slot = newSlot(l.var());
        LLVMBuildStore(b, init, slot.address());
      }
      case Stmt.Assign a -> LLVMBuildStore(b, expr(a.value()), slot(a.var()).address());
      case Stmt.If i -> ifThenElse(i);
      case Stmt.Call c -> call(c);
    }
  }

  private Slot newSlot(Expr.Var v) {
    LLVMTypeRef t = type(v.type());
    Slot slot = new Slot(LLVMBuildAlloca(allocas, t, v.name()), t);
    scope.put(v.name(), slot);
    return slot;
  }

  private Slot slot(Expr.Var v) {
    Slot slot = scope.get(v.name());
    if (slot == null) {
      throw new IllegalStateException("variable %" + v.name() + " is not in scope");
    }
    return slot;
  }

  private void forLoop(Stmt.For f) {
    LLVMValueRef lower = expr(f.lower());
    LLVMValueRef upper = expr(f.upper());
    Map<String, Slot> outer = scope;
    scope = new HashMap<>(outer);
    try {
      Slot index = newSlot(f.index());
      LLVMBuildStore(b, lower, index.address());
      LLVMBasicBlockRef header = block("for.header");
      LLVMBasicBlockRef body = block("for.body");
      LLVMBasicBlockRef exit = block("for.exit");
      LLVMBuildBr(b, header);
      LLVMPositionBuilderAtEnd(b, header);
      LLVMValueRef i = LLVMBuildLoad2(b, i64, index.address(), f.index().name());
      LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, i, upper, ""), body, exit);
      LLVMPositionBuilderAtEnd(b, body);
      stmts(f.body());
      LLVMValueRef current = LLVMBuildLoad2(b, i64, index.address(), "");
      LLVMBuildStore(b, LLVMBuildNSWAdd(b, current, LLVMConstInt(i64, 1, 0), ""), index.address());
      LLVMValueRef latch = LLVMBuildBr(b, header);
      annotate(latch, f.schedule());
      LLVMPositionBuilderAtEnd(b, exit);
    } finally {
      scope = outer;
    }
  }

  private void whileLoop(Stmt.While w) {
    LLVMBasicBlockRef header = block("while.header");
    LLVMBasicBlockRef body = block("while.body");
    LLVMBasicBlockRef exit = block("while.exit");
    LLVMBuildBr(b, header);
    LLVMPositionBuilderAtEnd(b, header);
    LLVMBuildCondBr(b, expr(w.cond()), body, exit);
    LLVMPositionBuilderAtEnd(b, body);
    stmts(w.body());
    LLVMBuildBr(b, header);
    LLVMPositionBuilderAtEnd(b, exit);
  }

  private void ifThenElse(Stmt.If i) {
    LLVMBasicBlockRef then = block("if.then");
    LLVMBasicBlockRef otherwise = block("if.else");
    LLVMBasicBlockRef join = block("if.join");
    LLVMBuildCondBr(b, expr(i.cond()), then, otherwise);
    LLVMPositionBuilderAtEnd(b, then);
    stmts(i.then());
    LLVMBuildBr(b, join);
    LLVMPositionBuilderAtEnd(b, otherwise);
    stmts(i.otherwise());
    LLVMBuildBr(b, join);
    LLVMPositionBuilderAtEnd(b, join);
  }

  private LLVMBasicBlockRef block(String name) {
    return LLVMAppendBasicBlockInContext(ctx, function, name);
  }

  /** Attaches {@code llvm.loop} metadata saying what the schedule asks of the loop. */
  private void annotate(LLVMValueRef latch, Schedule s) {
    List<LLVMMetadataRef> hints = new ArrayList<>();
    if (s.vectorize() == 1) {
      hints.add(hint("llvm.loop.vectorize.width", i32, 1));
    } else if (s.vectorize() > 1) {
      hints.add(hint("llvm.loop.vectorize.enable", i1, 1));
      hints.add(hint("llvm.loop.vectorize.width", i32, s.vectorize()));
    }
    if (s.unroll() == 1) {
      hints.add(node(mdString("llvm.loop.unroll.disable")));
    } else if (s.unroll() > 1) {
      hints.add(hint("llvm.loop.unroll.count", i32, s.unroll()));
    }
    if (hints.isEmpty()) {
      return;
    }
    LLVMMetadataRef self = LLVMTemporaryMDNode(ctx, new PointerPointer<LLVMMetadataRef>(0), 0);
    List<LLVMMetadataRef> operands = new ArrayList<>();
    operands.add(self);
    operands.addAll(hints);
    LLVMMetadataRef loop = node(operands.toArray(LLVMMetadataRef[]::new));
    LLVMMetadataReplaceAllUsesWith(self, loop);
    LLVMSetMetadata(latch, loopKind, LLVMMetadataAsValue(ctx, loop));
  }

  private LLVMMetadataRef hint(String name, LLVMTypeRef type, long value) {
    return node(mdString(name), LLVMValueAsMetadata(LLVMConstInt(type, value, 0)));
  }

  private LLVMMetadataRef mdString(String s) {
    return LLVMMDStringInContext2(ctx, s, s.length());
  }

  private LLVMMetadataRef node(LLVMMetadataRef... operands) {
    return LLVMMDNodeInContext2(ctx, new PointerPointer<>(operands), operands.length);
  }

  /** The address of element {@code index} of {@code buffer}. */
  private LLVMValueRef element(Buffer buffer, Expr index) {
    return LLVMBuildInBoundsGEP2(
      b,
      memoryType(buffer.elem()),
      base(buffer),
      one(expr(index)),
      1,
      ""
    );
  }

  /** A one-element array of values (a lone {@code PointerPointer} argument would be wrapped). */
  private static PointerPointer<LLVMValueRef> one(LLVMValueRef value) {
    return new PointerPointer<>(new LLVMValueRef[] { value });
  }

  private LLVMValueRef base(Buffer buffer) {
    LLVMValueRef base = bases.get(buffer);
    if (base == null) {
      throw new IllegalStateException("buffer " + buffer + " has no address");
    }
    return base;
  }

  /**
   * The call's {@link AccelHooks#hook}, and a return of its status when that is not 0 (an
   * accelerator's error ends the run).
   */
  private void call(Stmt.Call c) {
    String name = AccelHooks.hook(c);
    List<Stmt.Arg> given = AccelHooks.args(c);
    LLVMValueRef callee = LLVMGetNamedFunction(module, name);
    if (callee == null || callee.isNull() || LLVMIsDeclaration(callee) != 0) {
      throw new IllegalStateException("micro-kernel hook " + name + " is not in runtime-c");
    }
    LLVMTypeRef fnType = LLVMGlobalGetValueType(callee);
    int n = LLVMCountParamTypes(fnType);
    if (n != given.size()) {
      throw new IllegalStateException(
        name + " takes " + n + " arguments, the call passes " + given.size()
      );
    }
    PointerPointer<LLVMTypeRef> params = new PointerPointer<>(n);
    LLVMGetParamTypes(fnType, params);
    LLVMValueRef[] args = new LLVMValueRef[n];
    for (int i = 0; i < n; i++) {
      args[i] = argument(given.get(i));
      LLVMTypeRef want = params.get(LLVMTypeRef.class, i);
      if (!LLVMTypeOf(args[i]).equals(want)) {
        throw new IllegalStateException(
          "argument " + i + " of " + name + " has the wrong type: " + describe(args[i])
        );
      }
    }
    LLVMValueRef status = LLVMBuildCall2(b, fnType, callee, new PointerPointer<>(args), n, "");
    LLVMBasicBlockRef failed = block("accel_failed");
    LLVMBasicBlockRef next = block("call_done");
    LLVMValueRef ok = LLVMBuildICmp(b, LLVMIntEQ, status, LLVMConstInt(i32, 0, 0), "");
    LLVMBuildCondBr(b, ok, next, failed);
    LLVMPositionBuilderAtEnd(b, failed);
    LLVMBuildRet(b, status);
    LLVMPositionBuilderAtEnd(b, next);
  }

  private static String describe(LLVMValueRef v) {
    BytePointer s = LLVMPrintTypeToString(LLVMTypeOf(v));
    return Llvm.takeMessage(s);
  }

  private LLVMValueRef argument(Stmt.Arg a) {
    return switch (a) {
      case Stmt.Pointer p -> element(p.buffer(), p.index());
      case Stmt.Null n -> LLVMConstPointerNull(ptr);
      case Stmt.Exec x -> exec;
      case Stmt.Value v -> expr(v.value());
      case Stmt.Struct st -> {
        LLVMTypeRef[] fields = new LLVMTypeRef[st.fields().size()];
        for (int i = 0; i < fields.length; i++) {
          Scalar t = st.fields().get(i).type();
          if (t.bytes() != 4 || t == Scalar.BOOL) {
            throw new IllegalStateException("kernel params field " + i + " is " + t);
          }
          fields[i] = type(t);
        }
        LLVMTypeRef structType = LLVMStructTypeInContext(
          ctx,
          new PointerPointer<>(fields),
          fields.length,
          0
        );
        LLVMValueRef struct = LLVMBuildAlloca(allocas, structType, "params");
        for (int i = 0; i < fields.length; i++) {
          LLVMValueRef field = LLVMBuildStructGEP2(b, structType, struct, i, "");
          LLVMBuildStore(b, expr(st.fields().get(i)), field);
        }
        yield struct;
      }
    };
  }

  LLVMValueRef expr(Expr e) {
    return switch (e) {
      case Expr.IntConst c -> LLVMConstInt(type(c.type()), c.value(), 1);
      case Expr.FloatConst c -> LLVMConstReal(type(c.type()), c.value());
      case Expr.Var v -> {
        Slot slot = slot(v);
        yield LLVMBuildLoad2(b, slot.type(), slot.address(), v.name());
      }
      case Expr.Load l -> {
        Scalar t = l.buffer().elem();
        LLVMValueRef load = LLVMBuildLoad2(b, memoryType(t), element(l.buffer(), l.index()), "");
        LLVMSetAlignment(load, t.bytes());
        yield t == Scalar.BOOL
          ? LLVMBuildICmp(b, LLVMIntNE, load, LLVMConstInt(i8, 0, 0), "")
          : load;
      }
      case Expr.Unary u -> unary(u.op(), u.a().type(), expr(u.a()));
      case Expr.Binary bin -> binary(bin.op(), bin.a().type(), expr(bin.a()), expr(bin.b()));
      case Expr.Select s -> {
        LLVMValueRef cond = expr(s.cond());
        LLVMValueRef x = expr(s.a());
        LLVMValueRef y = expr(s.b());
        yield LLVMBuildSelect(b, cond, x, y, "");
      }
      case Expr.Cast c -> cast(c.type(), c.a().type(), expr(c.a()));
      case Expr.BitCast c -> {
        LLVMValueRef v = expr(c.a());
        LLVMTypeRef t = type(c.type());
        yield LLVMTypeOf(v).equals(t) ? v : LLVMBuildBitCast(b, v, t, "");
      }
    };
  }

  private LLVMValueRef unary(UnaryOp op, Scalar t, LLVMValueRef a) {
    LLVMTypeRef type = type(t);
    if (!t.isFloat()) {
      return switch (op) {
        case NEG -> LLVMBuildNeg(b, a, "");
        case NOT -> LLVMBuildNot(b, a, "");
        case ABS -> t.isUnsigned()
          ? a
          : intrinsic("llvm.abs", new LLVMTypeRef[] { type }, a, LLVMConstInt(i1, 0, 0));
        default -> throw new IllegalStateException(op.text() + " of " + t);
      };
    }
    if (gpu && GpuMath.UNARY.containsKey(op)) {
      return gpuMath(GpuMath.UNARY.get(op), t, a);
    }
    String intrinsic = UNARY_INTRINSICS.get(op);
    if (intrinsic != null) {
      return intrinsic(intrinsic, new LLVMTypeRef[] { type }, a);
    }
    String libm = UNARY_LIBM.get(op);
    if (libm != null) {
      return libm(libm, t, a);
    }
    LLVMValueRef inf = LLVMConstReal(type, Double.POSITIVE_INFINITY);
    return switch (op) {
      case NEG -> LLVMBuildFNeg(b, a, "");
      case IS_NAN -> LLVMBuildFCmp(b, LLVMRealUNO, a, a, "");
      case IS_INF -> LLVMBuildFCmp(
        b,
        LLVMRealOEQ,
        intrinsic("llvm.fabs", new LLVMTypeRef[] { type }, a),
        inf,
        ""
      );
      case IS_POS_INF -> LLVMBuildFCmp(b, LLVMRealOEQ, a, inf, "");
      case IS_NEG_INF -> LLVMBuildFCmp(
        b,
        LLVMRealOEQ,
        a,
        LLVMConstReal(type, Double.NEGATIVE_INFINITY),
        ""
      );
      default -> throw new IllegalStateException(op.text() + " of " + t);
    };
  }

  /**
   * IEEE 754-2019 maximum (or minimum) of two f64 values without the intrinsic: NaN if either is
   * NaN, the larger (smaller) otherwise, and for equal values the bitwise AND (OR) of the two,
   * which is +0 (-0) for a pair of zeros of different signs.
   */
  private LLVMValueRef minMax(boolean max, LLVMValueRef x, LLVMValueRef y) {
    LLVMTypeRef f64 = LLVMDoubleTypeInContext(ctx);
    LLVMValueRef xi = LLVMBuildBitCast(b, x, i64, "");
    LLVMValueRef yi = LLVMBuildBitCast(b, y, i64, "");
    LLVMValueRef tie = LLVMBuildBitCast(
      b,
      max ? LLVMBuildAnd(b, xi, yi, "") : LLVMBuildOr(b, xi, yi, ""),
      f64,
      ""
    );
    LLVMValueRef xWins = LLVMBuildFCmp(b, max ? LLVMRealOGT : LLVMRealOLT, x, y, "");
    LLVMValueRef yWins = LLVMBuildFCmp(b, max ? LLVMRealOLT : LLVMRealOGT, x, y, "");
    LLVMValueRef r = LLVMBuildSelect(b, xWins, x, LLVMBuildSelect(b, yWins, y, tie, ""), "");
    r = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealUNO, y, y, ""), y, r, "");
    return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealUNO, x, x, ""), x, r, "");
  }

  private LLVMValueRef binary(BinaryOp op, Scalar t, LLVMValueRef x, LLVMValueRef y) {
    if (t.isFloat() && gpu && GpuMath.BINARY.containsKey(op)) {
      return gpuMath(GpuMath.BINARY.get(op), t, x, y);
    }
    if (t.isFloat()) {
      LLVMTypeRef[] overload = { type(t) };
      return switch (op) {
        case ADD -> LLVMBuildFAdd(b, x, y, "");
        case SUB -> LLVMBuildFSub(b, x, y, "");
        case MUL -> LLVMBuildFMul(b, x, y, "");
        case DIV -> LLVMBuildFDiv(b, x, y, "");
        case REM -> LLVMBuildFRem(b, x, y, "");
        case MIN -> softDouble && t == Scalar.F64
          ? minMax(false, x, y)
          : intrinsic("llvm.minimum", overload, x, y);
        case MAX -> softDouble && t == Scalar.F64
          ? minMax(true, x, y)
          : intrinsic("llvm.maximum", overload, x, y);
        case POW -> intrinsic("llvm.pow", overload, x, y);
        case ATAN2 -> intrinsic("llvm.atan2", overload, x, y);
        case EQ -> LLVMBuildFCmp(b, LLVMRealOEQ, x, y, "");
        case NE -> LLVMBuildFCmp(b, LLVMRealUNE, x, y, "");
        case LT -> LLVMBuildFCmp(b, LLVMRealOLT, x, y, "");
        case LE -> LLVMBuildFCmp(b, LLVMRealOLE, x, y, "");
        case GT -> LLVMBuildFCmp(b, LLVMRealOGT, x, y, "");
        case GE -> LLVMBuildFCmp(b, LLVMRealOGE, x, y, "");
        default -> throw new IllegalStateException(op.text() + " of " + t);
      };
    }
    boolean signed = t.isSigned();
    return switch (op) {
      case ADD -> LLVMBuildAdd(b, x, y, "");
      case SUB -> LLVMBuildSub(b, x, y, "");
      case MUL -> LLVMBuildMul(b, x, y, "");
      case DIV, REM -> divide(op, t, x, y);
      case MIN -> LLVMBuildSelect(b, icmp(signed ? LLVMIntSLE : LLVMIntULE, x, y), x, y, "");
      case MAX -> LLVMBuildSelect(b, icmp(signed ? LLVMIntSGE : LLVMIntUGE, x, y), x, y, "");
      case AND -> LLVMBuildAnd(b, x, y, "");
      case OR -> LLVMBuildOr(b, x, y, "");
      case XOR -> LLVMBuildXor(b, x, y, "");
      case SHL, SHR -> shift(op, t, x, y);
      case EQ -> icmp(LLVMIntEQ, x, y);
      case NE -> icmp(LLVMIntNE, x, y);
      case LT -> icmp(signed ? LLVMIntSLT : LLVMIntULT, x, y);
      case LE -> icmp(signed ? LLVMIntSLE : LLVMIntULE, x, y);
      case GT -> icmp(signed ? LLVMIntSGT : LLVMIntUGT, x, y);
      case GE -> icmp(signed ? LLVMIntSGE : LLVMIntUGE, x, y);
      default -> throw new IllegalStateException(op.text() + " of " + t);
    };
  }

  private LLVMValueRef icmp(int predicate, LLVMValueRef x, LLVMValueRef y) {
    return LLVMBuildICmp(b, predicate, x, y, "");
  }

  /**
   * Integer division and remainder that never trap: the divisor is replaced by 1 where it is 0
   * (and, for signed types, where it is -1 and the dividend the minimum for DIV, or -1 at all for
   * REM), then a zero divisor's quotient is forced to 0. REM by 1 is 0 already.
   */
  private LLVMValueRef divide(BinaryOp op, Scalar t, LLVMValueRef x, LLVMValueRef y) {
    LLVMTypeRef type = type(t);
    LLVMValueRef zero = LLVMConstInt(type, 0, 0);
    LLVMValueRef one = LLVMConstInt(type, 1, 0);
    LLVMValueRef byZero = icmp(LLVMIntEQ, y, zero);
    LLVMValueRef unsafe = byZero;
    if (t.isSigned()) {
      LLVMValueRef byMinusOne = icmp(LLVMIntEQ, y, LLVMConstInt(type, -1, 1));
      if (op == BinaryOp.DIV) {
        LLVMValueRef min = LLVMConstInt(type, 1L << (t.bits() - 1), 0);
        byMinusOne = LLVMBuildAnd(b, byMinusOne, icmp(LLVMIntEQ, x, min), "");
      }
      unsafe = LLVMBuildOr(b, byZero, byMinusOne, "");
    }
    LLVMValueRef divisor = LLVMBuildSelect(b, unsafe, one, y, "");
    if (op == BinaryOp.REM) {
      return t.isSigned() ? LLVMBuildSRem(b, x, divisor, "") : LLVMBuildURem(b, x, divisor, "");
    }
    LLVMValueRef q = t.isSigned()
      ? LLVMBuildSDiv(b, x, divisor, "")
      : LLVMBuildUDiv(b, x, divisor, "");
    return LLVMBuildSelect(b, byZero, zero, q, "");
  }

  /**
   * Shifts whose amount (read as unsigned) is at least the bit width give 0, or -1 for an
   * arithmetic right shift of a negative value: the amount is clamped so no shift is poison.
   */
  private LLVMValueRef shift(BinaryOp op, Scalar t, LLVMValueRef x, LLVMValueRef y) {
    LLVMTypeRef type = type(t);
    LLVMValueRef zero = LLVMConstInt(type, 0, 0);
    LLVMValueRef tooFar = icmp(LLVMIntUGE, y, LLVMConstInt(type, t.bits(), 0));
    if (op == BinaryOp.SHR && t.isSigned()) {
      LLVMValueRef amount = LLVMBuildSelect(b, tooFar, LLVMConstInt(type, t.bits() - 1, 0), y, "");
      return LLVMBuildAShr(b, x, amount, "");
    }
    LLVMValueRef amount = LLVMBuildSelect(b, tooFar, zero, y, "");
    LLVMValueRef shifted = op == BinaryOp.SHL
      ? LLVMBuildShl(b, x, amount, "")
      : LLVMBuildLShr(b, x, amount, "");
    return LLVMBuildSelect(b, tooFar, zero, shifted, "");
  }

  private static boolean isHalf(Scalar s) {
    return s == Scalar.F16 || s == Scalar.BF16;
  }

  /** {@code v} of type {@code from} converted to {@code to} as {@link Expr.Cast} says. */
  private LLVMValueRef cast(Scalar to, Scalar from, LLVMValueRef v) {
    if (to == from) {
      return v;
    }
    LLVMTypeRef target = type(to);
    if (to == Scalar.BOOL) {
      return from.isFloat()
        ? LLVMBuildFCmp(b, LLVMRealUNE, v, LLVMConstReal(type(from), 0), "")
        : icmp(LLVMIntNE, v, LLVMConstInt(type(from), 0, 0));
    }
    if (isHalf(from)) {
      return cast(to, Scalar.F32, widen(from, v));
    }
    if (isHalf(to)) {
      LLVMValueRef f = cast(Scalar.F32, from, v);
      return to == Scalar.BF16 ? toBf16(f) : LLVMBuildFPTrunc(b, f, target, "");
    }
    if (from.isFloat() && to.isFloat()) {
      return from.bits() < to.bits()
        ? LLVMBuildFPExt(b, v, target, "")
        : LLVMBuildFPTrunc(b, v, target, "");
    }
    if (from.isFloat()) {
      String sat = to.isSigned() ? "llvm.fptosi.sat" : "llvm.fptoui.sat";
      return intrinsic(sat, new LLVMTypeRef[] { target, type(from) }, v);
    }
    if (to.isFloat()) {
      return from.isSigned()
        ? LLVMBuildSIToFP(b, v, target, "")
        : LLVMBuildUIToFP(b, v, target, "");
    }
    if (from.bits() == to.bits()) {
      return v;
    }
    if (from.bits() > to.bits()) {
      return LLVMBuildTrunc(b, v, target, "");
    }
    return from.isSigned() ? LLVMBuildSExt(b, v, target, "") : LLVMBuildZExt(b, v, target, "");
  }

  /** A 16-bit float widened to f32 (exact); bf16 by moving its bits to the top half. */
  private LLVMValueRef widen(Scalar from, LLVMValueRef v) {
    LLVMTypeRef f32 = LLVMFloatTypeInContext(ctx);
    if (from == Scalar.F16) {
      return LLVMBuildFPExt(b, v, f32, "");
    }
    LLVMValueRef bits = LLVMBuildZExt(b, LLVMBuildBitCast(b, v, i16, ""), i32, "");
    return LLVMBuildBitCast(b, LLVMBuildShl(b, bits, LLVMConstInt(i32, 16, 0), ""), f32, "");
  }

  /**
   * An f32 rounded to bf16 to nearest even in integer arithmetic (no libcall on any target); a NaN
   * keeps its top bits and becomes quiet.
   */
  private LLVMValueRef toBf16(LLVMValueRef f) {
    LLVMValueRef bits = LLVMBuildBitCast(b, f, i32, "");
    LLVMValueRef sixteen = LLVMConstInt(i32, 16, 0);
    LLVMValueRef top = LLVMBuildLShr(b, bits, sixteen, "");
    LLVMValueRef odd = LLVMBuildAnd(b, top, LLVMConstInt(i32, 1, 0), "");
    LLVMValueRef rounded = LLVMBuildLShr(
      b,
      LLVMBuildAdd(b, LLVMBuildAdd(b, bits, LLVMConstInt(i32, 0x7fff, 0), ""), odd, ""),
      sixteen,
      ""
    );
    LLVMValueRef quiet = LLVMBuildOr(b, top, LLVMConstInt(i32, 0x40, 0), "");
    LLVMValueRef nan = LLVMBuildFCmp(b, LLVMRealUNO, f, f, "");
    LLVMValueRef result = LLVMBuildSelect(b, nan, quiet, rounded, "");
    return LLVMBuildBitCast(
      b,
      LLVMBuildTrunc(b, result, i16, ""),
      LLVMBFloatTypeInContext(ctx),
      ""
    );
  }

  private LLVMValueRef intrinsic(String name, LLVMTypeRef[] overloads, LLVMValueRef... args) {
    int id = LLVMLookupIntrinsicID(name, name.length());
    if (id == 0) {
      throw new IllegalStateException("llvm has no intrinsic " + name);
    }
    PointerPointer<LLVMTypeRef> types = new PointerPointer<>(overloads);
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(module, id, types, overloads.length);
    LLVMTypeRef fnType = LLVMIntrinsicGetType(ctx, id, types, overloads.length);
    return LLVMBuildCall2(b, fnType, fn, new PointerPointer<>(args), args.length, "");
  }

  /**
   * A call of the double-precision device function {@code name} (defined in the module by {@link
   * GpuMath}) on {@code args} of type {@code t}: f32 operands are widened and the result rounded.
   */
  private LLVMValueRef gpuMath(String name, Scalar t, LLVMValueRef... args) {
    LLVMTypeRef f64 = LLVMDoubleTypeInContext(ctx);
    LLVMValueRef fn = LLVMGetNamedFunction(module, name);
    if (fn == null || fn.isNull()) {
      throw new IllegalStateException("device math function " + name + " is not in the module");
    }
    LLVMTypeRef fnType = LLVMGlobalGetValueType(fn);
    LLVMValueRef[] wide = new LLVMValueRef[args.length];
    for (int i = 0; i < args.length; i++) {
      wide[i] = t == Scalar.F64 ? args[i] : LLVMBuildFPExt(b, args[i], f64, "");
    }
    LLVMValueRef r = LLVMBuildCall2(b, fnType, fn, new PointerPointer<>(wide), wide.length, "");
    return t == Scalar.F64 ? r : LLVMBuildFPTrunc(b, r, type(t), "");
  }

  /**
   * A call of the C library function {@code name} ({@code namef} for f32), declared {@code
   * nounwind willreturn memory(none)}: Kiln never reads {@code errno}.
   */
  private LLVMValueRef libm(String name, Scalar t, LLVMValueRef... args) {
    String symbol = t == Scalar.F32 ? name + "f" : name;
    LLVMTypeRef type = type(t);
    LLVMTypeRef[] params = new LLVMTypeRef[args.length];
    java.util.Arrays.fill(params, type);
    LLVMTypeRef fnType = LLVMFunctionType(type, new PointerPointer<>(params), params.length, 0);
    LLVMValueRef fn = LLVMGetNamedFunction(module, symbol);
    if (fn == null || fn.isNull()) {
      fn = LLVMAddFunction(module, symbol, fnType);
      for (String attr : List.of("nounwind", "willreturn", "memory")) {
        int kind = LLVMGetEnumAttributeKindForName(attr, attr.length());
        LLVMAddAttributeAtIndex(
          fn,
          LLVMAttributeFunctionIndex,
          LLVMCreateEnumAttribute(ctx, kind, 0)
        );
      }
    }
    return LLVMBuildCall2(b, fnType, fn, new PointerPointer<>(args), args.length, "");
  }
}
