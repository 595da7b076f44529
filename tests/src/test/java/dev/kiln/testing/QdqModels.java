package dev.kiln.testing;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.BlockArgument;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Node;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Add;
import dev.kiln.ir.op.Clip;
import dev.kiln.ir.op.Concat;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.Conv;
import dev.kiln.ir.op.Div;
import dev.kiln.ir.op.GlobalAveragePool;
import dev.kiln.ir.op.HardSigmoid;
import dev.kiln.ir.op.MatMul;
import dev.kiln.ir.op.MaxPool;
import dev.kiln.ir.op.Mul;
import dev.kiln.ir.op.Op;
import dev.kiln.ir.op.Relu;
import dev.kiln.ir.op.Reshape;
import dev.kiln.ir.op.Return;
import dev.kiln.ir.op.Softmax;
import dev.kiln.onnx.TensorProtos;
import dev.kiln.onnx.proto.OnnxProto.AttributeProto;
import dev.kiln.onnx.proto.OnnxProto.GraphProto;
import dev.kiln.onnx.proto.OnnxProto.ModelProto;
import dev.kiln.onnx.proto.OnnxProto.NodeProto;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * QDQ versions of float models, written as ONNX (opset 13) from Kiln's IR of the model with batch
 * norms folded and no epilogues: per-channel symmetric {@code i8} weights ({@code scale = max|w| /
 * 127} per output channel), {@code i32} biases at {@code x_scale * w_scale}, and per-tensor
 * activations of {@code activationType} ({@code u8} or asymmetric {@code i8}) whose ranges come
 * from running the interpreter on calibration inputs. A tensor is quantized when a quantizable op
 * (Conv, MatMul with constant weights, Add of two tensors, GlobalAveragePool, MaxPool, Concat,
 * Reshape) reads or writes it, except the output of a Conv, MatMul or Add whose only reader is a
 * Relu or Clip: the activation's output is quantized instead, as quantization tools do. Other ops
 * (Mul, Div, HardSigmoid, Softmax, Add of a constant) stay float between a DQ and a Q.
 */
public final class QdqModels {

  private QdqModels() {}

  /** The QDQ model and the quantized tensors it also returns, named by {@link #QUANTIZED_OUTPUT}. */
  public record Result(ModelProto model, int quantizedOps, String quantizedOutput) {}

  /** The extra graph output: the last quantized tensor, as its integers. */
  public static final String QUANTIZED_OUTPUT = "last_quantized";

  /** Builds the QDQ model of {@code f}, calibrated on {@code calibration} (one list per run). */
  public static Result quantize(
    Func f,
    List<List<Tensor>> calibration,
    ElementType activationType
  ) {
    Map<Value, double[]> ranges = calibrate(f, calibration);
    List<Node> nodes = f.entry().nodes();
    Set<Value> quantized = new HashSet<>();
    int quantizedOps = 0;
    for (Node n : nodes) {
      if (!quantizable(n)) {
        continue;
      }
      quantizedOps++;
      for (Value v : n.operands()) {
        if (!(v.definingNode() instanceof Node d && d.op() instanceof Constant)) {
          quantized.add(v);
        }
      }
      Value out = n.result();
      Node act = onlyActivationUser(out);
      quantized.add(act == null ? out : act.result());
    }
    Node ret = f.entry().terminator();
    for (Value v : ret.operands()) {
      quantized.remove(v);
    }
    return new Exporter(f, ranges, quantized, activationType).run(quantizedOps);
  }

  private static boolean quantizable(Node n) {
    return switch (n.op()) {
      case Conv c -> true;
      case MatMul m -> isConstant(n.operand(1)) && n.operand(1).type().rank() == 2;
      case Add a -> !isConstant(n.operand(0)) && !isConstant(n.operand(1));
      case GlobalAveragePool g -> true;
      case MaxPool m -> true;
      case Concat c -> true;
      case Reshape r -> true;
      default -> false;
    };
  }

  private static boolean isConstant(Value v) {
    return v.definingNode() instanceof Node d && d.op() instanceof Constant;
  }

  private static Node onlyActivationUser(Value v) {
    Node p = v.definingNode();
    if (
      p == null ||
      !(p.op() instanceof Conv || p.op() instanceof MatMul || p.op() instanceof Add) ||
      v.uses().size() != 1
    ) {
      return null;
    }
    Node user = v.uses().getFirst().user();
    return user.op() instanceof Relu || user.op() instanceof Clip ? user : null;
  }

