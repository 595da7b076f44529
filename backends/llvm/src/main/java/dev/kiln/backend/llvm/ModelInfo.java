package dev.kiln.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.LoopFunc;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Defines {@code const kiln_model_info_t *NAME_info(void)} and the constant table it returns, as
 * {@code kiln/runtime.h} declares them: {@code abi_version} {@link #ABI_VERSION}, the input and
 * output counts, {@code reserved} 0, {@code workspace_size} ({@link LoopFunc#workspaceBytes()}
 * rounded up to a multiple of 64), {@code workspace_per_thread} ({@link
 * LoopFunc#threadScratchBytes()}), and one {@code kiln_tensor_desc_t} per input and output:
 * the model's name as a NUL-terminated string (the buffer's name when the model gave none), the
 * element type as its {@link dev.kiln.ir.ElementType} ordinal, the rank and the dims padded with
 * zeros to {@link #MAX_RANK}. An empty list is a null pointer. Struct layouts follow the target's
 * data layout, so they match the C compiler's on every target.
 */
final class ModelInfo {

  /** {@code KILN_MODEL_ABI_VERSION}. */
  static final int ABI_VERSION = 1;

  /** {@code KILN_MAX_RANK}. */
  static final int MAX_RANK = 8;

  private final LLVMModuleRef module;
  private final LLVMContextRef ctx;
  private final String prefix;
  private final LLVMTypeRef i32;
  private final LLVMTypeRef i64;
  private final LLVMTypeRef ptr;
  private final LLVMTypeRef desc;

  private ModelInfo(LLVMModuleRef module, String prefix) {
    this.module = module;
    this.ctx = LLVMGetModuleContext(module);
    this.prefix = prefix;
    this.i32 = LLVMInt32TypeInContext(ctx);
    this.i64 = LLVMInt64TypeInContext(ctx);
    this.ptr = LLVMPointerTypeInContext(ctx, 0);
    this.desc = struct(ptr, i32, i32, LLVMArrayType2(i64, MAX_RANK));
  }

  /** Adds the table of {@code f} and the function {@code symbol} returning its address. */
  static LLVMValueRef define(LLVMModuleRef module, String symbol, LoopFunc f) {
    return new ModelInfo(module, f.name()).function(symbol, f);
  }

  private LLVMValueRef function(String symbol, LoopFunc f) {
    LLVMValueRef inputs = descriptors("inputs", f.inputs());
    LLVMValueRef outputs = descriptors("outputs", f.outputs());
    long workspace = Math.ceilDiv(f.workspaceBytes(), 64) * 64;
    LLVMValueRef table = constGlobal(
      "table",
      constStruct(
        LLVMConstInt(i32, ABI_VERSION, 0),
        LLVMConstInt(i32, f.inputs().size(), 0),
        LLVMConstInt(i32, f.outputs().size(), 0),
        LLVMConstInt(i32, 0, 0),
        LLVMConstInt(i64, workspace, 0),
        LLVMConstInt(i64, f.threadScratchBytes(), 0),
        inputs,
        outputs
      )
    );
    LLVMValueRef fn = LLVMAddFunction(
      module,
      symbol,
      LLVMFunctionType(ptr, (PointerPointer<?>) null, 0, 0)
    );
    var b = LLVMCreateBuilderInContext(ctx);
    try {
      LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(ctx, fn, "entry"));
      LLVMBuildRet(b, table);
    } finally {
      LLVMDisposeBuilder(b);
    }
    return fn;
  }

  private LLVMValueRef descriptors(String what, List<Buffer> buffers) {
    if (buffers.isEmpty()) {
      return LLVMConstNull(ptr);
    }
    LLVMValueRef[] entries = new LLVMValueRef[buffers.size()];
    for (int i = 0; i < entries.length; i++) {
      Buffer buf = buffers.get(i);
      long[] dims = buf.dims();
      if (dims.length > MAX_RANK) {
        throw new IllegalStateException(
          buf + " has rank " + dims.length + ", more than " + MAX_RANK
        );
      }
      LLVMValueRef[] padded = new LLVMValueRef[MAX_RANK];
      for (int d = 0; d < MAX_RANK; d++) {
        padded[d] = LLVMConstInt(i64, d < dims.length ? dims[d] : 0, 0);
      }
      String name = buf.sourceName() != null ? buf.sourceName() : buf.name();
      entries[i] = constStruct(
        string(what + "." + i + ".name", name),
        LLVMConstInt(i32, buf.elem().elementType().ordinal(), 0),
        LLVMConstInt(i32, dims.length, 0),
        LLVMConstArray2(i64, new PointerPointer<>(padded), MAX_RANK)
      );
    }
    return constGlobal(what, LLVMConstArray2(desc, new PointerPointer<>(entries), entries.length));
  }

  private LLVMValueRef string(String label, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    LLVMValueRef init;
    try (BytePointer data = new BytePointer(bytes)) {
      init = LLVMConstStringInContext2(ctx, data, bytes.length, 0);
    }
    LLVMValueRef global = constGlobal(label, init);
    LLVMSetUnnamedAddress(global, LLVMGlobalUnnamedAddr);
    LLVMSetAlignment(global, 1);
    return global;
  }

  private LLVMValueRef constGlobal(String label, LLVMValueRef init) {
    LLVMValueRef global = LLVMAddGlobal(module, LLVMTypeOf(init), prefix + ".info." + label);
    LLVMSetInitializer(global, init);
    LLVMSetGlobalConstant(global, 1);
    LLVMSetLinkage(global, LLVMPrivateLinkage);
    return global;
  }

  private LLVMTypeRef struct(LLVMTypeRef... fields) {
    return LLVMStructTypeInContext(ctx, new PointerPointer<>(fields), fields.length, 0);
  }

  private LLVMValueRef constStruct(LLVMValueRef... fields) {
    return LLVMConstStructInContext(ctx, new PointerPointer<>(fields), fields.length, 0);
  }
}
