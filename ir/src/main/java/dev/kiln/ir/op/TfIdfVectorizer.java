package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.Stmt;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts the integer n-grams of each row of {@code x} ({@code [C]} or {@code [N, C]}) that occur
 * in a pool, as a float vector {@code [M]} or {@code [N, M]} with {@code M = max(ngramIndexes) +
 * 1}. N-grams of every length from {@code minGram} to {@code maxGram} are counted; an n-gram of
 * length {@code n > 1} with skip {@code s} (0 to {@code maxSkip}) takes the items at positions
 * {@code i, i + (s + 1), ..., i + (n - 1)(s + 1)}; unigrams are counted once. The pool lists the
 * n-grams level by level: {@code ngramCounts[l]} is the offset in {@code pool} where the n-grams of
 * length {@code l + 1} start, and the {@code k}-th n-gram of the pool (counting across levels) is
 * counted into column {@code ngramIndexes[k]}. Mode {@code TF} writes the count, {@code IDF} writes
 * {@code weights[k]} when the count is non-zero, {@code TFIDF} writes {@code count * weights[k]}
 * (weights default to 1). ONNX {@code TfIdfVectorizer} with {@code pool_int64s}.
 */
public record TfIdfVectorizer(
  long minGram,
  long maxGram,
  long maxSkip,
  String mode,
  List<Long> ngramCounts,
  List<Long> ngramIndexes,
  List<Long> pool,
  List<Double> weights
) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.tf_idf_vectorizer",
    List.of("x"),
    List.of("y")
  ).withDefaults(Map.of("weights", List.of()));

  public TfIdfVectorizer {
    ngramCounts = List.copyOf(ngramCounts);
    ngramIndexes = List.copyOf(ngramIndexes);
    pool = List.copyOf(pool);
    weights = List.copyOf(weights);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    OpError.check(x.rank() == 1 || x.rank() == 2, "x must have rank 1 or 2, got %s", x);
    OpError.check(x.elementType().isInteger(), "x must hold integers, got %s", x);
    OpError.check(
      1 <= minGram && minGram <= maxGram && maxSkip >= 0,
      "need 1 <= min_gram_length (%d) <= max_gram_length (%d) and max_skip_count (%d) >= 0",
      minGram,
      maxGram,
      maxSkip
    );
    OpError.check(
      mode.equals("TF") || mode.equals("IDF") || mode.equals("TFIDF"),
      "mode must be TF, IDF or TFIDF, got '%s'",
      mode
    );
    OpError.check(!ngramIndexes.isEmpty(), "ngram_indexes must not be empty");
    OpError.check(
      weights.isEmpty() || weights.size() == ngramIndexes.size(),
      "weights (%d) must match ngram_indexes (%d)",
      weights.size(),
      ngramIndexes.size()
    );
    long width = 0;
    for (long i : ngramIndexes) {
      OpError.check(i >= 0, "ngram_indexes must not be negative, got %d", i);
      width = Math.max(width, i + 1);
    }
    Dim columns = Dim.of(width);
    return List.of(
      x.rank() == 1
        ? TensorType.of(ElementType.F32, width)
        : new TensorType(ElementType.F32, new Shape(List.of(x.shape().dim(0), columns)))
    );
  }

  /** Pool n-gram to its position in the pool, for the lengths {@code minGram..maxGram}. */
  private Map<List<Long>, Integer> poolIndex() {
    Map<List<Long>, Integer> index = new HashMap<>();
    int k = 0;
    for (int level = 0; level < ngramCounts.size(); level++) {
      int n = level + 1;
      long start = ngramCounts.get(level);
      long end = level + 1 < ngramCounts.size() ? ngramCounts.get(level + 1) : pool.size();
      OpError.check(
        0 <= start && start <= end && end <= pool.size() && (end - start) % n == 0,
        "ngram_counts %s do not split a pool of %d items into n-grams",
        ngramCounts,
        pool.size()
      );
      for (long p = start; p < end; p += n, k++) {
        if (n >= minGram && n <= maxGram) {
          index.putIfAbsent(pool.subList((int) p, (int) p + n), k);
        }
      }
    }
    OpError.check(
      k == ngramIndexes.size(),
      "the pool holds %d n-grams but ngram_indexes has %d entries",
      k,
      ngramIndexes.size()
    );
    return index;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    TensorType t = inferTypes(new InferContext(List.of(x.type()), List.of())).getFirst();
    Map<List<Long>, Integer> index = poolIndex();
    long[] items = x.toLongs();
    int rows = x.type().rank() == 1 ? 1 : (int) x.type().shape().dim(0).size();
    int cols = rows == 0 ? 0 : items.length / rows;
    int width = (int) t.shape().dim(t.rank() - 1).size();
    Tensor.Builder b = new Tensor.Builder(t);
    for (int r = 0; r < rows; r++) {
      long[] counts = new long[ngramIndexes.size()];
      for (int n = (int) minGram; n <= maxGram; n++) {
        for (long skip = 0; skip <= (n == 1 ? 0 : maxSkip); skip++) {
          long stride = skip + 1;
          for (int i = 0; i + (n - 1) * stride < cols; i++) {
            List<Long> gram = new ArrayList<>(n);
            for (int j = 0; j < n; j++) {
              gram.add(items[r * cols + i + (int) (j * stride)]);
            }
            Integer k = index.get(gram);
            if (k != null) {
              counts[k]++;
            }
          }
        }
      }
      double[] row = new double[width];
      for (int k = 0; k < counts.length; k++) {
        double w = weights.isEmpty() ? 1 : weights.get(k);
        row[Math.toIntExact(ngramIndexes.get(k))] += switch (mode) {
          case "TF" -> counts[k];
          case "IDF" -> counts[k] > 0 ? w : 0;
          default -> counts[k] * w;
        };
      }
      for (int col = 0; col < width; col++) {
        b.setDouble((long) r * width + col, row[col]);
      }
    }
    return List.of(b.build());
  }

  /** The most pool n-grams {@link #lower} compares against (each is a test in the loop body). */
  static final int MAX_LOWERED_GRAMS = 1024;

  /**
   * Per row: n-gram counts in an I64 scratch buffer, one loop per n-gram length and skip whose body
   * compares the window with every pool n-gram of that length, then the row combined in F64 in
   * pool order as {@link #evaluate} does.
   */
  @Override
  public void lower(LowerContext ctx) {
    Map<List<Long>, Integer> index = poolIndex();
    if (index.size() > MAX_LOWERED_GRAMS) {
      throw new UnsupportedOperationException(
        "a pool of more than " + MAX_LOWERED_GRAMS + " n-grams is not supported"
      );
    }
    long[] xs = ctx.operandDims(0);
    boolean batched = xs.length == 2;
    long cols = xs[xs.length - 1];
    long[] ys = ctx.resultDims(0);
    long width = ys[ys.length - 1];
    int grams = ngramIndexes.size();
    Buffer counts = ctx.scratch(Scalar.I64, grams);
    Buffer row = ctx.scratch(Scalar.F64, Math.max(1, width));
    ctx.loop("r", batched ? xs[0] : 1, r -> {
      ctx.loop("g", grams, g -> ctx.emit(new Stmt.Store(counts, g, Ex.i64(0))));
      for (int n = (int) minGram; n <= maxGram; n++) {
        int len = n;
        List<Map.Entry<List<Long>, Integer>> pooled = index
          .entrySet()
          .stream()
          .filter(e -> e.getKey().size() == len)
          .sorted(Map.Entry.comparingByValue())
          .toList();
        for (long skip = 0; skip <= (n == 1 ? 0 : maxSkip) && !pooled.isEmpty(); skip++) {
          long stride = skip + 1;
          long positions = cols - (n - 1) * stride;
          if (positions > 0) {
            ctx.loop("i", positions, i -> countWindow(ctx, batched, r, i, stride, pooled, counts));
          }
        }
      }
      ctx.loop("c", width, c -> ctx.emit(new Stmt.Store(row, c, Ex.c(Scalar.F64, 0))));
      for (int k = 0; k < grams; k++) {
        Expr count = new Expr.Load(counts, Ex.i64(k));
        Expr w = Ex.c(Scalar.F64, weights.isEmpty() ? 1 : weights.get(k));
        Expr value = switch (mode) {
          case "TF" -> Ex.cast(Scalar.F64, count);
          case "IDF" -> Ex.select(Ex.gt(count, Ex.i64(0)), w, Ex.c(Scalar.F64, 0));
          default -> Ex.mul(Ex.cast(Scalar.F64, count), w);
        };
        Expr at = Ex.i64(ngramIndexes.get(k));
        ctx.emit(new Stmt.Store(row, at, Ex.add(new Expr.Load(row, at), value)));
      }
      ctx.loop("c", width, c -> {
        Expr y = Ex.cast(ctx.resultScalar(0), new Expr.Load(row, c));
        ctx.store(0, batched ? List.of(r, c) : List.of(c), y);
      });
    });
  }

  /** Counts the window of {@code pooled}'s length at position {@code i} of row {@code r}. */
  private static void countWindow(
    LowerContext ctx,
    boolean batched,
    Expr r,
    Expr i,
    long stride,
    List<Map.Entry<List<Long>, Integer>> pooled,
    Buffer counts
  ) {
    int n = pooled.getFirst().getKey().size();
    List<Expr> items = new ArrayList<>();
    for (int j = 0; j < n; j++) {
      Expr pos = Ex.add(i, Ex.i64(j * stride));
      Expr x = ctx.load(0, batched ? List.of(r, pos) : List.of(pos));
      items.add(ctx.let("x", Ex.cast(Scalar.I64, x)));
    }
    for (Map.Entry<List<Long>, Integer> gram : pooled) {
      Expr match = Ex.bool(true);
      for (int j = 0; j < n; j++) {
        Expr same = Ex.eq(items.get(j), Ex.i64(gram.getKey().get(j)));
        match = j == 0 ? same : Ex.and(match, same);
      }
      Expr at = Ex.i64(gram.getValue());
      ctx.ifThen(
        match,
        () -> ctx.emit(new Stmt.Store(counts, at, Ex.add(new Expr.Load(counts, at), Ex.i64(1)))),
        null
      );
    }
  }
}