  /** Minimum and maximum of every non-constant value over the calibration runs. */
  private static Map<Value, double[]> calibrate(Func f, List<List<Tensor>> calibration) {
    Map<Value, double[]> ranges = new IdentityHashMap<>();
    for (List<Tensor> inputs : calibration) {
      Map<Value, Tensor> env = new IdentityHashMap<>();
      for (int i = 0; i < inputs.size(); i++) {
        env.put(f.arguments().get(i), inputs.get(i));
        record(ranges, f.arguments().get(i), inputs.get(i));
      }
      for (Node n : f.entry().nodes()) {
        if (n.op() instanceof Return) {
          continue;
        }
        List<Tensor> out = Interpreter.evaluate(n, env, Interpreter.Budget.UNLIMITED);
        for (int i = 0; i < out.size(); i++) {
          env.put(n.result(i), out.get(i));
          if (!(n.op() instanceof Constant)) {
            record(ranges, n.result(i), out.get(i));
          }
        }
      }
    }
    return ranges;
  }

  private static void record(Map<Value, double[]> ranges, Value v, Tensor t) {
    double[] r = ranges.computeIfAbsent(v, k -> new double[] { 0, 0 });
    for (long i = 0; i < t.size(); i++) {
      double x = t.getDouble(i);
      r[0] = Math.min(r[0], x);
      r[1] = Math.max(r[1], x);
    }
  }

  /** Writes the graph: names, initializers, nodes with their Q/DQ pairs. */
  private static final class Exporter {

    private final Func f;
    private final Map<Value, double[]> ranges;
    private final Set<Value> quantized;
    private final ElementType activationType;
    private final GraphProto.Builder g = GraphProto.newBuilder().setName("qdq");
    private final Map<Value, String> names = new IdentityHashMap<>();
    private final Map<Value, Tensor> constants = new IdentityHashMap<>();
    private final Map<Value, float[]> scales = new IdentityHashMap<>();
    private String lastQuantized;
    private int counter;

    Exporter(Func f, Map<Value, double[]> ranges, Set<Value> quantized, ElementType type) {
      this.f = f;
      this.ranges = ranges;
      this.quantized = quantized;
      this.activationType = type;
    }

    private String fresh(String stem) {
      return stem + "_" + counter++;
    }

    Result run(int quantizedOps) {
      for (BlockArgument a : f.arguments()) {
        String name = a.nameHint() == null ? fresh("input") : a.nameHint();
        names.put(a, name);
        g.addInput(OnnxModels.input(name, a.type().shape().sizes()));
        quantizeIfNeeded(a);
      }
      for (Node n : f.entry().nodes()) {
        if (n.op() instanceof Constant c) {
          constants.put(n.result(), c.value());
          continue;
        }
        if (n.op() instanceof Return) {
          for (Value v : n.operands()) {
            g.addOutput(OnnxModels.output(names.get(v)));
          }
          continue;
        }
        String out = fresh("t");
        names.put(n.result(), out);
        g.addNode(node(n, out));
        quantizeIfNeeded(n.result());
      }
      g.addOutput(OnnxModels.output(QUANTIZED_OUTPUT));
      g.addNode(
        OnnxModels.node("Identity", "last", List.of(lastQuantized), List.of(QUANTIZED_OUTPUT))
      );
      return new Result(OnnxModels.model(g, 13), quantizedOps, QUANTIZED_OUTPUT);
    }

    /** The name a consumer reads for {@code v}: its DQ output when quantized. */
    private String read(Value v) {
      if (constants.containsKey(v)) {
        String name = names.computeIfAbsent(v, k -> fresh("const"));
        if (
          g
            .getInitializerList()
            .stream()
            .noneMatch(t -> t.getName().equals(name))
        ) {
          g.addInitializer(TensorProtos.encode(name, constants.get(v)));
        }
        return name;
      }
      return quantized.contains(v) ? names.get(v) + "_dq" : names.get(v);
    }

