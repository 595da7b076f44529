package dev.kiln.ir.op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How ops declare their layout handling, and what they become on permuted operands. */
class LayoutAwareTest {

  static final List<Long> TO_NCHW = List.of(0L, 3L, 1L, 2L);
  static final List<Long> TO_NHWC = List.of(0L, 2L, 3L, 1L);

  @Test
  void layout_permutations_move_the_channel_axis() {
    assertEquals(TO_NCHW, Layout.NHWC.toNchw(4));
    assertEquals(TO_NHWC, Layout.NHWC.fromNchw(4));
    assertEquals(List.of(0L, 4L, 1L, 2L, 3L), Layout.NHWC.toNchw(5));
    assertEquals(List.of(0L, 2L, 1L), Layout.NHWC.toNchw(3));
    assertEquals(List.of(0L, 1L, 2L, 3L), Layout.NCHW.toNchw(4));
    assertEquals(List.of(0L, 1L), Layout.NHWC.toNchw(2));
    assertEquals(List.of(2L, 0L, 1L), Layout.inverse(List.of(1L, 2L, 0L)));
    assertEquals(
      TensorType.of(dev.kiln.ir.ElementType.F32, 1, 3, 5, 4),
      Layout.NHWC.toNchw(TensorType.of(dev.kiln.ir.ElementType.F32, 1, 5, 4, 3))
    );
  }

  @Test
  void layout_transposes_tensor_values() {
    Tensor nhwc = Tensor.ofDoubles(
      TensorType.of(dev.kiln.ir.ElementType.F32, 1, 1, 2, 3),
      new double[] { 1, 2, 3, 4, 5, 6 }
    );
    Tensor nchw = Layout.NHWC.toNchw(nhwc);
    assertEquals(Shape.of(1, 3, 1, 2), nchw.shape());
    assertEquals(List.of(1.0, 4.0, 2.0, 5.0, 3.0, 6.0), values(nchw));
    assertEquals(nhwc, Layout.NHWC.fromNchw(nchw));
  }

  @Test
  void kinds_are_declared_by_the_ops() {
    assertEquals(LayoutAware.Kind.AGNOSTIC, LayoutAware.kindOf(new Relu()));
    assertEquals(LayoutAware.Kind.AGNOSTIC, LayoutAware.kindOf(new Add()));
    assertEquals(
      LayoutAware.Kind.SENSITIVE,
      LayoutAware.kindOf(new Conv(List.of(), List.of(), List.of(), 1))
    );
    assertEquals(LayoutAware.Kind.SENSITIVE, LayoutAware.kindOf(new Concat(1)));
    assertEquals(LayoutAware.Kind.SENSITIVE, LayoutAware.kindOf(new ReduceSum(List.of(1L), true)));
    assertEquals(LayoutAware.Kind.BARRIER, LayoutAware.kindOf(new Reshape(List.of(2L))));
    assertEquals(LayoutAware.Kind.BARRIER, LayoutAware.kindOf(new MatMul()));
  }

  @Test
  void conv_switches_between_nchw_and_nhwc_only() {
    Conv conv = new Conv(List.of(2L, 1L), List.of(), List.of(), 1);
    LayoutAware.Permuted p = conv.permuted(TO_NCHW);
    assertEquals(conv.withLayout(Layout.NHWC), p.op());
    assertEquals(TO_NCHW, p.resultPerm());
    assertEquals(conv, conv.withLayout(Layout.NHWC).permuted(TO_NHWC).op());
    assertNull(conv.permuted(List.of(0L, 1L, 3L, 2L)), "spatial swap would permute the weight");
    assertNull(conv.permuted(List.of(1L, 0L, 2L, 3L)), "batch must stay axis 0");
    assertEquals(false, conv.carriesLayout(1));
    assertEquals(true, conv.carriesLayout(3));
  }

  @Test
  void pools_permute_their_window_with_the_spatial_axes() {
    MaxPool pool = new MaxPool(
      List.of(3L, 1L),
      List.of(2L, 1L),
      List.of(1L, 0L, 2L, 0L),
      List.of(),
      false
    );
    LayoutAware.Permuted p = pool.permuted(List.of(0L, 1L, 3L, 2L));
    assertEquals(
      new MaxPool(List.of(1L, 3L), List.of(1L, 2L), List.of(0L, 1L, 0L, 2L), List.of(), false),
      p.op()
    );
    AveragePool avg = new AveragePool(
      List.of(3L, 1L),
      List.of(),
      List.of(),
      List.of(),
      false,
      true
    );
    assertEquals(
      new AveragePool(List.of(1L, 3L), List.of(), List.of(), List.of(), false, true, Layout.NHWC),
      avg.permuted(List.of(0L, 3L, 2L, 1L)).op()
    );
  }

  @Test
  void axis_ops_follow_the_permutation() {
    assertEquals(new Concat(3), new Concat(1).permuted(TO_NCHW).op());
    assertEquals(new Softmax(3), new Softmax(-3).permuted(TO_NCHW).op());
    LayoutAware.Permuted kept = new ReduceMean(List.of(2L, 3L), true).permuted(TO_NCHW);
    assertEquals(new ReduceMean(List.of(1L, 2L), true), kept.op());
    assertEquals(TO_NCHW, kept.resultPerm());
    LayoutAware.Permuted dropped = new ReduceMean(List.of(2L, 3L), false).permuted(TO_NCHW);
    assertEquals(new ReduceMean(List.of(1L, 2L), false), dropped.op());
    assertEquals(List.of(0L, 1L), dropped.resultPerm());
    LayoutAware.Permuted channels = new ReduceMax(List.of(1L), false).permuted(TO_NCHW);
    assertEquals(new ReduceMax(List.of(3L), false), channels.op());
    assertEquals(List.of(0L, 1L, 2L), channels.resultPerm());
  }

  private static List<Double> values(Tensor t) {
    return java.util.Arrays.stream(t.toDoubles()).boxed().toList();
  }
}
