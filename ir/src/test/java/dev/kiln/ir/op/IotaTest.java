package dev.kiln.ir.op;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.List;
import org.junit.jupiter.api.Test;

class IotaTest {

  static final Op.InferContext NONE = new Op.InferContext(List.of(), List.of());

  @Test
  void iota_counts_from_zero() {
    Tensor t = new Iota(5, ElementType.I32).evaluate(null, List.of()).getFirst();
    assertEquals(TensorType.of(ElementType.I32, 5), t.type());
    assertArrayEquals(new long[] { 0, 1, 2, 3, 4 }, t.toLongs());
  }

  @Test
  void iota_in_floats_and_empty() {
    assertEquals(
      List.of(TensorType.of(ElementType.F32, 0)),
      new Iota(0, ElementType.F32).inferTypes(NONE)
    );
    Tensor t = new Iota(3, ElementType.F64).evaluate(null, List.of()).getFirst();
    assertEquals(2.0, t.getDouble(2));
  }

  @Test
  void iota_of_a_huge_count_infers_without_allocating() {
    assertEquals(
      List.of(TensorType.of(ElementType.I64, 1L << 50)),
      new Iota(1L << 50, ElementType.I64).inferTypes(NONE)
    );
  }

  @Test
  void iota_rejects_negative_counts_and_bool() {
    assertThrows(OpError.class, () -> new Iota(-1, ElementType.I64).inferTypes(NONE));
    assertThrows(OpError.class, () -> new Iota(2, ElementType.BOOL).inferTypes(NONE));
  }
}
