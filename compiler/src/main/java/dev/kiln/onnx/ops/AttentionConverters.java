package dev.kiln.onnx.ops;

import static dev.kiln.onnx.ops.ElementwiseConverters.one;
import static dev.kiln.onnx.ops.ElementwiseConverters.scalar;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Add;
import dev.kiln.ir.op.Cast;
import dev.kiln.ir.op.Concat;
import dev.kiln.ir.op.Conv;
import dev.kiln.ir.op.Div;
import dev.kiln.ir.op.Equal;
import dev.kiln.ir.op.Exp;
import dev.kiln.ir.op.Expand;
import dev.kiln.ir.op.Gather;
import dev.kiln.ir.op.Less;
import dev.kiln.ir.op.MatMul;
import dev.kiln.ir.op.Mul;
import dev.kiln.ir.op.ReduceMax;
import dev.kiln.ir.op.Reshape;
import dev.kiln.ir.op.Sigmoid;
import dev.kiln.ir.op.Slice;
import dev.kiln.ir.op.Softmax;
import dev.kiln.ir.op.Sub;
import dev.kiln.ir.op.Tanh;
import dev.kiln.ir.op.Transpose;
import dev.kiln.ir.op.Where;
import dev.kiln.onnx.ConverterRegistry;
import dev.kiln.onnx.ElementTypes;
import dev.kiln.onnx.ImportContext;
import dev.kiln.onnx.OnnxError;
import dev.kiln.onnx.OnnxGraph;
import dev.kiln.onnx.OnnxNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX's transformer building blocks, composed from core ops: {@code Attention} (scaled dot-product
 * attention with grouped heads, masks, causal and padding masks, a KV cache, softcap and the
 * optional QK output), {@code RotaryEmbedding}, {@code SwiGLU}, {@code CausalConvWithState}, {@code
 * LinearAttention} (unrolled over time) and {@code ai.onnx.preview.FlexAttention}. Every shape must be static;
 * masks that depend only on shapes become constants.
 */
public final class AttentionConverters {

  private AttentionConverters() {}

  public static void register(ConverterRegistry r) {
    r.add("Attention", 23, AttentionConverters::attention);
    r.add("RotaryEmbedding", 23, AttentionConverters::rotaryEmbedding);
    r.add("SwiGLU", 28, AttentionConverters::swiglu);
    r.add("CausalConvWithState", 27, AttentionConverters::causalConvWithState);
    r.add("LinearAttention", 27, AttentionConverters::linearAttention);
    r.add("ai.onnx.preview", "FlexAttention", 1, AttentionConverters::flexAttention);
  }

  private static long dim(Value x, int i, String what) {
    Dim d = x.type().shape().dim(i);
    OnnxError.check(d.isKnown(), "%s with dynamic shape %s is not supported", what, x.type());
    return d.size();
  }

  private static Value reshape(ImportContext c, Value x, long... shape) {
    return c.emit(new Reshape(Arrays.stream(shape).boxed().toList()), x);
  }

  private static Value transpose(ImportContext c, Value x, long... perm) {
    return c.emit(new Transpose(Arrays.stream(perm).boxed().toList()), x);
  }

  /** {@code [B, S, H * D]} viewed as {@code [B, H, S, D]}. */
  private static Value splitHeads(ImportContext c, Value x, long heads, String what) {
    long b = dim(x, 0, what);
    long s = dim(x, 1, what);
    long hidden = dim(x, 2, what);
    OnnxError.check(
      heads > 0 && hidden % heads == 0,
      "%s hidden size (%d) must be divisible by its number of heads (%d)",
      what,
      hidden,
      heads
    );
    return transpose(c, reshape(c, x, b, s, heads, hidden / heads), 0, 2, 1, 3);
  }

  private static Value constantOf(ElementType e, long[] shape, double[] values, ImportContext c) {
    return c.constant(Tensor.ofDoubles(TensorType.of(e, shape), values));
  }

  private static Value iota(ImportContext c, long n, long... shape) {
    long[] v = new long[(int) n];
    for (int i = 0; i < n; i++) {
      v[i] = i;
    }
    return c.constant(Tensor.ofLongs(TensorType.of(ElementType.I64, shape), v));
  }

