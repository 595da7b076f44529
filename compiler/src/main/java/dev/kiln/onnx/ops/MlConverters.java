package dev.kiln.onnx.ops;

import static dev.kiln.onnx.ops.ElementwiseConverters.one;
import static dev.kiln.onnx.ops.ElementwiseConverters.scalar;

import dev.kiln.ir.Value;
import dev.kiln.ir.op.Cast;
import dev.kiln.ir.op.Gather;
import dev.kiln.ir.op.Greater;
import dev.kiln.ir.op.Reshape;
import dev.kiln.ir.op.TfIdfVectorizer;
import dev.kiln.onnx.ConverterRegistry;
import dev.kiln.onnx.ImportContext;
import dev.kiln.onnx.OnnxError;
import dev.kiln.onnx.OnnxNode;
import java.util.List;

/**
 * The tensor operators of the {@code ai.onnx.ml} domain that are plain tensor arithmetic: {@code
 * Binarizer} ({@code x > threshold ? 1 : 0} in the type of {@code x}) and {@code
 * ArrayFeatureExtractor} (a gather on the last axis; a 1-D input gives shape {@code [1, k]}), and
 * the default domain's {@code TfIdfVectorizer} over integer pools.
 */
public final class MlConverters {

  /** The ONNX domain of the classic machine-learning operators. */
  public static final String DOMAIN = "ai.onnx.ml";

  private MlConverters() {}

  public static void register(ConverterRegistry r) {
    r.add(DOMAIN, "Binarizer", 1, (n, c) -> {
      Value x = n.input(0);
      Value above = c.emit(new Greater(), x, scalar(c, x, n.getFloat("threshold", 0)));
      return one(c.emit(new Cast(x.type().elementType()), above));
    });
    r.add(DOMAIN, "ArrayFeatureExtractor", 1, MlConverters::arrayFeatureExtractor);
    r.add("TfIdfVectorizer", 9, MlConverters::tfIdfVectorizer);
  }

  private static List<Value> arrayFeatureExtractor(OnnxNode n, ImportContext c) {
    Value x = n.input(0);
    Value indices = n.input(1);
    OnnxError.check(
      indices.type().shape().numElements().isPresent(),
      "the indices need a static shape, got %s",
      indices.type()
    );
    long k = indices.type().shape().numElements().get();
    if (x.type().rank() == 1) {
      x = c.emit(new Reshape(List.of(1L, -1L)), x);
    }
    Value flat = c.emit(new Reshape(List.of(k)), indices);
    return one(c.emit(new Gather(x.type().rank() - 1), x, flat));
  }

  private static List<Value> tfIdfVectorizer(OnnxNode n, ImportContext c) {
    OnnxError.check(
      !n.has("pool_strings"),
      "string pools are not supported (Kiln has no string tensors)"
    );
    return one(
      c.emit(
        new TfIdfVectorizer(
          n.getInt("min_gram_length"),
          n.getInt("max_gram_length"),
          n.getInt("max_skip_count"),
          n.getString("mode", ""),
          n.getInts("ngram_counts", List.of()),
          n.getInts("ngram_indexes", List.of()),
          n.getInts("pool_int64s", List.of()),
          n.getFloats("weights", List.of())
        ),
        n.input(0)
      )
    );
  }
}
