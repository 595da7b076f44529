package dev.kiln.ir;

/**
 * The type of every Graph IR value: an element type and a shape. Text form {@code
 * tensor<1x3x224x224xf32>}, {@code tensor<f32>} for a scalar, {@code tensor<"batch"x?xi64>} with a
 * named and an unknown dimension.
 */
public record TensorType(ElementType elementType, Shape shape) {
  public static TensorType of(ElementType e, long... sizes) {
    return new TensorType(e, Shape.of(sizes));
  }

  public int rank() {
    return shape.rank();
  }

  public boolean isStatic() {
    return shape.isStatic();
  }

  public TensorType withShape(Shape s) {
    return new TensorType(elementType, s);
  }

  public TensorType withElementType(ElementType e) {
    return new TensorType(e, shape);
  }

  /**
   * True when a value of type {@code other} may stand where this type is expected: same element
   * type and rank, and every dimension either equal or unknown/symbolic on one side.
   */
  public boolean isCompatibleWith(TensorType other) {
    if (elementType != other.elementType || rank() != other.rank()) {
      return false;
    }
    for (int i = 0; i < rank(); i++) {
      Dim a = shape.dim(i);
      Dim b = other.shape.dim(i);
      if (a.isKnown() && b.isKnown() && a.size() != b.size()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return "tensor<" + shape + elementType.textName() + ">";
  }
}