  /**
   * {@code Y = softmax(softcap(Q K^T * scale) + bias) V}, per head, where query head {@code h}
   * reads key/value head {@code h / (q_num_heads / kv_num_heads)}. The bias adds {@code -inf} where
   * a boolean mask is false, a float mask as given, {@code -inf} above the causal diagonal (shifted
   * by the cache length, or per batch by {@code nonpad_kv_seqlen - q_len} without a cache) and past
   * {@code nonpad_kv_seqlen}; rows whose bias is {@code -inf} everywhere get zero probabilities.
   */
  private static List<Value> attention(OnnxNode n, ImportContext c) {
    Value q = n.input(0);
    Value k = n.input(1);
    Value v = n.input(2);
    int rank = q.type().rank();
    OnnxError.check(
      (rank == 3 || rank == 4) && k.type().rank() == rank && v.type().rank() == rank,
      "Q, K and V must all have rank 3 or all rank 4, got %d, %d and %d",
      rank,
      k.type().rank(),
      v.type().rank()
    );
    ElementType et = q.type().elementType();
    OnnxError.check(et.isFloat(), "Q must be a float tensor, got %s", et);
    long batch = dim(q, 0, "Q");
    if (rank == 3) {
      OnnxError.check(
        n.has("q_num_heads") && n.has("kv_num_heads"),
        "3-D inputs need the q_num_heads and kv_num_heads attributes"
      );
      long qh = n.getInt("q_num_heads");
      long kvh = n.getInt("kv_num_heads");
      q = splitHeads(c, q, qh, "Q");
      k = splitHeads(c, k, kvh, "K");
      v = splitHeads(c, v, kvh, "V");
    }
    long qHeads = dim(q, 1, "Q");
    long qLen = dim(q, 2, "Q");
    long headSize = dim(q, 3, "Q");
    long kvHeads = dim(k, 1, "K");
    OnnxError.check(
      dim(k, 3, "K") == headSize,
      "K head size (%d) must equal Q head size (%d)",
      dim(k, 3, "K"),
      headSize
    );
    OnnxError.check(
      dim(v, 1, "V") == kvHeads,
      "V heads (%d) must equal K heads (%d)",
      dim(v, 1, "V"),
      kvHeads
    );
    long pastLen = 0;
    if (n.hasInput(4)) {
      pastLen = dim(n.input(4), 2, "past_key");
      k = c.emit(new Concat(2), n.input(4), k);
    }
    if (n.hasInput(5)) {
      v = c.emit(new Concat(2), n.input(5), v);
    }
    Value presentKey = k;
    Value presentValue = v;
    long total = dim(k, 2, "K");
    long vHeadSize = dim(v, 3, "V");
    OnnxError.check(
      dim(v, 2, "V") == total,
      "V sequence length (%d) must equal K sequence length (%d)",
      dim(v, 2, "V"),
      total
    );
    OnnxError.check(
      qHeads % kvHeads == 0,
      "q_num_heads (%d) must be a multiple of kv_num_heads (%d)",
      qHeads,
      kvHeads
    );
    k = repeatHeads(c, k, qHeads);
    v = repeatHeads(c, v, qHeads);

    double scale = n.has("scale") ? n.getFloat("scale", 0) : 1 / Math.sqrt((float) headSize);
    Value s = scalar(c, q, Math.sqrt((float) scale));
    Value kt = c.emit(new Mul(), transpose(c, k, 0, 1, 3, 2), s);
    Value qkRaw = c.emit(new MatMul(), c.emit(new Mul(), q, s), kt);
    Value scores = qkRaw;
    double softcap = n.getFloat("softcap", 0);
    if (softcap > 0) {
      Value cap = scalar(c, q, softcap);
      scores = c.emit(new Mul(), c.emit(new Tanh(), c.emit(new Div(), scores, cap)), cap);
    }
    Value qkCapped = scores;

    Value bias = attentionBias(n, c, et, batch, qLen, total, pastLen);
    if (bias != null) {
      scores = c.emit(new Add(), scores, bias);
    }
    Value qkBiased = scores;
    if (n.has("softmax_precision")) {
      ElementType p = ElementTypes.fromOnnx((int) n.getInt("softmax_precision"));
      OnnxError.check(p.isFloat(), "softmax_precision must be a float type, got %s", p);
      if (p != et) {
        scores = c.emit(new Cast(p), scores);
      }
    }
    Value probs = c.emit(new Softmax(-1), scores);
    if (probs.type().elementType() != et) {
      probs = c.emit(new Cast(et), probs);
    }
    if (bias != null) {
      Value rowMax = c.emit(new ReduceMax(List.of((long) bias.type().rank() - 1), true), bias);
      Value allMasked = c.emit(new Equal(), rowMax, scalar(c, bias, Double.NEGATIVE_INFINITY));
      probs = c.emit(new Where(), allMasked, scalar(c, probs, 0), probs);
    }
    Value y = c.emit(new MatMul(), probs, v);
    if (rank == 3) {
      y = reshape(c, transpose(c, y, 0, 2, 1, 3), batch, qLen, qHeads * vHeadSize);
    }

    long mode = n.getInt("qk_matmul_output_mode", 0);
    Value qk = switch ((int) mode) {
      case 0 -> qkRaw;
      case 1 -> qkCapped;
      case 2 -> qkBiased;
      case 3 -> probs;
      default -> throw new OnnxError("qk_matmul_output_mode must be 0, 1, 2 or 3, got " + mode);
    };
    List<Value> out = one(y);
    out.add(presentKey);
    out.add(presentValue);
    out.add(qk);
    return out;
  }

