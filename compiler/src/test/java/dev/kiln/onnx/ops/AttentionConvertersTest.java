package dev.kiln.onnx.ops;

import static dev.kiln.onnx.ops.IndexingConvertersTest.importNode;
import static dev.kiln.onnx.ops.IndexingConvertersTest.info;
import static dev.kiln.onnx.ops.IndexingConvertersTest.intAttr;
import static dev.kiln.onnx.ops.IndexingConvertersTest.node;
import static dev.kiln.onnx.ops.IndexingConvertersTest.stringAttr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.onnx.proto.OnnxProto.AttributeProto;
import dev.kiln.onnx.proto.OnnxProto.TensorProto;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The attention-family converters on one-node models, checked by running the lowered graph in the
 * interpreter against hand-computed values: causal and fully masked rows, grouped heads, rotary
 * embeddings, SwiGLU, the stateful causal convolution and the linear-attention recurrence.
 */
class AttentionConvertersTest {

  private static final int FLOAT = 1;
  private static final int BOOL = 9;

  private static Tensor f32(long[] shape, double... values) {
    return Tensor.ofDoubles(TensorType.of(ElementType.F32, shape), values);
  }

  private static double[] run(Func f, Tensor... inputs) {
    return Interpreter.run(f, List.of(inputs)).getFirst().toDoubles();
  }

  private static AttributeProto floatAttr(String name, float v) {
    return AttributeProto.newBuilder()
      .setName(name)
      .setType(AttributeProto.AttributeType.FLOAT)
      .setF(v)
      .build();
  }

  private static TensorProto boolMask(String name, long rows, long cols, int... values) {
    TensorProto.Builder t = TensorProto.newBuilder()
      .setName(name)
      .setDataType(BOOL)
      .addDims(rows)
      .addDims(cols);
    for (int v : values) {
      t.addInt32Data(v);
    }
    return t.build();
  }

