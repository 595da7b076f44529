package dev.kiln.tf;

import static dev.kiln.tf.TfImporterTest.floats;
import static dev.kiln.tf.TfImporterTest.ints;
import static dev.kiln.tf.TfImporterTest.node;
import static dev.kiln.tf.TfImporterTest.run;
import static dev.kiln.tf.TfImporterTest.str;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.tf.proto.TfProto.AttrValue;
import dev.kiln.tf.proto.TfProto.GraphDef;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code ResizeBilinear}, {@code ResizeNearestNeighbor} and {@code MirrorPad}, values by hand. */
class TfResizeTest {

  static AttrValue bool(boolean b) {
    return AttrValue.newBuilder().setB(b).build();
  }

  static Tensor resize(String op, GraphDef.Builder g, int h, int w, String attr) {
    g.addNode(ints("size", new long[] { 2 }, h, w));
    var n = node(op, "y", "x", "size");
    if (attr != null) {
      n.putAttr(attr, bool(true));
    }
    return run(g.addNode(n).build(), List.of("y"), Map.of()).getFirst();
  }

  static GraphDef.Builder square() {
    return GraphDef.newBuilder().addNode(floats("x", new long[] { 1, 2, 2, 1 }, 1, 2, 3, 4));
  }

  @Test
  void bilinear_align_corners() {
    Tensor y = resize("ResizeBilinear", square(), 3, 3, "align_corners");
    assertEquals(Shape.of(1, 3, 3, 1), y.shape());
    assertArrayEquals(new double[] { 1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4 }, y.toDoubles(), 1e-6);
  }

  @Test
  void bilinear_asymmetric_repeats_the_last_row_and_column() {
    Tensor y = resize("ResizeBilinear", square(), 4, 4, null);
    assertArrayEquals(
      new double[] { 1, 1.5, 2, 2, 2, 2.5, 3, 3, 3, 3.5, 4, 4, 3, 3.5, 4, 4 },
      y.toDoubles(),
      1e-6
    );
  }

  @Test
  void bilinear_half_pixel_centers() {
    Tensor y = resize("ResizeBilinear", square(), 4, 4, "half_pixel_centers");
    assertArrayEquals(
      new double[] {
        1,
        1.25,
        1.75,
        2,
        1.5,
        1.75,
        2.25,
        2.5,
        2.5,
        2.75,
        3.25,
        3.5,
        3,
        3.25,
        3.75,
        4,
      },
      y.toDoubles(),
      1e-6
    );
  }

  static GraphDef.Builder row() {
    return GraphDef.newBuilder().addNode(ints("x", new long[] { 1, 1, 3, 1 }, 10, 20, 30));
  }

  @Test
  void nearest_neighbor_modes_keep_integers() {
    Tensor floor = resize("ResizeNearestNeighbor", row(), 1, 5, null);
    assertEquals(ElementType.I32, floor.type().elementType());
    assertArrayEquals(new long[] { 10, 10, 20, 20, 30 }, floor.toLongs());
    Tensor half = resize("ResizeNearestNeighbor", row(), 1, 5, "half_pixel_centers");
    assertArrayEquals(new long[] { 10, 10, 20, 30, 30 }, half.toLongs());
    Tensor corners = resize("ResizeNearestNeighbor", row(), 1, 5, "align_corners");
    assertArrayEquals(new long[] { 10, 20, 20, 30, 30 }, corners.toLongs());
  }

  @Test
  void align_corners_with_half_pixel_centers_is_an_error() {
    GraphDef.Builder g = square().addNode(ints("size", new long[] { 2 }, 3, 3));
    g.addNode(
      node("ResizeBilinear", "y", "x", "size")
        .putAttr("align_corners", bool(true))
        .putAttr("half_pixel_centers", bool(true))
    );
    assertThrows(DiagnosticException.class, () -> run(g.build(), List.of("y"), Map.of()));
  }

  static Tensor mirror(String mode) {
    GraphDef g = GraphDef.newBuilder()
      .addNode(floats("x", new long[] { 2, 3 }, 1, 2, 3, 4, 5, 6))
      .addNode(ints("p", new long[] { 2, 2 }, 1, 1, 2, 2))
      .addNode(node("MirrorPad", "y", "x", "p").putAttr("mode", str(mode)))
      .build();
    return run(g, List.of("y"), Map.of()).getFirst();
  }

  @Test
  void mirror_pad_symmetric_repeats_the_border() {
    Tensor y = mirror("SYMMETRIC");
    assertEquals(Shape.of(4, 7), y.shape());
    assertArrayEquals(
      new double[] {
        2,
        1,
        1,
        2,
        3,
        3,
        2,
        2,
        1,
        1,
        2,
        3,
        3,
        2,
        5,
        4,
        4,
        5,
        6,
        6,
        5,
        5,
        4,
        4,
        5,
        6,
        6,
        5,
      },
      y.toDoubles()
    );
  }

  @Test
  void mirror_pad_reflect_skips_the_border() {
    assertArrayEquals(
      new double[] {
        6,
        5,
        4,
        5,
        6,
        5,
        4,
        3,
        2,
        1,
        2,
        3,
        2,
        1,
        6,
        5,
        4,
        5,
        6,
        5,
        4,
        3,
        2,
        1,
        2,
        3,
        2,
        1,
      },
      mirror("REFLECT").toDoubles()
    );
  }
}
