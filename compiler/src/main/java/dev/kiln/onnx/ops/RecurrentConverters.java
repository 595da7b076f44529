package dev.kiln.onnx.ops;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Region;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Add;
import dev.kiln.ir.op.Clip;
import dev.kiln.ir.op.Concat;
import dev.kiln.ir.op.Elu;
import dev.kiln.ir.op.HardSigmoid;
import dev.kiln.ir.op.Iota;
import dev.kiln.ir.op.LeakyRelu;
import dev.kiln.ir.op.Less;
import dev.kiln.ir.op.MatMul;
import dev.kiln.ir.op.Mul;
import dev.kiln.ir.op.Relu;
import dev.kiln.ir.op.Reshape;
import dev.kiln.ir.op.ReverseSequence;
import dev.kiln.ir.op.Scan;
import dev.kiln.ir.op.Sigmoid;
import dev.kiln.ir.op.Slice;
import dev.kiln.ir.op.Softplus;
import dev.kiln.ir.op.Softsign;
import dev.kiln.ir.op.Sub;
import dev.kiln.ir.op.Tanh;
import dev.kiln.ir.op.ThresholdedRelu;
import dev.kiln.ir.op.Transpose;
import dev.kiln.ir.op.Where;
import dev.kiln.onnx.ConverterRegistry;
import dev.kiln.onnx.ImportContext;
import dev.kiln.onnx.OnnxError;
import dev.kiln.onnx.OnnxNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * ONNX {@code RNN}, {@code GRU} and {@code LSTM} as one input projection and an {@code nn.scan}
 * over the time steps: per direction, the inputs of all steps are multiplied by {@code W^T} in one
 * {@code [seq*batch, K] x [K, gates*H]} matrix product (plus the input bias), and the scan's body
 * computes one step from that projection's slice and the states: one {@code [batch, H] x [H,
 * gates*H]} recurrent product for all gates, then the gate activations. The sequence length must be
 * known at compile time. Directions forward, reverse and bidirectional, biases,
 * initial states, peepholes, {@code sequence_lens} (finished batch entries keep their state and
 * output zeros; reverse directions reverse each entry's own prefix), {@code clip}, {@code
 * input_forget}, {@code linear_before_reset}, {@code layout} and the activation functions with
 * their alpha and beta (consumed in order by the activations that take them; lists that are given
 * must hold exactly one value per such activation) are supported.
 */
public final class RecurrentConverters {

  private RecurrentConverters() {}

  private enum Kind {
    RNN(1, List.of("Tanh")),
    GRU(3, List.of("Sigmoid", "Tanh")),
    LSTM(4, List.of("Sigmoid", "Tanh", "Tanh"));

    final int gates;
    final List<String> activations;

    Kind(int gates, List<String> activations) {
      this.gates = gates;
      this.activations = activations;
    }
  }

  public static void register(ConverterRegistry r) {
    r.add("RNN", 1, (n, c) -> new Cell(n, c, Kind.RNN).convert());
    r.add("GRU", 1, (n, c) -> new Cell(n, c, Kind.GRU).convert());
    r.add("LSTM", 1, (n, c) -> new Cell(n, c, Kind.LSTM).convert());
  }

  /** One activation with its alpha and beta. */
  private record Activation(String name, double alpha, double beta) {}

  private static final class Cell {

    final OnnxNode n;
    ImportContext c;
    final Kind kind;
    final ElementType et;
    final long hidden;
    final int dirs;
    final String direction;
    final boolean batchFirst;
    final double clip;
    final List<Activation> activations = new ArrayList<>();

