package dev.kiln.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/** Small modules built with the LLVM C API for the backend tests. */
final class Modules {

  private Modules() {}

  /**
   * {@code void kiln_add(float *a, float *b, float *out, i64 n)}: {@code out[i] = a[i] + b[i]} for
   * {@code i < n}, as a loop the optimizer vectorizes.
   */
  static LLVMModuleRef addArrays(LLVMContextRef ctx, String name) {
    LLVMModuleRef m = LLVMModuleCreateWithNameInContext(name, ctx);
    LLVMTypeRef f32 = LLVMFloatTypeInContext(ctx);
    LLVMTypeRef i64 = LLVMInt64TypeInContext(ctx);
    LLVMTypeRef ptr = LLVMPointerTypeInContext(ctx, 0);
    LLVMTypeRef fnType = LLVMFunctionType(
      LLVMVoidTypeInContext(ctx),
      new PointerPointer<>(ptr, ptr, ptr, i64),
      4,
      0
    );
    LLVMValueRef fn = LLVMAddFunction(m, "kiln_add", fnType);
    LLVMValueRef a = LLVMGetParam(fn, 0);
    LLVMValueRef b = LLVMGetParam(fn, 1);
    LLVMValueRef out = LLVMGetParam(fn, 2);
    LLVMValueRef n = LLVMGetParam(fn, 3);
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(ctx, fn, "entry");
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(ctx, fn, "loop");
    LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(ctx, fn, "exit");
    LLVMBuilderRef bld = LLVMCreateBuilderInContext(ctx);
    LLVMPositionBuilderAtEnd(bld, entry);
    LLVMValueRef zero = LLVMConstInt(i64, 0, 0);
    LLVMBuildCondBr(bld, LLVMBuildICmp(bld, LLVMIntSGT, n, zero, "nonempty"), loop, exit);
    LLVMPositionBuilderAtEnd(bld, loop);
    LLVMValueRef i = LLVMBuildPhi(bld, i64, "i");
    LLVMValueRef x = LLVMBuildLoad2(bld, f32, gep(bld, f32, a, i, "pa"), "x");
    LLVMValueRef y = LLVMBuildLoad2(bld, f32, gep(bld, f32, b, i, "pb"), "y");
    LLVMBuildStore(bld, LLVMBuildFAdd(bld, x, y, "sum"), gep(bld, f32, out, i, "po"));
    LLVMValueRef next = LLVMBuildAdd(bld, i, LLVMConstInt(i64, 1, 0), "next");
    LLVMBuildCondBr(bld, LLVMBuildICmp(bld, LLVMIntSLT, next, n, "more"), loop, exit);
    LLVMAddIncoming(i, new PointerPointer<>(zero, next), new PointerPointer<>(entry, loop), 2);
    LLVMPositionBuilderAtEnd(bld, exit);
    LLVMBuildRetVoid(bld);
    LLVMDisposeBuilder(bld);
    return m;
  }

  /**
   * {@code void model_run(float *out, const float *in)} calling the external {@code void
   * kiln_scale(float *out, const float *in, float s, i64 n)} with {@code s = 2, n = 64}.
   */
  static LLVMModuleRef callScale(LLVMContextRef ctx, String name) {
    LLVMModuleRef m = LLVMModuleCreateWithNameInContext(name, ctx);
    LLVMTypeRef f32 = LLVMFloatTypeInContext(ctx);
    LLVMTypeRef i64 = LLVMInt64TypeInContext(ctx);
    LLVMTypeRef ptr = LLVMPointerTypeInContext(ctx, 0);
    LLVMTypeRef voidType = LLVMVoidTypeInContext(ctx);
    LLVMTypeRef scaleType = LLVMFunctionType(
      voidType,
      new PointerPointer<>(ptr, ptr, f32, i64),
      4,
      0
    );
    LLVMValueRef scale = LLVMAddFunction(m, "kiln_scale", scaleType);
    LLVMValueRef run = LLVMAddFunction(
      m,
      "model_run",
      LLVMFunctionType(voidType, new PointerPointer<>(ptr, ptr), 2, 0)
    );
    LLVMBuilderRef bld = LLVMCreateBuilderInContext(ctx);
    LLVMPositionBuilderAtEnd(bld, LLVMAppendBasicBlockInContext(ctx, run, "entry"));
    LLVMBuildCall2(
      bld,
      scaleType,
      scale,
      new PointerPointer<>(
        LLVMGetParam(run, 0),
        LLVMGetParam(run, 1),
        LLVMConstReal(f32, 2.0),
        LLVMConstInt(i64, 64, 0)
      ),
      4,
      ""
    );
    LLVMBuildRetVoid(bld);
    LLVMDisposeBuilder(bld);
    return m;
  }

  private static LLVMValueRef gep(
    LLVMBuilderRef bld,
    LLVMTypeRef type,
    LLVMValueRef base,
    LLVMValueRef index,
    String name
  ) {
    return LLVMBuildGEP2(
      bld,
      type,
      base,
      new PointerPointer<>(new LLVMValueRef[] { index }),
      1,
      name
    );
  }
}
