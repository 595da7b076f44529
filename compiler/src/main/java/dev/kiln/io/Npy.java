package dev.kiln.io;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Location;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0), C order only. Reading accepts
 * little- and big-endian numeric dtypes and {@code |b1}; writing is little-endian. {@code bf16} has
 * no NumPy dtype and is written as {@code <f4}.
 */
public final class Npy {

  private static final byte[] MAGIC = { (byte) 0x93, 'N', 'U', 'M', 'P', 'Y' };
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d+)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
  private static final int MAX_HEADER = 1 << 16;

  private Npy() {}

  public static Tensor read(Path file) {
    byte[] b;
    try {
      b = Files.readAllBytes(file);
    } catch (IOException e) {
      throw bad(file, "cannot read: " + e.getMessage());
    }
    return decode(b, file);
  }

  static Tensor decode(byte[] b, Path file) {
    if (b.length < 10 || !java.util.Arrays.equals(b, 0, 6, MAGIC, 0, 6)) {
      throw bad(file, "not a .npy file");
    }
    int major = b[6];
    int headerLen;
    int start;
    if (major == 1) {
      headerLen = (b[8] & 0xff) | ((b[9] & 0xff) << 8);
      start = 10;
    } else if (major == 2 || major == 3) {
      if (b.length < 12) {
        throw bad(file, "truncated header");
      }
      long len =
        (b[8] & 0xffL) | ((b[9] & 0xffL) << 8) | ((b[10] & 0xffL) << 16) | ((b[11] & 0xffL) << 24);
      if (len > MAX_HEADER) {
        throw bad(file, "header of " + len + " bytes is too long");
      }
      headerLen = (int) len;
      start = 12;
    } else {
      throw bad(file, "unsupported .npy version " + major);
    }
    if (start + headerLen > b.length) {
      throw bad(file, "truncated header");
    }
    String header = new String(
      b,
      start,
      headerLen,
      major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1
    );
    Matcher d = DESCR.matcher(header);
    Matcher f = FORTRAN.matcher(header);
    Matcher s = SHAPE.matcher(header);
    if (!d.find() || !f.find() || !s.find()) {
      throw bad(file, "header lacks descr, fortran_order or shape: " + header.strip());
    }
    if (f.group(1).equals("True")) {
      throw bad(file, "Fortran-order arrays are not supported");
    }
    boolean bigEndian = d.group(1).equals(">");
    ElementType e = dtype(d.group(2), Integer.parseInt(d.group(3)), file);
    List<Long> dims = new ArrayList<>();
    for (String part : s.group(1).split(",")) {
      String p = part.strip();
      if (p.isEmpty()) {
        continue;
      }
      try {
        long v = Long.parseLong(p);
        if (v < 0) {
          throw new NumberFormatException();
        }
        dims.add(v);
      } catch (NumberFormatException x) {
        throw bad(file, "bad dimension '" + p + "'");
      }
    }
    if (dims.size() > Shape.MAX_RANK) {
      throw bad(file, "rank " + dims.size() + " exceeds " + Shape.MAX_RANK);
    }
    Shape shape = Shape.of(dims);
    long bytes;
    try {
      bytes = Math.multiplyExact(shape.numElements().orElseThrow(), (long) e.byteSize());
    } catch (ArithmeticException x) {
      throw bad(file, "shape " + dims + " overflows");
    }
    int data = start + headerLen;
    if (b.length - data != bytes) {
      throw bad(
        file,
        "holds " + (b.length - data) + " data bytes, shape " + dims + " of " + e + " needs " + bytes
      );
    }
    byte[] payload = java.util.Arrays.copyOfRange(b, data, b.length);
    int w = e.byteSize();
    if (bigEndian && w > 1) {
      for (int i = 0; i < payload.length; i += w) {
        for (int j = 0; j < w / 2; j++) {
          byte t = payload[i + j];
          payload[i + j] = payload[i + w - 1 - j];
          payload[i + w - 1 - j] = t;
        }
      }
    }
    return Tensor.wrap(new TensorType(e, shape), payload);
  }

  private static ElementType dtype(String kind, int size, Path file) {
    ElementType e = switch (kind + size) {
      case "f2" -> ElementType.F16;
      case "f4" -> ElementType.F32;
      case "f8" -> ElementType.F64;
      case "i1" -> ElementType.I8;
      case "u1" -> ElementType.U8;
      case "i2" -> ElementType.I16;
      case "u2" -> ElementType.U16;
      case "i4" -> ElementType.I32;
      case "u4" -> ElementType.U32;
      case "i8" -> ElementType.I64;
      case "u8" -> ElementType.U64;
      case "b1" -> ElementType.BOOL;
      default -> null;
    };
    if (e == null) {
      throw bad(file, "unsupported dtype " + kind + size);
    }
    return e;
  }

  /** The bytes of a version 1.0 {@code .npy} file holding {@code t}. */
  public static byte[] encode(Tensor t) {
    Tensor data = t;
    String descr = switch (t.elementType()) {
      case F16 -> "<f2";
      case F32 -> "<f4";
      case BF16 -> "<f4";
      case F64 -> "<f8";
      case I8 -> "|i1";
      case U8 -> "|u1";
      case I16 -> "<i2";
      case U16 -> "<u2";
      case I32 -> "<i4";
      case U32 -> "<u4";
      case I64 -> "<i8";
      case U64 -> "<u8";
      case BOOL -> "|b1";
    };
    if (t.elementType() == ElementType.BF16) {
      data = Tensor.ofDoubles(t.type().withElementType(ElementType.F32), t.toDoubles());
    }
    StringBuilder shape = new StringBuilder("(");
    long[] sizes = t.shape().sizes();
    for (int i = 0; i < sizes.length; i++) {
      shape
        .append(sizes[i])
        .append(i == 0 && sizes.length == 1 ? "," : i < sizes.length - 1 ? ", " : "");
    }
    shape.append(')');
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    int total = 10 + dict.length() + 1;
    int pad = (64 - (total % 64)) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(MAGIC);
    out.write(1);
    out.write(0);
    out.write(header.length() & 0xff);
    out.write(header.length() >>> 8);
    out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(data.bytes());
    return out.toByteArray();
  }

  private static DiagnosticException bad(Path file, String message) {
    return DiagnosticException.error(Location.UNKNOWN, file + ": " + message);
  }
}