    private void quantizeIfNeeded(Value v) {
      if (!quantized.contains(v)) {
        return;
      }
      double[] r = ranges.get(v);
      double lo = Math.min(0, r[0]);
      double hi = Math.max(0, r[1]);
      float scale = hi > lo ? (float) ((hi - lo) / 255) : 1f;
      long zp = activationType == ElementType.U8
        ? Math.round(-lo / scale)
        : Math.round(-128 - lo / scale);
      zp = activationType == ElementType.U8 ? Math.clamp(zp, 0, 255) : Math.clamp(zp, -128, 127);
      scales.put(v, new float[] { scale });
      String name = names.get(v);
      g.addInitializer(TensorProtos.encode(name + "_s", Tensor.scalar(ElementType.F32, scale)));
      g.addInitializer(TensorProtos.encode(name + "_z", Tensor.scalar(activationType, zp)));
      g.addNode(
        OnnxModels.node(
          "QuantizeLinear",
          name + "_q",
          List.of(name, name + "_s", name + "_z"),
          List.of(name + "_q")
        )
      );
      g.addNode(
        OnnxModels.node(
          "DequantizeLinear",
          name + "_dql",
          List.of(name + "_q", name + "_s", name + "_z"),
          List.of(name + "_dq")
        )
      );
      lastQuantized = name + "_q";
    }

    /** Per-channel symmetric i8 weights along {@code axis}, dequantized; returns the DQ output. */
    private String weights(Value w, int axis, String stem) {
      Tensor t = constants.get(w);
      long[] s = t.shape().sizes();
      int channels = (int) s[axis];
      long inner = 1;
      for (int d = axis + 1; d < s.length; d++) {
        inner *= s[d];
      }
      float[] sw = new float[channels];
      for (long i = 0; i < t.size(); i++) {
        int c = (int) ((i / inner) % channels);
        sw[c] = (float) Math.max(sw[c], Math.abs(t.getDouble(i)));
      }
      for (int c = 0; c < channels; c++) {
        sw[c] = sw[c] > 0 ? sw[c] / 127f : 1f;
      }
      Tensor.Builder q = new Tensor.Builder(t.type().withElementType(ElementType.I8));
      for (long i = 0; i < t.size(); i++) {
        int c = (int) ((i / inner) % channels);
        q.setLong(i, Math.clamp(Math.round(Math.rint(t.getDouble(i) / sw[c])), -127, 127));
      }
      g.addInitializer(TensorProtos.encode(stem + "_wq", q.build()));
      g.addInitializer(TensorProtos.encode(stem + "_ws", floats(sw)));
      g.addNode(
        withInt(
          OnnxModels.node(
            "DequantizeLinear",
            stem + "_wdq",
            List.of(stem + "_wq", stem + "_ws"),
            List.of(stem + "_w")
          ),
          "axis",
          axis
        )
      );
      scales.put(w, sw);
      return stem + "_w";
    }

    /** An i32 bias at {@code x_scale * w_scale}, dequantized; returns the DQ output. */
    private String bias(Value b, Value x, Value w, String stem) {
      Tensor t = constants.get(b);
      float sx = scales.get(x)[0];
      float[] sw = scales.get(w);
      float[] sb = new float[sw.length];
      Tensor.Builder q = new Tensor.Builder(t.type().withElementType(ElementType.I32));
      for (int c = 0; c < sw.length; c++) {
        sb[c] = sx * sw[c];
        q.setLong(c, Math.round(Math.rint(t.getDouble(c) / sb[c])));
      }
      g.addInitializer(TensorProtos.encode(stem + "_bq", q.build()));
      g.addInitializer(TensorProtos.encode(stem + "_bs", floats(sb)));
      g.addNode(
        withInt(
          OnnxModels.node(
            "DequantizeLinear",
            stem + "_bdq",
            List.of(stem + "_bq", stem + "_bs"),
            List.of(stem + "_b")
          ),
          "axis",
          0
        )
      );
      return stem + "_b";
    }

    private static Tensor floats(float[] v) {
      Tensor.Builder b = new Tensor.Builder(TensorType.of(ElementType.F32, v.length));
      for (int i = 0; i < v.length; i++) {
        b.setDouble(i, v[i]);
      }
      return b.build();
    }

