package dev.kiln.io;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Location;
import dev.kiln.ir.Printing;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * NumPy {@code .npy} files, format versions 1.0, 2.0 and 3.0, C order only.
 *
 * <p>Reading accepts the dtypes {@code f2 f4 f8 i1 u1 i2 u2 i4 u4 i8 u8 b1} little-endian ({@code
 * <}), big-endian ({@code >}), or without byte order ({@code |}, one-byte types only). The header
 * must be exactly the dictionary NumPy writes: the keys {@code descr}, {@code fortran_order} and
 * {@code shape}, each once, nothing else; {@code fortran_order: True} is refused. Headers are at
 * most 64 KiB and files under 2 GiB. Nonzero {@code b1} bytes read as true.
 *
 * <p>Writing produces version 1.0, little-endian. {@code bf16} has no NumPy dtype: it is written as
 * {@code <f4} (every bf16 value is exactly representable), so reading it back gives {@code f32}.
 */
public final class Npy {

  /** Longest header accepted. */
  public static final int MAX_HEADER = 1 << 16;

  /** Largest file accepted. */
  public static final long MAX_BYTES = Integer.MAX_VALUE - 8;

  private static final byte[] MAGIC = { (byte) 0x93, 'N', 'U', 'M', 'P', 'Y' };

  private Npy() {}

  /** The tensor stored in {@code file}. */
  public static Tensor read(Path file) {
    byte[] b;
    try {
      if (!Files.isRegularFile(file)) {
        throw bad(file, Files.exists(file) ? "not a regular file" : "no such file");
      }
      long size = Files.size(file);
      if (size > MAX_BYTES) {
        throw bad(file, "is " + size + " bytes; .npy files must be under 2 GiB");
      }
      try (InputStream in = Files.newInputStream(file)) {
        b = in.readNBytes((int) size);
      }
    } catch (NoSuchFileException e) {
      throw bad(file, "no such file");
    } catch (IOException e) {
      throw bad(file, "cannot read (" + e.getMessage() + ")");
    }
    return decode(b, file.toString());
  }

  /** Writes {@code t} to {@code file} (see {@link #encode}). */
  public static void write(Path file, Tensor t) {
    try {
      Files.write(file, encode(t));
    } catch (IOException e) {
      throw bad(file, "cannot write (" + e.getMessage() + ")");
    }
  }

  /** The tensor in the {@code .npy} bytes {@code b}; {@code name} names them in messages. */
  public static Tensor decode(byte[] b, String name) {
    if (b.length < 8 || !Arrays.equals(b, 0, 6, MAGIC, 0, 6)) {
      throw bad(name, "not a .npy file (bad magic)");
    }
    int major = b[6] & 0xff;
    int minor = b[7] & 0xff;
    if (major < 1 || major > 3 || minor != 0) {
      throw bad(name, "unsupported .npy format version " + major + "." + minor);
    }
    int start = major == 1 ? 10 : 12;
    if (b.length < start) {
      throw bad(name, "truncated header");
    }
    long headerLen = (b[8] & 0xffL) | ((b[9] & 0xffL) << 8);
    if (major > 1) {
      headerLen |= ((b[10] & 0xffL) << 16) | ((b[11] & 0xffL) << 24);
    }
    if (headerLen > MAX_HEADER) {
      throw bad(name, "header of " + headerLen + " bytes exceeds the maximum " + MAX_HEADER);
    }
    if (start + headerLen > b.length) {
      throw bad(name, "truncated header");
    }
    String header;
    try {
      header = (major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1).newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .decode(java.nio.ByteBuffer.wrap(b, start, (int) headerLen))
        .toString();
    } catch (CharacterCodingException e) {
      throw bad(name, "header is not valid UTF-8");
    }
    if (!header.endsWith("\n")) {
      throw bad(name, "header does not end with a newline");
    }
    Header h = new HeaderParser(header, name).parse();
    ElementType e = h.element;
    Shape shape = Shape.of(h.dims);
    long bytes;
    try {
      bytes = Math.multiplyExact(shape.numElements().orElseThrow(), (long) e.byteSize());
    } catch (ArithmeticException x) {
      throw bad(name, "shape " + h.dims + " has too many elements");
    }
    long data = start + headerLen;
    if (b.length - data != bytes) {
      throw bad(
        name,
        "holds " +
        (b.length - data) +
        " data bytes, shape " +
        h.dims +
        " of " +
        e +
        " needs " +
        bytes
      );
    }
    byte[] payload = Arrays.copyOfRange(b, (int) data, b.length);
    int w = e.byteSize();
    if (h.bigEndian && w > 1) {
      for (int i = 0; i < payload.length; i += w) {
        for (int j = 0; j < w / 2; j++) {
          byte t = payload[i + j];
          payload[i + j] = payload[i + w - 1 - j];
          payload[i + w - 1 - j] = t;
        }
      }
    }
    if (e == ElementType.BOOL) {
      for (int i = 0; i < payload.length; i++) {
        payload[i] = (byte) (payload[i] != 0 ? 1 : 0);
      }
    }
    return Tensor.wrap(new TensorType(e, shape), payload);
  }