  private static void assertClose(double[] want, double[] got) {
    assertEquals(want.length, got.length);
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], 1e-5, "element " + i);
    }
  }

  @Test
  void causalAttentionFirstQueryReadsOnlyTheFirstKey() {
    Func f = importNode(
      23,
      node("Attention", List.of("q", "k", "v"), intAttr("is_causal", 1)),
      List.of(),
      List.of(
        info("q", FLOAT, 1, 1, 2, 2),
        info("k", FLOAT, 1, 1, 2, 2),
        info("v", FLOAT, 1, 1, 2, 2)
      ),
      info("y", FLOAT, 1, 1, 2, 2)
    );
    long[] s = { 1, 1, 2, 2 };
    Tensor q = f32(s, 0, 0, 0, 0);
    Tensor k = f32(s, 1, 2, 3, 4);
    Tensor v = f32(s, 10, 20, 30, 40);
    assertClose(new double[] { 10, 20, 20, 30 }, run(f, q, k, v));
  }

  @Test
  void fullyMaskedRowYieldsZerosNotNaN() {
    Func f = importNode(
      23,
      node("Attention", List.of("q", "k", "v", "m")),
      List.of(boolMask("m", 2, 2, 0, 0, 1, 0)),
      List.of(
        info("q", FLOAT, 1, 1, 2, 2),
        info("k", FLOAT, 1, 1, 2, 2),
        info("v", FLOAT, 1, 1, 2, 2)
      ),
      info("y", FLOAT, 1, 1, 2, 2)
    );
    long[] s = { 1, 1, 2, 2 };
    double[] y = run(f, f32(s, 1, 0, 0, 1), f32(s, 1, 0, 0, 1), f32(s, 1, 2, 3, 4));
    assertClose(new double[] { 0, 0, 1, 2 }, y);
  }

  @Test
  void groupedQueryHeadsShareTheirKeyValueHead() {
    Func f = importNode(
      23,
      node("Attention", List.of("q", "k", "v"), floatAttr("softcap", 5f)),
      List.of(),
      List.of(
        info("q", FLOAT, 1, 2, 1, 2),
        info("k", FLOAT, 1, 1, 2, 2),
        info("v", FLOAT, 1, 1, 2, 2)
      ),
      info("y", FLOAT, 1, 2, 1, 2)
    );
    double[] y = run(
      f,
      f32(new long[] { 1, 2, 1, 2 }, 1, 0, 1, 0),
      f32(new long[] { 1, 1, 2, 2 }, 1, 0, 0, 1),
      f32(new long[] { 1, 1, 2, 2 }, 0, 1, 1, 0)
    );
    double score = 5 * Math.tanh(1 / Math.sqrt(2) / 5);
    double p0 = Math.exp(score) / (Math.exp(score) + 1);
    assertClose(new double[] { 1 - p0, p0, 1 - p0, p0 }, y);
  }

  @Test
  void threeDimensionalAttentionNeedsHeadCounts() {
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      importNode(
        23,
        node("Attention", List.of("q", "k", "v")),
        List.of(),
        List.of(info("q", FLOAT, 1, 2, 4), info("k", FLOAT, 1, 2, 4), info("v", FLOAT, 1, 2, 4)),
        info("y", FLOAT, 1, 2, 4)
      )
    );
    assertTrue(e.getMessage().contains("q_num_heads and kv_num_heads"), e.getMessage());
  }

  @Test
  void rotaryEmbeddingRotatesHalvesByTheCachedAngles() {
    Func f = importNode(
      23,
      node("RotaryEmbedding", List.of("x", "cos", "sin")),
      List.of(),
      List.of(
        info("x", FLOAT, 1, 1, 1, 4),
        info("cos", FLOAT, 1, 1, 2),
        info("sin", FLOAT, 1, 1, 2)
      ),
      info("y", FLOAT, 1, 1, 1, 4)
    );
    double[] y = run(
      f,
      f32(new long[] { 1, 1, 1, 4 }, 1, 2, 3, 4),
      f32(new long[] { 1, 1, 2 }, 0, 1),
      f32(new long[] { 1, 1, 2 }, 1, 0)
    );
    assertClose(new double[] { -3, 2, 1, 4 }, y);
  }

  @Test
  void interleavedRotaryEmbeddingPairsNeighbours() {
    Func f = importNode(
      23,
      node("RotaryEmbedding", List.of("x", "cos", "sin"), intAttr("interleaved", 1)),
      List.of(),
      List.of(
        info("x", FLOAT, 1, 1, 1, 4),
        info("cos", FLOAT, 1, 1, 2),
        info("sin", FLOAT, 1, 1, 2)
      ),
      info("y", FLOAT, 1, 1, 1, 4)
    );
    double[] y = run(
      f,
      f32(new long[] { 1, 1, 1, 4 }, 1, 2, 3, 4),
      f32(new long[] { 1, 1, 2 }, 0, 1),
      f32(new long[] { 1, 1, 2 }, 1, 0)
    );
    assertClose(new double[] { -2, 1, 3, 4 }, y);
  }

  @Test
  void swigluGatesTheSecondInput() {
    Func f = importNode(
      28,
      node("SwiGLU", List.of("a", "b"), floatAttr("alpha", 2f)),
      List.of(),
      List.of(info("a", FLOAT, 2), info("b", FLOAT, 2)),
      info("y", FLOAT, 2)
    );
    double[] y = run(f, f32(new long[] { 2 }, 1, -1), f32(new long[] { 2 }, 3, 3));
    double s = 1 / (1 + Math.exp(-2));
    assertClose(new double[] { 3 * s, -3 * (1 - s) }, y);
  }

  @Test
  void causalConvLooksOnlyBackwards() {
    Func f = importNode(
      27,
      node("CausalConvWithState", List.of("x", "w")),
      List.of(),
      List.of(info("x", FLOAT, 1, 1, 3), info("w", FLOAT, 1, 1, 2)),
      info("y", FLOAT, 1, 1, 3)
    );
    double[] y = run(f, f32(new long[] { 1, 1, 3 }, 1, 2, 3), f32(new long[] { 1, 1, 2 }, 10, 1));
    assertClose(new double[] { 1, 12, 23 }, y);
  }

  @Test
  void linearAttentionAccumulatesKeyValueProducts() {
    Func f = importNode(
      27,
      node(
        "LinearAttention",
        List.of("q", "k", "v"),
        intAttr("q_num_heads", 1),
        intAttr("kv_num_heads", 1),
        stringAttr("update_rule", "linear"),
        floatAttr("scale", 1f)
      ),
      List.of(),
      List.of(info("q", FLOAT, 1, 2, 1), info("k", FLOAT, 1, 2, 1), info("v", FLOAT, 1, 2, 1)),
      info("y", FLOAT, 1, 2, 1)
    );
    long[] s = { 1, 2, 1 };
    double[] y = run(f, f32(s, 1, 2), f32(s, 3, 4), f32(s, 5, 6));
    assertArrayEquals(new double[] { 15, 2 * (15 + 24) }, y, 1e-5);
  }

  @Test
  void linearAttentionRejectsUnknownRules() {
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      importNode(
        27,
        node(
          "LinearAttention",
          List.of("q", "k", "v"),
          intAttr("q_num_heads", 1),
          intAttr("kv_num_heads", 1),
          stringAttr("update_rule", "mamba")
        ),
        List.of(),
        List.of(info("q", FLOAT, 1, 2, 1), info("k", FLOAT, 1, 2, 1), info("v", FLOAT, 1, 2, 1)),
        info("y", FLOAT, 1, 2, 1)
      )
    );
    assertTrue(e.getMessage().contains("update_rule 'mamba'"), e.getMessage());
  }
}
