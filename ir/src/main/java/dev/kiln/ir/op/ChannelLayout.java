package dev.kiln.ir.op;

/**
 * Trait of the layout-sensitive ops whose {@code layout} attribute says where the channel axis of
 * their input and result sits ({@link Layout}): convolution, pooling, batch normalization.
 */
public interface ChannelLayout extends LayoutAware {
  /** Where the channel axis of the input and result sits. */
  Layout layout();

  @Override
  default Kind layoutKind() {
    return Kind.SENSITIVE;
  }
}