  /** The bytes of a version 1.0 {@code .npy} file holding {@code t}; {@code bf16}, float8 and float4 become
   * f4, the sub-byte integers i1 or u1. */
  public static byte[] encode(Tensor t) {
    Tensor data = t;
    String descr = switch (t.elementType()) {
      case F16 -> "<f2";
      case F32, BF16 -> "<f4";
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
      case F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0, F4E2M1 -> "<f4";
      case I4, I2 -> "|i1";
      case U4, U2 -> "|u1";
    };
    if (t.elementType() == ElementType.BF16 || t.elementType().isLowPrecisionFloat()) {
      data = Tensor.ofDoubles(t.type().withElementType(ElementType.F32), t.toDoubles());
    }
    long[] sizes = t.shape().sizes();
    StringBuilder shape = new StringBuilder("(");
    for (int i = 0; i < sizes.length; i++) {
      shape.append(i == 0 ? "" : ", ").append(sizes[i]);
    }
    shape.append(sizes.length == 1 ? ",)" : ")");
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    int unpadded = 10 + dict.length() + 1;
    String header = dict + " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
    byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(MAGIC);
    out.write(1);
    out.write(0);
    out.write(h.length & 0xff);
    out.write(h.length >>> 8);
    out.writeBytes(h);
    out.writeBytes(data.bytes());
    return out.toByteArray();
  }

  private record Header(ElementType element, boolean bigEndian, List<Long> dims) {}

  /** A recursive-descent parser for the Python dictionary literal of an {@code .npy} header. */
  private static final class HeaderParser {

    private final String s;
    private final String name;
    private int pos;

    HeaderParser(String s, String name) {
      this.s = s;
      this.name = name;
    }

    Header parse() {
      Map<String, Object> values = new HashMap<>();
      skipSpace();
      expect('{');
      skipSpace();
      while (peek() != '}') {
        String key = string();
        if (!List.of("descr", "fortran_order", "shape").contains(key)) {
          throw fail("unknown key " + Printing.quote(key));
        }
        skipSpace();
        expect(':');
        skipSpace();
        Object v = switch (key) {
          case "descr" -> string();
          case "fortran_order" -> bool();
          default -> tuple();
        };
        if (values.put(key, v) != null) {
          throw fail("key " + Printing.quote(key) + " appears twice");
        }
        skipSpace();
        if (peek() == ',') {
          pos++;
          skipSpace();
        } else if (peek() != '}') {
          throw fail("expected ',' or '}' at offset " + pos);
        }
      }
      pos++;
      skipSpace();
      if (pos != s.length()) {
        throw fail("unexpected text after the dictionary at offset " + pos);
      }
      for (String k : List.of("descr", "fortran_order", "shape")) {
        if (!values.containsKey(k)) {
          throw fail("missing key " + Printing.quote(k));
        }
      }
      if ((Boolean) values.get("fortran_order")) {
        throw bad(name, "Fortran-order arrays are not supported; save with C order");
      }
      String descr = (String) values.get("descr");
      @SuppressWarnings("unchecked")
      List<Long> dims = (List<Long>) values.get("shape");
      return dtype(descr, dims);
    }

    private Header dtype(String descr, List<Long> dims) {
      if (descr.length() != 3) {
        throw bad(name, "unsupported dtype " + Printing.quote(descr));
      }
      char order = descr.charAt(0);
      ElementType e = switch (descr.substring(1)) {
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
        default -> throw bad(name, "unsupported dtype " + Printing.quote(descr));
      };
      boolean oneByte = e.byteSize() == 1;
      boolean ok = order == '<' || order == '>' || (order == '|' && oneByte);
      if (!ok) {
        throw bad(name, "unsupported byte order in dtype " + Printing.quote(descr));
      }
      return new Header(e, order == '>', dims);
    }

    private String string() {
      char q = peek();
      if (q != '\'' && q != '"') {
        throw fail("expected a quoted string at offset " + pos);
      }
      int end = s.indexOf(q, pos + 1);
      if (end < 0) {
        throw fail("unterminated string at offset " + pos);
      }
      String v = s.substring(pos + 1, end);
      if (v.indexOf('\\') >= 0) {
        throw fail("escapes in strings are not supported");
      }
      pos = end + 1;
      return v;
    }

    private Boolean bool() {
      if (s.startsWith("True", pos)) {
        pos += 4;
        return Boolean.TRUE;
      }
      if (s.startsWith("False", pos)) {
        pos += 5;
        return Boolean.FALSE;
      }
      throw fail("expected True or False at offset " + pos);
    }

    private List<Long> tuple() {
      expect('(');
      List<Long> dims = new ArrayList<>();
      skipSpace();
      boolean comma = false;
      while (peek() != ')') {
        int begin = pos;
        while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
          pos++;
        }
        if (pos == begin || pos - begin > 18) {
          throw fail("expected a dimension at offset " + begin);
        }
        if (s.charAt(begin) == '0' && pos - begin > 1) {
          throw fail("dimension with a leading zero at offset " + begin);
        }
        dims.add(Long.parseLong(s.substring(begin, pos)));
        if (dims.size() > Shape.MAX_RANK) {
          throw fail("rank exceeds the maximum " + Shape.MAX_RANK);
        }
        skipSpace();
        comma = false;
        if (peek() == ',') {
          pos++;
          comma = true;
          skipSpace();
        } else if (peek() != ')') {
          throw fail("expected ',' or ')' at offset " + pos);
        }
      }
      if (dims.size() == 1 && !comma) {
        throw fail("a one-element shape needs a trailing comma");
      }
      pos++;
      return dims;
    }

    private void skipSpace() {
      while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\n')) {
        pos++;
      }
    }

    private char peek() {
      if (pos >= s.length()) {
        throw fail("header ends early");
      }
      return s.charAt(pos);
    }

    private void expect(char c) {
      if (peek() != c) {
        throw fail("expected '" + c + "' at offset " + pos);
      }
      pos++;
    }

    private DiagnosticException fail(String message) {
      return bad(name, "malformed header: " + message);
    }
  }

  private static DiagnosticException bad(Object file, String message) {
    return DiagnosticException.error(Location.UNKNOWN, file + ": " + message);
  }
}
