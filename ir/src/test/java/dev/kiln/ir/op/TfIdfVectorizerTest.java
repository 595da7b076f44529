package dev.kiln.ir.op;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.List;
import org.junit.jupiter.api.Test;

class TfIdfVectorizerTest {

  /** Unigrams 2, 3 then bigrams (5, 6), (6, 7) into columns 0..3. */
  static TfIdfVectorizer vectorizer(long minGram, long maxSkip, String mode, List<Double> w) {
    return new TfIdfVectorizer(
      minGram,
      2,
      maxSkip,
      mode,
      List.of(0L, 2L),
      List.of(0L, 1L, 2L, 3L),
      List.of(2L, 3L, 5L, 6L, 6L, 7L),
      w
    );
  }

  static double[] run(TfIdfVectorizer v, long... items) {
    Tensor x = Tensor.ofLongs(TensorType.of(ElementType.I64, items.length), items);
    return v.evaluate(null, List.of(x)).getFirst().toDoubles();
  }

  @Test
  void unigrams_and_adjacent_bigrams_are_counted() {
    assertArrayEquals(
      new double[] { 2, 1, 1, 1 },
      run(vectorizer(1, 0, "TF", List.of()), 2, 5, 6, 7, 2, 3),
      0
    );
  }

  @Test
  void skips_reach_bigrams_whose_items_are_apart() {
    assertArrayEquals(
      new double[] { 0, 0, 1, 1 },
      run(vectorizer(2, 1, "TF", List.of()), 5, 9, 6, 9, 7),
      0
    );
  }

  @Test
  void idf_and_tfidf_weight_the_counts() {
    List<Double> w = List.of(0.5, 1.0, 2.0, 4.0);
    assertArrayEquals(
      new double[] { 0.5, 0, 2, 0 },
      run(vectorizer(1, 0, "IDF", w), 2, 2, 5, 6),
      0
    );
    assertArrayEquals(
      new double[] { 1, 0, 2, 0 },
      run(vectorizer(1, 0, "TFIDF", w), 2, 2, 5, 6),
      0
    );
  }

  @Test
  void batch_rows_are_counted_separately() {
    Tensor x = Tensor.ofLongs(TensorType.of(ElementType.I32, 2, 2), 2, 3, 6, 7);
    Tensor y = vectorizer(1, 0, "TF", List.of()).evaluate(null, List.of(x)).getFirst();
    assertEquals(TensorType.of(ElementType.F32, 2, 4), y.type());
    assertArrayEquals(new double[] { 1, 1, 0, 0, 0, 0, 0, 1 }, y.toDoubles(), 0);
  }

  @Test
  void a_pool_that_does_not_split_into_ngrams_is_an_error() {
    TfIdfVectorizer bad = new TfIdfVectorizer(
      1,
      2,
      0,
      "TF",
      List.of(0L, 1L),
      List.of(0L, 1L),
      List.of(2L, 5L, 6L, 7L),
      List.of()
    );
    assertThrows(OpError.class, () -> run(bad, 2, 5));
  }
}