    Cell(OnnxNode n, ImportContext c, Kind kind) {
      this.n = n;
      this.c = c;
      this.kind = kind;
      this.et = n.input(0).type().elementType();
      OnnxError.check(et.isFloat(), "X must be a float tensor, got %s", et);
      this.direction = n.getString("direction", "forward");
      this.dirs = switch (direction) {
        case "forward", "reverse" -> 1;
        case "bidirectional" -> 2;
        default -> throw new OnnxError("direction '" + direction + "' is not supported");
      };
      this.batchFirst = n.getInt("layout", 0) == 1;
      this.clip = n.has("clip") ? n.getFloat("clip", 0) : Double.NaN;
      Value w = n.input(1);
      OnnxError.check(w.type().rank() == 3, "W must have rank 3, got %s", w.type());
      Dim rows = w.type().shape().dim(1);
      this.hidden = n.has("hidden_size")
        ? n.getInt("hidden_size")
        : rows.isKnown() ? rows.size() / kind.gates : -1;
      OnnxError.check(hidden > 0, "hidden_size must be positive, got %d", hidden);
      List<String> names = n.getStrings("activations", List.of());
      if (names.isEmpty()) {
        for (int d = 0; d < dirs; d++) {
          names = new ArrayList<>(names);
          names.addAll(kind.activations);
        }
      }
      OnnxError.check(
        names.size() == kind.activations.size() * dirs,
        "activations needs %d entries, got %d",
        kind.activations.size() * dirs,
        names.size()
      );
      List<Double> alphas = n.getFloats("activation_alpha", List.of());
      List<Double> betas = n.getFloats("activation_beta", List.of());
      int ai = 0;
      int bi = 0;
      for (String name : names) {
        String lower = name.toLowerCase(Locale.ROOT);
        double[] defaults = switch (lower) {
          case "relu", "tanh", "sigmoid", "softsign", "softplus" -> new double[0];
          case "leakyrelu" -> new double[] { 0.01 };
          case "thresholdedrelu", "elu" -> new double[] { 1.0 };
          case "affine" -> new double[] { 1.0, 0.0 };
          case "scaledtanh" -> new double[] { 1.0, 1.0 };
          case "hardsigmoid" -> new double[] { 0.2, 0.5 };
          default -> throw new OnnxError("activation '" + name + "' is not supported");
        };
        double alpha = 0;
        double beta = 0;
        if (defaults.length >= 1) {
          alpha = ai < alphas.size() ? alphas.get(ai) : defaults[0];
          ai++;
        }
        if (defaults.length >= 2) {
          beta = bi < betas.size() ? betas.get(bi) : defaults[1];
          bi++;
        }
        activations.add(new Activation(lower, alpha, beta));
      }
      if (!alphas.isEmpty() && ai != alphas.size()) {
        throw new OnnxError(
          "activation_alpha with " +
          alphas.size() +
          " values for " +
          ai +
          " activations that take an alpha is not supported"
        );
      }
      if (!betas.isEmpty() && bi != betas.size()) {
        throw new OnnxError(
          "activation_beta with " +
          betas.size() +
          " values for " +
          bi +
          " activations that take a beta is not supported"
        );
      }
    }

    Value scalar(double v) {
      return c.constant(Tensor.scalar(et, v));
    }

    Value act(int dir, int index, Value x) {
      if (!Double.isNaN(clip)) {
        x = c.emit(new Clip(-clip, clip), x);
      }
      Activation a = activations.get(dir * kind.activations.size() + index);
      return switch (a.name()) {
        case "relu" -> c.emit(new Relu(), x);
        case "tanh" -> c.emit(new Tanh(), x);
        case "sigmoid" -> c.emit(new Sigmoid(), x);
        case "softsign" -> c.emit(new Softsign(), x);
        case "softplus" -> c.emit(new Softplus(), x);
        case "leakyrelu" -> c.emit(new LeakyRelu(a.alpha()), x);
        case "thresholdedrelu" -> c.emit(new ThresholdedRelu(a.alpha()), x);
        case "elu" -> c.emit(new Elu(a.alpha()), x);
        case "hardsigmoid" -> c.emit(new HardSigmoid(a.alpha(), a.beta()), x);
        case "affine" -> c.emit(
          new Add(),
          c.emit(new Mul(), x, scalar(a.alpha())),
          scalar(a.beta())
        );
        case "scaledtanh" -> c.emit(
          new Mul(),
          c.emit(new Tanh(), c.emit(new Mul(), x, scalar(a.beta()))),
          scalar(a.alpha())
        );
        default -> throw new IllegalStateException(a.name());
      };
    }

