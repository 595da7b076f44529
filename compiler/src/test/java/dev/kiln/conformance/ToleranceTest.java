package dev.kiln.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import org.junit.jupiter.api.Test;

class ToleranceTest {

  private static Tensor of(ElementType e, double... v) {
    return Tensor.ofDoubles(TensorType.of(e, v.length), v);
  }

  @Test
  void lowPrecisionFloatsCompareExactly() {
    Tolerance loose = new Tolerance(1, 1);
    assertNull(
      loose.mismatch(
        of(ElementType.F8E4M3FN, 1, Double.NaN),
        of(ElementType.F8E4M3FN, 1, Double.NaN)
      )
    );
    assertEquals(
      "element 0 is " + 0x1p-126 + ", expected " + 0x1p-127,
      Tolerance.ONNX_NODE.mismatch(
        of(ElementType.F8E8M0, 0x1p-126),
        of(ElementType.F8E8M0, 0x1p-127)
      )
    );
    assertEquals(
      "element 1 is 1.5, expected 1.0",
      loose.mismatch(of(ElementType.F4E2M1, 0, 1.5), of(ElementType.F4E2M1, 0, 1))
    );
    assertNull(
      Tolerance.ONNX_NODE.mismatch(of(ElementType.F32, 1.0000001), of(ElementType.F32, 1))
    );
  }
}
