package dev.kiln.onnx.ops;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Add;
import dev.kiln.ir.op.Clip;
import dev.kiln.ir.op.Concat;
import dev.kiln.ir.op.Elu;
import dev.kiln.ir.op.HardSigmoid;
import dev.kiln.ir.op.LeakyRelu;
import dev.kiln.ir.op.Less;
import dev.kiln.ir.op.MatMul;
import dev.kiln.ir.op.Mul;
import dev.kiln.ir.op.Relu;
import dev.kiln.ir.op.ReverseSequence;
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
 * ONNX {@code RNN}, {@code GRU} and {@code LSTM}, unrolled over a sequence length known at compile
 * time into matmuls, adds and activations. Directions forward, reverse and bidirectional, biases,
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
    final ImportContext c;
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

    /** Gate {@code k} of direction {@code d} of a {@code [dirs, gates*H, K]} weight, transposed. */
    Value weight(Value w, int d, int k) {
      Value wd = squeeze(slice(w, 0, d, d + 1), 0);
      return transpose(slice(wd, 0, k * hidden, (k + 1) * hidden), 1, 0);
    }

    /** Sum of the input and recurrence biases of gate {@code k} (or {@code offset + k}). */
    Value bias(Value b, int d, int k, boolean recurrence) {
      Value bd = squeeze(slice(b, 0, d, d + 1), 0);
      long base = recurrence ? (long) kind.gates * hidden : 0;
      return slice(bd, 0, base + k * hidden, base + (k + 1) * hidden);
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
      boolean inputForget = kind == Kind.LSTM && n.getInt("input_forget", 0) != 0;
      boolean linearBeforeReset = kind == Kind.GRU && n.getInt("linear_before_reset", 0) != 0;
      List<Value> ys = new ArrayList<>();
      List<Value> hs = new ArrayList<>();
      List<Value> cs = new ArrayList<>();
      for (int d = 0; d < dirs; d++) {
        boolean reverse = direction.equals("reverse") || d == 1;
        Value xd = x;
        if (reverse && lens != null) {
          xd = c.emit(new ReverseSequence(1, 0), x, lens);
        }
        List<Value> wx = new ArrayList<>();
        List<Value> rt = new ArrayList<>();
        List<Value> wb = new ArrayList<>();
        List<Value> rb = new ArrayList<>();
        for (int k = 0; k < kind.gates; k++) {
          Value xk = c.emit(new MatMul(), xd, weight(w, d, k));
          if (b != null) {
            xk = c.emit(new Add(), xk, bias(b, d, k, false));
            rb.add(bias(b, d, k, true));
          }
          wx.add(xk);
          rt.add(weight(r, d, k));
        }
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
        Value[] outputs = new Value[seq];
        for (int step = 0; step < seq; step++) {
          int t = reverse && lens == null ? seq - 1 - step : step;
          List<Value> xt = new ArrayList<>();
          for (int k = 0; k < kind.gates; k++) {
            xt.add(squeeze(slice(wx.get(k), 0, t, t + 1), 0));
          }
          Value hNew;
          Value cNew = null;
          switch (kind) {
            case RNN -> hNew = act(d, 0, plus(xt.get(0), recur(h, rt, rb, 0)));
            case GRU -> {
              Value z = act(d, 0, plus(xt.get(0), recur(h, rt, rb, 0)));
              Value rg = act(d, 0, plus(xt.get(1), recur(h, rt, rb, 1)));
              Value pre = linearBeforeReset
                ? c.emit(new Mul(), rg, recur(h, rt, rb, 2))
                : recur(c.emit(new Mul(), rg, h), rt, rb, 2);
              Value hh = act(d, 1, plus(xt.get(2), pre));
              Value oneMinusZ = c.emit(new Sub(), scalar(1), z);
              hNew = c.emit(new Add(), c.emit(new Mul(), oneMinusZ, hh), c.emit(new Mul(), z, h));
            }
            case LSTM -> {
              Value ip = plus(xt.get(0), recur(h, rt, rb, 0));
              if (!peep.isEmpty()) {
                ip = c.emit(new Add(), ip, c.emit(new Mul(), peep.get(0), cell));
              }
              Value i = act(d, 0, ip);
              Value f;
              if (inputForget) {
                f = c.emit(new Sub(), scalar(1), i);
              } else {
                Value fp = plus(xt.get(2), recur(h, rt, rb, 2));
                if (!peep.isEmpty()) {
                  fp = c.emit(new Add(), fp, c.emit(new Mul(), peep.get(2), cell));
                }
                f = act(d, 0, fp);
              }
              Value g = act(d, 1, plus(xt.get(3), recur(h, rt, rb, 3)));
              cNew = c.emit(new Add(), c.emit(new Mul(), f, cell), c.emit(new Mul(), i, g));
              Value op = plus(xt.get(1), recur(h, rt, rb, 1));
              if (!peep.isEmpty()) {
                op = c.emit(new Add(), op, c.emit(new Mul(), peep.get(1), cNew));
              }
              Value o = act(d, 0, op);
              hNew = c.emit(new Mul(), o, act(d, 2, cNew));
            }
            default -> throw new IllegalStateException();
          }
          if (lens != null) {
            Value lensCol = unsqueeze(lens, 1);
            Value tc = c.constant(Tensor.scalar(lens.type().elementType(), t));
            Value live = c.emit(new Less(), tc, lensCol);
            outputs[t] = c.emit(new Where(), live, hNew, scalar(0));
            h = c.emit(new Where(), live, hNew, h);
            if (cNew != null) {
              cell = c.emit(new Where(), live, cNew, cell);
            }
          } else {
            outputs[t] = hNew;
            h = hNew;
            cell = cNew;
          }
        }
        List<Value> steps = new ArrayList<>();
        for (Value o : outputs) {
          steps.add(unsqueeze(unsqueeze(o, 0), 0));
        }
        Value y = concat(steps, 0);
        if (reverse && lens != null) {
          Value y3 = squeeze(y, 1);
          y = unsqueeze(c.emit(new ReverseSequence(1, 0), y3, lens), 1);
        }
        ys.add(y);
        hs.add(unsqueeze(h, 0));
        if (cell != null) {
          cs.add(unsqueeze(cell, 0));
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

    /** {@code h @ R_k^T (+ Rb_k)}. */
    Value recur(Value h, List<Value> rt, List<Value> rb, int k) {
      Value v = c.emit(new MatMul(), h, rt.get(k));
      return rb.isEmpty() ? v : c.emit(new Add(), v, rb.get(k));
    }
  }
}