  /** The additive bias of {@link #attention}, or null when nothing is masked. */
  private static Value attentionBias(
    OnnxNode n,
    ImportContext c,
    ElementType et,
    long batch,
    long qLen,
    long total,
    long pastLen
  ) {
    Value bias = null;
    if (n.hasInput(3)) {
      Value m = n.input(3);
      int mr = m.type().rank();
      OnnxError.check(mr >= 1, "attn_mask must have rank >= 1");
      if (m.type().elementType().isBool()) {
        m = c.emit(
          new Where(),
          m,
          c.constant(Tensor.scalar(et, 0)),
          c.constant(Tensor.scalar(et, Double.NEGATIVE_INFINITY))
        );
      } else if (m.type().elementType() != et) {
        m = c.emit(new Cast(et), m);
      }
      long len = dim(m, mr - 1, "attn_mask");
      OnnxError.check(
        len <= total,
        "attn_mask last dimension (%d) must not exceed the total sequence length (%d)",
        len,
        total
      );
      if (len < total) {
        long[] padShape = new long[mr];
        for (int i = 0; i < mr; i++) {
          padShape[i] = dim(m, i, "attn_mask");
        }
        padShape[mr - 1] = total - len;
        m = c.emit(
          new Concat(mr - 1),
          m,
          c.constant(Tensor.splat(TensorType.of(et, padShape), Double.NEGATIVE_INFINITY))
        );
      }
      bias = m;
    }
    Value nonpad = n.input(6);
    if (nonpad != null) {
      OnnxError.check(
        nonpad.type().elementType() == ElementType.I64,
        "nonpad_kv_seqlen must be int64, got %s",
        nonpad.type().elementType()
      );
      nonpad = reshape(c, nonpad, batch, 1, 1, 1);
    }
    if (n.getInt("is_causal", 0) != 0) {
      Value causal;
      if (nonpad != null && !n.hasInput(4)) {
        Value offset = c.emit(new Sub(), nonpad, c.constant(Tensor.scalar(ElementType.I64, qLen)));
        Value rows = c.emit(new Add(), iota(c, qLen, 1, 1, qLen, 1), offset);
        causal = c.emit(
          new Where(),
          c.emit(new Less(), rows, iota(c, total, 1, 1, 1, total)),
          c.constant(Tensor.scalar(et, Double.NEGATIVE_INFINITY)),
          c.constant(Tensor.scalar(et, 0))
        );
      } else {
        double[] mask = new double[Math.toIntExact(qLen * total)];
        for (int i = 0; i < qLen; i++) {
          for (int j = 0; j < total; j++) {
            mask[(int) (i * total + j)] = i + pastLen < j ? Double.NEGATIVE_INFINITY : 0;
          }
        }
        causal = constantOf(et, new long[] { qLen, total }, mask, c);
      }
      bias = bias == null ? causal : c.emit(new Add(), bias, causal);
    }
    if (nonpad != null) {
      Value padding = c.emit(
        new Where(),
        c.emit(new Less(), iota(c, total, 1, 1, 1, total), nonpad),
        c.constant(Tensor.scalar(et, 0)),
        c.constant(Tensor.scalar(et, Double.NEGATIVE_INFINITY))
      );
      bias = bias == null ? padding : c.emit(new Add(), bias, padding);
    }
    return bias;
  }

