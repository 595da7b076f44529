package dev.kiln.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.ImportOptions;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.onnx.OnnxImporter;
import dev.kiln.onnx.proto.OnnxProto.ModelProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The demo's model is what {@link DigitsExample} builds, and it recognizes digits: the checked-in
 * {@code examples/digits.onnx} (and the Maven sample's copy under {@code tests/maven}) equals a
 * fresh training run byte for byte, classifies at least 97%
 * of 1,000 new noisy images correctly, and Kiln's interpreter agrees with the trainer's forward
 * pass. With {@code -Dkiln.regenerate=true} the file is rewritten first.
 */
class DigitsExampleTest {

  private static final Path FILE = Path.of("..", "examples", "digits.onnx");
  private static final Path SAMPLE_COPY = Path.of(
    "..",
    "tests",
    "maven",
    "digits",
    "src",
    "main",
    "kiln",
    "digits.onnx"
  );

  @Test
  void checkedInModelIsTheTrainedOne() throws Exception {
    DigitsExample.Weights w = DigitsExample.train();
    byte[] fresh = DigitsExample.model(w).toByteArray();
    if (Boolean.getBoolean("kiln.regenerate")) {
      Files.write(FILE, fresh);
    }
    assertArrayEquals(fresh, Files.readAllBytes(FILE), "regenerate with -Dkiln.regenerate=true");
    assertArrayEquals(
      fresh,
      Files.readAllBytes(SAMPLE_COPY),
      "the Maven sample's copy: cp examples/digits.onnx " + SAMPLE_COPY.subpath(1, 7)
    );

    SplittableRandom r = new SplittableRandom(7);
    int correct = 0;
    for (int n = 0; n < 1000; n++) {
      int digit = n % 10;
      double[] p = w.predict(DigitsExample.sample(digit, r));
      correct += argmax(p) == digit ? 1 : 0;
    }
    assertTrue(correct >= 970, "accuracy " + correct / 1000.0);

    ModelProto proto = ModelProto.parseFrom(fresh);
    ImportedModel m = OnnxImporter.importModel(proto, FILE, ImportOptions.defaults());
    float[] img = DigitsExample.sample(3, new SplittableRandom(1));
    double[] values = new double[img.length];
    for (int i = 0; i < img.length; i++) {
      values[i] = img[i];
    }
    Tensor x = Tensor.ofDoubles(new TensorType(ElementType.F32, Shape.of(1, 64)), values);
    double[] got = Interpreter.run(m.module().funcs().getFirst(), List.of(x))
      .getFirst()
      .toDoubles();
    double[] want = w.predict(img);
    for (int k = 0; k < want.length; k++) {
      assertEquals(want[k], got[k], 1e-5);
    }
  }

  private static int argmax(double[] p) {
    int best = 0;
    for (int k = 1; k < p.length; k++) {
      if (p[k] > p[best]) {
        best = k;
      }
    }
    return best;
  }
}