    private NodeProto node(Node n, String out) {
      Op op = n.op();
      List<String> in = new ArrayList<>();
      String type;
      NodeProto.Builder extra = NodeProto.newBuilder();
      switch (op) {
        case Conv c -> {
          type = "Conv";
          in.add(read(n.operand(0)));
          if (quantized.contains(n.operand(0))) {
            in.add(weights(n.operand(1), 0, out));
            if (n.numOperands() > 2) {
              in.add(bias(n.operand(2), n.operand(0), n.operand(1), out));
            }
          } else {
            for (int i = 1; i < n.numOperands(); i++) {
              in.add(read(n.operand(i)));
            }
          }
          long[] ws = n.operand(1).type().shape().sizes();
          int k = ws.length - 2;
          long[] kernel = new long[k];
          System.arraycopy(ws, 2, kernel, 0, k);
          ints(extra, "kernel_shape", kernel);
          ints(extra, "strides", orDefault(c.strides(), k, 1));
          ints(extra, "pads", orDefault(c.pads(), 2 * k, 0));
          ints(extra, "dilations", orDefault(c.dilations(), k, 1));
          extra.addAttribute(intAttr("group", c.group()));
        }
        case MatMul m -> {
          type = "MatMul";
          in.add(read(n.operand(0)));
          in.add(
            quantized.contains(n.operand(0)) && isConstant(n.operand(1))
              ? weights(n.operand(1), 1, out)
              : read(n.operand(1))
          );
        }
        case MaxPool m -> {
          type = "MaxPool";
          in.add(read(n.operand(0)));
          int k = m.kernel().size();
          ints(extra, "kernel_shape", m.kernel().stream().mapToLong(Long::longValue).toArray());
          ints(extra, "strides", orDefault(m.strides(), k, 1));
          ints(extra, "pads", orDefault(m.pads(), 2 * k, 0));
          if (m.ceilMode()) {
            extra.addAttribute(intAttr("ceil_mode", 1));
          }
        }
        case Reshape r -> {
          type = "Reshape";
          in.add(read(n.operand(0)));
          String shape = fresh("shape");
          g.addInitializer(
            OnnxModels.longs(
              shape,
              new long[] { r.shape().size() },
              r.shape().stream().mapToLong(Long::longValue).toArray()
            )
          );
          in.add(shape);
        }
        case Clip c -> {
          type = "Clip";
          in.add(read(n.operand(0)));
          String lo = fresh("min");
          String hi = fresh("max");
          g.addInitializer(TensorProtos.encode(lo, Tensor.scalar(ElementType.F32, c.min())));
          g.addInitializer(TensorProtos.encode(hi, Tensor.scalar(ElementType.F32, c.max())));
          in.add(lo);
          in.add(hi);
        }
        case HardSigmoid h -> {
          type = "HardSigmoid";
          in.add(read(n.operand(0)));
          extra.addAttribute(floatAttr("alpha", h.alpha()));
          extra.addAttribute(floatAttr("beta", h.beta()));
        }
        case Softmax s -> {
          type = "Softmax";
          in.add(read(n.operand(0)));
          extra.addAttribute(intAttr("axis", s.axis()));
        }
        case Concat c -> {
          type = "Concat";
          n.operands().forEach(v -> in.add(read(v)));
          extra.addAttribute(intAttr("axis", c.axis()));
        }
        default -> {
          type = switch (op) {
            case Relu r -> "Relu";
            case Add a -> "Add";
            case Mul m -> "Mul";
            case Div d -> "Div";
            case GlobalAveragePool p -> "GlobalAveragePool";
            default -> throw new IllegalArgumentException("no ONNX export for " + op.name());
          };
          n.operands().forEach(v -> in.add(read(v)));
        }
      }
      return OnnxModels.node(type, out, in, List.of(out))
        .toBuilder()
        .addAllAttribute(extra.getAttributeList())
        .build();
    }

    private static long[] orDefault(List<Long> v, int n, long fill) {
      long[] r = new long[n];
      for (int i = 0; i < n; i++) {
        r[i] = v.isEmpty() ? fill : v.get(i);
      }
      return r;
    }

    private static void ints(NodeProto.Builder b, String name, long[] values) {
      AttributeProto.Builder a = AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.INTS);
      for (long v : values) {
        a.addInts(v);
      }
      b.addAttribute(a);
    }

    private static AttributeProto intAttr(String name, long v) {
      return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.INT)
        .setI(v)
        .build();
    }

    private static AttributeProto floatAttr(String name, double v) {
      return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.FLOAT)
        .setF((float) v)
        .build();
    }

    private static NodeProto withInt(NodeProto n, String name, long v) {
      return n.toBuilder().addAttribute(intAttr(name, v)).build();
    }
  }
}
