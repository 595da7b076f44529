package dev.kiln.testing;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (MNIST's format, also used by the uTensor op tests): two zero bytes, a type byte,
 * a rank byte, big-endian u32 dimensions, big-endian data. Gzipped files are unpacked.
 */
public final class Idx {

  private Idx() {}

  public static Tensor read(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    InputStream raw = new ByteArrayInputStream(bytes);
    if (bytes.length > 2 && (bytes[0] & 0xff) == 0x1f && (bytes[1] & 0xff) == 0x8b) {
      raw = new GZIPInputStream(raw);
    }
    try (DataInputStream in = new DataInputStream(raw)) {
      if (in.readUnsignedByte() != 0 || in.readUnsignedByte() != 0) {
        throw new IOException(file + ": not an IDX file");
      }
      int type = in.readUnsignedByte();
      int rank = in.readUnsignedByte();
      long[] dims = new long[rank];
      for (int i = 0; i < rank; i++) {
        dims[i] = in.readInt() & 0xffffffffL;
      }
      ElementType e = switch (type) {
        case 0x08 -> ElementType.U8;
        case 0x09 -> ElementType.I8;
        case 0x0B -> ElementType.I16;
        case 0x0C -> ElementType.I32;
        case 0x0D -> ElementType.F32;
        case 0x0E -> ElementType.F64;
        default -> throw new IOException(
          file + ": unknown IDX type 0x" + Integer.toHexString(type)
        );
      };
      TensorType t = new TensorType(e, Shape.of(dims));
      Tensor.Builder b = new Tensor.Builder(t);
      for (long i = 0; i < b.size(); i++) {
        switch (e) {
          case U8 -> b.setLong(i, in.readUnsignedByte());
          case I8 -> b.setLong(i, in.readByte());
          case I16 -> b.setLong(i, in.readShort());
          case I32 -> b.setLong(i, in.readInt());
          case F32 -> b.setDouble(i, in.readFloat());
          default -> b.setDouble(i, in.readDouble());
        }
      }
      return b.build();
    }
  }
}