  /** {@code [B, kvH, T, D]} with each head repeated for its {@code qH / kvH} query heads. */
  private static Value repeatHeads(ImportContext c, Value x, long qHeads) {
    long batch = dim(x, 0, "K");
    long heads = dim(x, 1, "K");
    long len = dim(x, 2, "K");
    long size = dim(x, 3, "K");
    if (heads == qHeads) {
      return x;
    }
    long rep = qHeads / heads;
    Value grouped = reshape(c, x, batch, heads, 1, len, size);
    Value expanded = c.emit(new Expand(List.of(batch, heads, rep, len, size)), grouped);
    return reshape(c, expanded, batch, qHeads, len, size);
  }

  /**
   * {@code Y = prob_mod(softmax(score_mod(Q K^T * scale))) V} with grouped heads as in {@code
   * Attention}; the modifier subgraphs are inlined on the whole score and probability tensors, which
   * are computed in f32 for 16-bit inputs.
   */
  private static List<Value> flexAttention(OnnxNode n, ImportContext c) {
    Value q = n.input(0);
    Value k = n.input(1);
    Value v = n.input(2);
    OnnxError.check(
      q.type().rank() == 4 && k.type().rank() == 4 && v.type().rank() == 4,
      "Q, K and V must have rank 4, got %s, %s and %s",
      q.type(),
      k.type(),
      v.type()
    );
    ElementType et = q.type().elementType();
    OnnxError.check(et.isFloat(), "Q must be a float tensor, got %s", et);
    long qHeads = dim(q, 1, "Q");
    long kvHeads = dim(k, 1, "K");
    long headSize = dim(q, 3, "Q");
    OnnxError.check(
      kvHeads > 0 && qHeads % kvHeads == 0 && dim(v, 1, "V") == kvHeads,
      "Q heads (%d) must be a multiple of K heads (%d), and V heads (%d) must equal K heads",
      qHeads,
      kvHeads,
      dim(v, 1, "V")
    );
    k = repeatHeads(c, k, qHeads);
    v = repeatHeads(c, v, qHeads);
    double scale = n.has("scale") ? n.getFloat("scale", 0) : 1 / Math.sqrt((float) headSize);
    Value s = scalar(c, q, Math.sqrt((float) scale));
    Value kt = transpose(c, c.emit(new Mul(), k, s), 0, 1, 3, 2);
    Value scores = c.emit(new MatMul(), c.emit(new Mul(), q, s), kt);
    ElementType work = et == ElementType.F16 || et == ElementType.BF16 ? ElementType.F32 : et;
    if (work != et) {
      scores = c.emit(new Cast(work), scores);
      v = c.emit(new Cast(work), v);
    }
    if (n.getGraph("score_mod").isPresent()) {
      scores = modifier(c, n.getGraph("score_mod").get(), scores, "score_mod");
    }
    Value probs = c.emit(new Softmax(-1), scores);
    if (n.getGraph("prob_mod").isPresent()) {
      probs = modifier(c, n.getGraph("prob_mod").get(), probs, "prob_mod");
    }
    Value y = c.emit(new MatMul(), probs, v);
    return one(work == et ? y : c.emit(new Cast(et), y));
  }

  private static Value modifier(ImportContext c, OnnxGraph g, Value x, String what) {
    List<Value> out = c.inlineSubgraph(g, List.of(x));
    OnnxError.check(out.size() == 1, "%s must have one output, got %d", what, out.size());
    Value y = out.getFirst();
    OnnxError.check(
      y.type().isCompatibleWith(x.type()),
      "%s must keep the type %s, got %s",
      what,
      x.type(),
      y.type()
    );
    return y;
  }