    Value slice(Value x, long axis, long start, long end) {
      return c.emit(new Slice(List.of(axis), List.of(start), List.of(end), List.of(1L)), x);
    }

    Value squeeze(Value x, long axis) {
      return ShapeConverters.squeeze(c, x, List.of(axis));
    }

    Value unsqueeze(Value x, long axis) {
      return ShapeConverters.unsqueeze(c, x, List.of(axis));
    }

    Value concat(List<Value> parts, long axis) {
      return parts.size() == 1 ? parts.getFirst() : c.emitAll(new Concat(axis), parts).getFirst();
    }

    Value transpose(Value x, long... perm) {
      List<Long> p = new ArrayList<>();
      for (long v : perm) {
        p.add(v);
      }
      return c.emit(new Transpose(p), x);
    }

    /** The {@code [dirs, gates*H, K]} weight of direction {@code d}, transposed: {@code [K, gates*H]}. */
    Value weights(Value w, int d) {
      return transpose(squeeze(slice(w, 0, d, d + 1), 0), 1, 0);
    }

    /** Gates {@code [from, to)} of direction {@code d}'s input or recurrence bias. */
    Value bias(Value b, int d, int from, int to, boolean recurrence) {
      Value bd = squeeze(slice(b, 0, d, d + 1), 0);
      long base = recurrence ? (long) kind.gates * hidden : 0;
      return slice(bd, 0, base + from * hidden, base + to * hidden);
    }

    Value reshape(Value x, Object... dims) {
      List<Long> shape = new ArrayList<>();
      for (Object o : dims) {
        shape.add(
          o instanceof Dim dim ? (dim.isKnown() ? dim.size() : -1) : ((Number) o).longValue()
        );
      }
      return c.emit(new Reshape(shape), x);
    }

    Value zeros(Dim batch) {
      OnnxError.check(
        batch.isKnown(),
        "initial states default to zeros of a batch size known at compile time, got %s",
        batch
      );
      return c.constant(Tensor.splat(TensorType.of(et, batch.size(), hidden), 0));
    }

    List<Value> convert() {
      Value x = n.input(0);
      OnnxError.check(x.type().rank() == 3, "X must have rank 3, got %s", x.type());
      if (batchFirst) {
        x = transpose(x, 1, 0, 2);
      }
      Dim seqDim = x.type().shape().dim(0);
      Dim batch = x.type().shape().dim(1);
      if (!seqDim.isKnown()) {
        throw new OnnxError(
          kind + " over a sequence length unknown at compile time is not supported"
        );
      }
      int seq = Math.toIntExact(seqDim.size());
      Value w = n.input(1);
      Value r = n.input(2);
      Value b = n.input(3);
      Value lens = n.input(4);
      Value h0 = n.input(5);
      Value c0 = kind == Kind.LSTM ? n.input(6) : null;
      Value p = kind == Kind.LSTM ? n.input(7) : null;
      if (lens != null) {
        Tensor known = c.constantValue(lens).orElse(null);
        if (known != null && java.util.Arrays.stream(known.toLongs()).allMatch(v -> v == seq)) {
          lens = null;
        }
      }
      if (batchFirst && h0 != null) {
        h0 = transpose(h0, 1, 0, 2);
      }
      if (batchFirst && c0 != null) {
        c0 = transpose(c0, 1, 0, 2);
      }
      List<Value> ys = new ArrayList<>();
      List<Value> hs = new ArrayList<>();
      List<Value> cs = new ArrayList<>();
      for (int d = 0; d < dirs; d++) {
        boolean reverse = direction.equals("reverse") || d == 1;
        Value xd = x;
        if (reverse && lens != null) {
          xd = c.emit(new ReverseSequence(1, 0), x, lens);
        }
        long width = (long) kind.gates * hidden;
        Value proj = c.emit(new MatMul(), reshape(xd, -1, x.type().shape().dim(2)), weights(w, d));
        if (b != null) {
          proj = plus(proj, bias(b, d, 0, kind.gates, false));
        }
        proj = reshape(proj, seq, -1, width);
        Value rt = weights(r, d);
        Value rb = b == null ? null : bias(b, d, 0, kind.gates, true);
        Value h = h0 == null ? zeros(batch) : squeeze(slice(h0, 0, d, d + 1), 0);
        Value cell = kind != Kind.LSTM
          ? null
          : c0 == null ? zeros(batch) : squeeze(slice(c0, 0, d, d + 1), 0);
        List<Value> peep = new ArrayList<>();
        if (p != null) {
          Value pd = squeeze(slice(p, 0, d, d + 1), 0);
          for (int k = 0; k < 3; k++) {
            peep.add(slice(pd, 0, k * hidden, (k + 1) * hidden));
          }
        }
        List<Value> operands = new ArrayList<>();
        operands.add(h);
        if (cell != null) {
          operands.add(cell);
        }
        int states = operands.size();
        operands.add(proj);
        if (lens != null) {
          operands.add(c.emit(new Iota(seq, lens.type().elementType())));
        }
        List<TensorType> argTypes = new ArrayList<>();
        for (int i = 0; i < operands.size(); i++) {
          TensorType t = operands.get(i).type();
          argTypes.add(
            i < states
              ? t
              : new TensorType(t.elementType(), new Shape(t.shape().dims().subList(1, t.rank())))
          );
        }
        Value lensCol = lens == null ? null : unsqueeze(lens, 1);
        int dir = d;
        Region body = c.region(argTypes, (inner, args) ->
          within(inner, () -> step(dir, args, states, rt, rb, peep, lensCol))
        );
        long backward = reverse && lens == null ? 1 : 0;
        List<Long> inDirs = new ArrayList<>();
        for (int i = states; i < operands.size(); i++) {
          inDirs.add(backward);
        }
        List<Value> scan = c.emitWithRegions(
          new Scan(operands.size() - states, List.of(), inDirs, List.of(), List.of(backward)),
          operands,
          List.of(body)
        );
        Value y = unsqueeze(scan.getLast(), 1);
        if (reverse && lens != null) {
          Value y3 = squeeze(y, 1);
          y = unsqueeze(c.emit(new ReverseSequence(1, 0), y3, lens), 1);
        }
        ys.add(y);
        hs.add(unsqueeze(scan.get(0), 0));
        if (cell != null) {
          cs.add(unsqueeze(scan.get(1), 0));
        }
      }
      Value y = concat(ys, 1);
      Value yh = concat(hs, 0);
      Value yc = kind == Kind.LSTM ? concat(cs, 0) : null;
      if (batchFirst) {
        y = transpose(y, 2, 0, 1, 3);
        yh = transpose(yh, 1, 0, 2);
        yc = yc == null ? null : transpose(yc, 1, 0, 2);
      }
      List<Value> out = new ArrayList<>();
      out.add(y);
      out.add(yh);
      if (kind == Kind.LSTM) {
        out.add(yc);
      }
      return new ArrayList<>(out.subList(0, Math.min(out.size(), Math.max(1, n.numOutputs()))));
    }

    Value plus(Value a, Value b) {
      return c.emit(new Add(), a, b);
    }

    /** Runs {@code body} with {@code inner} as the context every helper emits through. */
    private List<Value> within(ImportContext inner, java.util.function.Supplier<List<Value>> body) {
      ImportContext outer = c;
      c = inner;
      try {
        return body.get();
      } finally {
        c = outer;
      }
    }

    /** Gates {@code [from, to)} of a slice of the step's {@code [batch, gates*H]} values. */
    Value gates(Value v, int from, int to) {
      return slice(v, 1, from * hidden, to * hidden);
    }