  /**
   * The recurrence of {@code LinearAttention}, unrolled over the (static) sequence: per step {@code
   * t}, the state {@code S [B, H_kv, d_k, d_v]} decays by {@code exp(decay_t)} (gated rules), the
   * value is corrected to {@code beta_t * (v_t - S^T (erase_t * k_t))} (delta rules), {@code S +=
   * k_t v_t^T}, and query head {@code h} reads {@code scale * q_t^T S} from its KV head. Computed in
   * f32 for 16-bit inputs.
   */
  private static List<Value> linearAttention(OnnxNode n, ImportContext c) {
    Value query = n.input(0);
    Value key = n.input(1);
    Value value = n.input(2);
    for (Value x : List.of(query, key, value)) {
      OnnxError.check(
        x.type().rank() == 3,
        "query, key and value must have rank 3, got %s",
        x.type()
      );
    }
    String rule = n.getString("update_rule", "gated_delta");
    OnnxError.check(
      List.of("linear", "gated", "delta", "gated_delta").contains(rule),
      "update_rule '%s' is not one of 'linear', 'gated', 'delta', 'gated_delta'",
      rule
    );
    boolean gated = rule.startsWith("gated");
    boolean delta = rule.endsWith("delta");
    OnnxError.check(
      gated == n.hasInput(4),
      "update_rule '%s' %s the decay input",
      rule,
      gated ? "requires" : "forbids"
    );
    OnnxError.check(
      delta == n.hasInput(5),
      "update_rule '%s' %s the beta input",
      rule,
      delta ? "requires" : "forbids"
    );
    OnnxError.check(delta || !n.hasInput(6), "update_rule '%s' forbids the erase_gate input", rule);
    long qHeads = n.getInt("q_num_heads");
    long kvHeads = n.getInt("kv_num_heads");
    OnnxError.check(
      qHeads > 0 && kvHeads > 0 && qHeads % kvHeads == 0,
      "q_num_heads (%d) must be a positive multiple of kv_num_heads (%d)",
      qHeads,
      kvHeads
    );
    ElementType et = query.type().elementType();
    OnnxError.check(et.isFloat(), "query must be a float tensor, got %s", et);
    ElementType work = et == ElementType.F16 || et == ElementType.BF16 ? ElementType.F32 : et;
    long batch = dim(query, 0, "query");
    long len = dim(query, 1, "query");
    Value q = splitHeads(c, castTo(c, query, work), qHeads, "query");
    Value k = splitHeads(c, castTo(c, key, work), kvHeads, "key");
    Value v = splitHeads(c, castTo(c, value, work), kvHeads, "value");
    long dk = dim(q, 3, "query");
    long dv = dim(v, 3, "value");
    OnnxError.check(
      dim(k, 3, "key") == dk,
      "key head size (%d) must equal query head size (%d)",
      dim(k, 3, "key"),
      dk
    );
    Value decay = null;
    if (gated) {
      Value g = n.input(4);
      long last = dim(g, 2, "decay");
      OnnxError.check(
        g.type().rank() == 3 && (last == kvHeads || last == kvHeads * dk),
        "decay must be [B, T, %d] or [B, T, %d], got %s",
        kvHeads,
        kvHeads * dk,
        g.type()
      );
      decay = c.emit(new Exp(), splitHeads(c, castTo(c, g, work), kvHeads, "decay"));
    }
    Value beta = null;
    if (delta) {
      Value b = n.input(5);
      long last = dim(b, 2, "beta");
      OnnxError.check(
        b.type().rank() == 3 && (last == kvHeads || last == 1),
        "beta must be [B, T, %d] or [B, T, 1], got %s",
        kvHeads,
        b.type()
      );
      beta = splitHeads(c, castTo(c, b, work), last, "beta");
    }
    Value erase = n.hasInput(6)
      ? splitHeads(c, castTo(c, n.input(6), work), kvHeads, "erase_gate")
      : null;
    Value state;
    ElementType stateType = et;
    if (n.hasInput(3)) {
      Value past = n.input(3);
      OnnxError.check(
        past.type().isStatic() &&
        Arrays.equals(past.type().shape().sizes(), new long[] { batch, kvHeads, dk, dv }),
        "past_state must be [%d, %d, %d, %d], got %s",
        batch,
        kvHeads,
        dk,
        dv,
        past.type()
      );
      stateType = past.type().elementType();
      state = castTo(c, past, work);
    } else {
      state = c.constant(Tensor.splat(TensorType.of(work, batch, kvHeads, dk, dv), 0));
    }
    List<Value> outputs = new ArrayList<>();
    for (long t = 0; t < len; t++) {
      Slice step = new Slice(List.of(2L), List.of(t), List.of(t + 1), List.of(1L));
      Value kRow = c.emit(step, k);
      Value vRow = c.emit(step, v);
      if (decay != null) {
        Value e = c.emit(step, decay);
        state = c.emit(new Mul(), state, reshape(c, e, batch, kvHeads, dim(e, 3, "decay"), 1));
      }
      if (beta != null) {
        Value kr = erase == null ? kRow : c.emit(new Mul(), c.emit(step, erase), kRow);
        Value retrieved = c.emit(new MatMul(), kr, state);
        vRow = c.emit(new Mul(), c.emit(step, beta), c.emit(new Sub(), vRow, retrieved));
      }
      Value kCol = reshape(c, kRow, batch, kvHeads, dk, 1);
      state = c.emit(new Add(), state, c.emit(new MatMul(), kCol, vRow));
      outputs.add(c.emit(new MatMul(), c.emit(step, q), repeatHeads(c, state, qHeads)));
    }
    double scale = n.getFloat("scale", 0);
    if (scale == 0) {
      scale = 1 / Math.sqrt((float) dk);
    }
    Value o = outputs.size() == 1
      ? outputs.getFirst()
      : c.emitAll(new Concat(2), outputs).getFirst();
    o = c.emit(new Mul(), o, scalar(c, o, (float) scale));
    o = reshape(c, transpose(c, o, 0, 2, 1, 3), batch, len, qHeads * dv);
    List<Value> out = one(castTo(c, o, et));
    out.add(castTo(c, state, stateType));
    return out;
  }

  private static Value castTo(ImportContext c, Value x, ElementType e) {
    return x.type().elementType() == e ? x : c.emit(new Cast(e), x);
  }

  /**
   * Rotates pairs of the first {@code rotary_embedding_dim} features of each head by the angles
   * whose cosines and sines the caches hold: {@code (x1, x2) -> (x1 cos - x2 sin, x1 sin + x2
   * cos)}, pairing feature {@code i} with {@code i + rot/2}, or {@code 2i} with {@code 2i + 1} when
   * interleaved.
   */
  private static List<Value> rotaryEmbedding(OnnxNode n, ImportContext c) {
    Value x = n.input(0);
    Value cos = n.input(1);
    Value sin = n.input(2);
    int rank = x.type().rank();
    OnnxError.check(rank == 3 || rank == 4, "input must have rank 3 or 4, got %d", rank);
    long batch = dim(x, 0, "input");
    Value x4;
    long seq;
    if (rank == 3) {
      OnnxError.check(n.has("num_heads"), "3-D input needs the num_heads attribute");
      long heads = n.getInt("num_heads");
      seq = dim(x, 1, "input");
      long hidden = dim(x, 2, "input");
      OnnxError.check(
        heads > 0 && hidden % heads == 0,
        "hidden size (%d) must be divisible by num_heads (%d)",
        hidden,
        heads
      );
      x4 = reshape(c, x, batch, seq, heads, hidden / heads);
    } else {
      seq = dim(x, 2, "input");
      x4 = transpose(c, x, 0, 2, 1, 3);
    }
    long heads = dim(x4, 2, "input");
    long head = dim(x4, 3, "input");
    long rot = n.getInt("rotary_embedding_dim", 0);
    if (rot == 0) {
      rot = head;
    }
    OnnxError.check(
      rot > 0 && rot % 2 == 0 && rot <= head,
      "rotary_embedding_dim (%d) must be even and at most the head size (%d)",
      rot,
      head
    );
    long half = rot / 2;
    if (n.hasInput(3)) {
      cos = c.emit(new Gather(0), cos, n.input(3));
      sin = c.emit(new Gather(0), sin, n.input(3));
    }
    OnnxError.check(
      cos.type().rank() == 3 && sin.type().rank() == 3,
      "cos_cache and sin_cache must give [batch, seq, rot/2] values, got %s and %s",
      cos.type(),
      sin.type()
    );
    OnnxError.check(
      dim(cos, 2, "cos_cache") >= half && dim(sin, 2, "sin_cache") >= half,
      "cos_cache and sin_cache need at least %d values per position, got %s and %s",
      half,
      cos.type(),
      sin.type()
    );
    Slice firstHalf = new Slice(List.of(2L), List.of(0L), List.of(half), List.of(1L));
    cos = reshape(c, c.emit(firstHalf, cos), batch, seq, 1, half);
    sin = reshape(c, c.emit(firstHalf, sin), batch, seq, 1, half);
    boolean interleaved = n.getInt("interleaved", 0) != 0;
    Value x1 = c.emit(
      interleaved
        ? new Slice(List.of(3L), List.of(0L), List.of(rot), List.of(2L))
        : new Slice(List.of(3L), List.of(0L), List.of(half), List.of(1L)),
      x4
    );
    Value x2 = c.emit(
      interleaved
        ? new Slice(List.of(3L), List.of(1L), List.of(rot), List.of(2L))
        : new Slice(List.of(3L), List.of(half), List.of(rot), List.of(1L)),
      x4
    );
    Value real = c.emit(new Sub(), c.emit(new Mul(), cos, x1), c.emit(new Mul(), sin, x2));
    Value imag = c.emit(new Add(), c.emit(new Mul(), sin, x1), c.emit(new Mul(), cos, x2));
    Value rotated = interleaved
      ? reshape(
        c,
        c.emit(
          new Concat(4),
          reshape(c, real, batch, seq, heads, half, 1),
          reshape(c, imag, batch, seq, heads, half, 1)
        ),
        batch,
        seq,
        heads,
        rot
      )
      : c.emit(new Concat(3), real, imag);
    Value y = rot == head
      ? rotated
      : c.emit(
        new Concat(3),
        rotated,
        c.emit(new Slice(List.of(3L), List.of(rot), List.of(head), List.of(1L)), x4)
      );
    return one(rank == 3 ? reshape(c, y, batch, seq, heads * head) : transpose(c, y, 0, 2, 1, 3));
  }