    /**
     * One time step: the states and this step's input projection (and step number, with {@code
     * sequence_lens}) in, the next states and the step's output out. The recurrent product of all
     * gates is one matrix product; GRU without {@code linear_before_reset} multiplies the reset
     * hidden state by its candidate gate's weights on its own.
     */
    private List<Value> step(
      int d,
      List<Value> args,
      int states,
      Value rt,
      Value rb,
      List<Value> peep,
      Value lensCol
    ) {
      Value h = args.get(0);
      Value cell = kind == Kind.LSTM ? args.get(1) : null;
      Value xt = args.get(states);
      boolean linearBeforeReset = kind == Kind.GRU && n.getInt("linear_before_reset", 0) != 0;
      boolean inputForget = kind == Kind.LSTM && n.getInt("input_forget", 0) != 0;
      int shared = kind == Kind.GRU && !linearBeforeReset ? 2 : kind.gates;
      Value rec = c.emit(
        new MatMul(),
        h,
        shared == kind.gates ? rt : slice(rt, 1, 0, shared * hidden)
      );
      if (rb != null) {
        rec = plus(rec, shared == kind.gates ? rb : slice(rb, 0, 0, shared * hidden));
      }
      Value hNew;
      Value cNew = null;
      switch (kind) {
        case RNN -> hNew = act(d, 0, plus(xt, rec));
        case GRU -> {
          Value z = act(d, 0, plus(gates(xt, 0, 1), gates(rec, 0, 1)));
          Value rg = act(d, 0, plus(gates(xt, 1, 2), gates(rec, 1, 2)));
          Value pre;
          if (linearBeforeReset) {
            pre = c.emit(new Mul(), rg, gates(rec, 2, 3));
          } else {
            pre = c.emit(
              new MatMul(),
              c.emit(new Mul(), rg, h),
              slice(rt, 1, 2 * hidden, 3 * hidden)
            );
            if (rb != null) {
              pre = plus(pre, slice(rb, 0, 2 * hidden, 3 * hidden));
            }
          }
          Value hh = act(d, 1, plus(gates(xt, 2, 3), pre));
          Value oneMinusZ = c.emit(new Sub(), scalar(1), z);
          hNew = c.emit(new Add(), c.emit(new Mul(), oneMinusZ, hh), c.emit(new Mul(), z, h));
        }
        case LSTM -> {
          Value pre = plus(xt, rec);
          Value ip = gates(pre, 0, 1);
          if (!peep.isEmpty()) {
            ip = c.emit(new Add(), ip, c.emit(new Mul(), peep.get(0), cell));
          }
          Value i = act(d, 0, ip);
          Value f;
          if (inputForget) {
            f = c.emit(new Sub(), scalar(1), i);
          } else {
            Value fp = gates(pre, 2, 3);
            if (!peep.isEmpty()) {
              fp = c.emit(new Add(), fp, c.emit(new Mul(), peep.get(2), cell));
            }
            f = act(d, 0, fp);
          }
          Value g = act(d, 1, gates(pre, 3, 4));
          cNew = c.emit(new Add(), c.emit(new Mul(), f, cell), c.emit(new Mul(), i, g));
          Value op = gates(pre, 1, 2);
          if (!peep.isEmpty()) {
            op = c.emit(new Add(), op, c.emit(new Mul(), peep.get(1), cNew));
          }
          Value o = act(d, 0, op);
          hNew = c.emit(new Mul(), o, act(d, 2, cNew));
        }
        default -> throw new IllegalStateException();
      }
      List<Value> out = new ArrayList<>();
      if (lensCol != null) {
        Value live = c.emit(new Less(), args.get(states + 1), lensCol);
        out.add(c.emit(new Where(), live, hNew, h));
        if (cNew != null) {
          out.add(c.emit(new Where(), live, cNew, cell));
        }
        out.add(c.emit(new Where(), live, hNew, scalar(0)));
      } else {
        out.add(hNew);
        if (cNew != null) {
          out.add(cNew);
        }
        out.add(hNew);
      }
      return out;
    }
  }
}