  /** {@code y = a * sigmoid(alpha * a) * b}. */
  private static List<Value> swiglu(OnnxNode n, ImportContext c) {
    Value a = n.input(0);
    double alpha = n.getFloat("alpha", 1.0);
    Value gate = c.emit(
      new Sigmoid(),
      alpha == 1.0 ? a : c.emit(new Mul(), a, scalar(c, a, alpha))
    );
    return one(c.emit(new Mul(), c.emit(new Mul(), a, gate), n.input(1)));
  }

  /**
   * Depthwise causal convolution over {@code concat(past_state or zeros, input)} along time, with
   * an optional SiLU; {@code present_state} is the last {@code k - 1} positions of that sequence.
   */
  private static List<Value> causalConvWithState(OnnxNode n, ImportContext c) {
    Value x = n.input(0);
    Value w = n.input(1);
    OnnxError.check(
      x.type().rank() == 3 && w.type().rank() == 3,
      "input and weight must have rank 3, got %s and %s",
      x.type(),
      w.type()
    );
    ElementType et = x.type().elementType();
    long batch = dim(x, 0, "input");
    long channels = dim(x, 1, "input");
    long len = dim(x, 2, "input");
    long kernel = dim(w, 2, "weight");
    OnnxError.check(
      dim(w, 0, "weight") == channels && dim(w, 1, "weight") == 1,
      "weight shape %s must be [%d, 1, k]",
      w.type(),
      channels
    );
    OnnxError.check(kernel >= 1, "kernel size must be at least 1, got %d", kernel);
    Value padded = x;
    if (n.hasInput(3)) {
      padded = c.emit(new Concat(2), n.input(3), x);
    } else if (kernel > 1) {
      Value zeros = c.constant(Tensor.splat(TensorType.of(et, batch, channels, kernel - 1), 0));
      padded = c.emit(new Concat(2), zeros, x);
    }
    long padLen = dim(padded, 2, "past_state");
    OnnxError.check(
      padLen == len + kernel - 1,
      "past_state length (%d) must be the kernel size minus 1 (%d)",
      padLen - len,
      kernel - 1
    );
    Conv conv = new Conv(List.of(), List.of(), List.of(), channels);
    Value y = n.hasInput(2) ? c.emit(conv, padded, w, n.input(2)) : c.emit(conv, padded, w);
    String activation = n.getString("activation", "none");
    switch (activation) {
      case "none" -> {}
      case "silu", "swish" -> {
        Value f = et == ElementType.F16 || et == ElementType.BF16
          ? c.emit(new Cast(ElementType.F32), y)
          : y;
        f = c.emit(new Mul(), f, c.emit(new Sigmoid(), f));
        y = f.type().elementType() == et ? f : c.emit(new Cast(et), f);
      }
      default -> throw new OnnxError(
        "activation '" + activation + "' is not one of 'none', 'silu', 'swish'"
      );
    }
    List<Value> out = one(y);
    out.add(
      c.emit(
        new Slice(List.of(2L), List.of(padLen - kernel + 1), List.of(padLen), List.of(1L)),
        padded
      )
    );
    return out;
  }
}
