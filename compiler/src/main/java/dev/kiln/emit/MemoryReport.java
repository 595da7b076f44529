package dev.kiln.emit;

import dev.kiln.backend.Artifacts;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import dev.kiln.ir.loop.LoopFunc;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a model compiled for a microcontroller occupies: the object's allocated ELF sections by
 * kind ({@code .text}: executable; {@code .rodata}: read-only data, which is the weights (packed
 * as the kernels read them) with a few constant tables and the unwind tables; {@code .data}: initialized writable data; {@code .bss}: zeroed writable data),
 * the workspace the caller provides ({@code NAME_WORKSPACE_SIZE}) and a stack estimate. Flash
 * holds {@code .text + .rodata + .data}, RAM {@code .data + .bss + workspace + stack}.
 *
 * <p>The stack estimate is the deepest call chain from the run functions through the object's own
 * functions: each function's frame is what its ARM unwind directives in the assembly save and
 * reserve ({@code .save} registers at 4 bytes, {@code .vsave} at 8, {@code .pad}), a direct call
 * ({@code bl}, {@code b}) adds its callee's chain, and an indirect call ({@code blx rN}: a thread
 * pool's task, an accelerator hook) may reach any function of the object whose address is taken.
 * Calls into the C library (libm) and into the caller's pool or accelerator are not counted.
 */
public record MemoryReport(
  long text,
  long rodata,
  long data,
  long bss,
  long workspace,
  long stack
) {
  private static final int SHF_WRITE = 1;
  private static final int SHF_ALLOC = 2;
  private static final int SHF_EXECINSTR = 4;
  private static final int SHT_NOBITS = 8;

  private static final Pattern TYPE = Pattern.compile("^\\s*\\.type\\s+([\\w.$]+),\\s*%function");
  private static final Pattern SAVE = Pattern.compile("^\\s*\\.(v?save)\\s+\\{([^}]*)\\}");
  private static final Pattern PAD = Pattern.compile("^\\s*\\.pad\\s+#(-?\\d+)");
  private static final Pattern CALL = Pattern.compile(
    "^\\s*(bl|blx|b|b\\.w)(?:\\s+|\\s*$)([\\w.$]+)?"
  );
  private static final Pattern WORD = Pattern.compile("[A-Za-z_.$][\\w.$]*");

  /** Bytes that must fit in flash. */
  public long flash() {
    return text + rodata + data;
  }

  /** Bytes that must fit in RAM (with one thread). */
  public long ram() {
    return data + bss + workspace + stack;
  }

  /**
   * The report of {@code f} compiled as {@code prefix} into {@code code}, which holds the 32-bit
   * little-endian ELF object and the assembly of the same code (for the stack estimate).
   */
  public static MemoryReport of(LoopFunc f, String prefix, Artifacts code) {
    long[] sections = sections(code.get(Artifacts.Kind.OBJECT));
    String assembly = new String(code.get(Artifacts.Kind.ASSEMBLY), StandardCharsets.UTF_8);
    return new MemoryReport(
      sections[0],
      sections[1],
      sections[2],
      sections[3],
      f.workspaceBytes(),
      stack(assembly, List.of(prefix + "_run", prefix + "_run_parallel", prefix + "_run_ctx"))
    );
  }

  /** Bytes of executable, read-only, initialized writable and zeroed sections of {@code elf}. */
  static long[] sections(byte[] elf) {
    ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
    if (elf.length < 52 || b.getInt(0) != 0x464c457f || elf[4] != 1 || elf[5] != 1) {
      throw new IllegalStateException("not a 32-bit little-endian ELF object");
    }
    int shoff = b.getInt(0x20);
    int shentsize = Short.toUnsignedInt(b.getShort(0x2e));
    int shnum = Short.toUnsignedInt(b.getShort(0x30));
    long[] out = new long[4];
    for (int i = 0; i < shnum; i++) {
      int h = shoff + i * shentsize;
      int type = b.getInt(h + 4);
      int flags = b.getInt(h + 8);
      long size = Integer.toUnsignedLong(b.getInt(h + 20));
      if ((flags & SHF_ALLOC) == 0) {
        continue;
      }
      if ((flags & SHF_EXECINSTR) != 0) {
        out[0] += size;
      } else if ((flags & SHF_WRITE) == 0) {
        out[1] += size;
      } else if (type == SHT_NOBITS) {
        out[3] += size;
      } else {
        out[2] += size;
      }
    }
    return out;
  }

  private record Function(long frame, Set<String> calls, boolean indirect) {}

  /** The deepest call chain from {@code roots} in {@code assembly} (see the class comment). */
  static long stack(String assembly, List<String> roots) {
    Map<String, Function> functions = new LinkedHashMap<>();
    Set<String> named = new HashSet<>();
    List<String> lines = assembly.lines().toList();
    for (String l : lines) {
      Matcher t = TYPE.matcher(l);
      if (t.find()) {
        named.add(t.group(1));
      }
    }
    Set<String> addressTaken = new HashSet<>();
    String current = null;
    long frame = 0;
    Set<String> calls = new HashSet<>();
    boolean indirect = false;
    for (String line : lines) {
      String l = line.strip();
      if (l.endsWith(":") && named.contains(l.substring(0, l.length() - 1))) {
        if (current != null) {
          functions.put(current, new Function(frame, calls, indirect));
        }
        current = l.substring(0, l.length() - 1);
        frame = 0;
        calls = new HashSet<>();
        indirect = false;
        continue;
      }
      if (l.startsWith(".type") || l.startsWith(".size") || l.startsWith(".globl")) {
        continue;
      }
      Matcher save = SAVE.matcher(l);
      Matcher pad = PAD.matcher(l);
      Matcher call = CALL.matcher(l);
      if (save.find()) {
        int regs = registers(save.group(2));
        frame += (save.group(1).equals("vsave") ? 8L : 4L) * regs;
      } else if (pad.find()) {
        frame += Long.parseLong(pad.group(1));
      } else if (call.find() && call.group(2) != null && named.contains(call.group(2))) {
        calls.add(call.group(2));
      } else if (call.find(0) && call.group(1).equals("blx")) {
        indirect = true;
      } else {
        Matcher w = WORD.matcher(l);
        while (w.find()) {
          if (named.contains(w.group())) {
            addressTaken.add(w.group());
          }
        }
      }
    }
    if (current != null) {
      functions.put(current, new Function(frame, calls, indirect));
    }
    Map<String, Long> depth = new HashMap<>();
    long max = 0;
    for (String root : roots) {
      if (functions.containsKey(root)) {
        max = Math.max(max, depth(root, functions, addressTaken, depth, new HashSet<>()));
      }
    }
    return max;
  }

  private static long depth(
    String f,
    Map<String, Function> functions,
    Set<String> addressTaken,
    Map<String, Long> memo,
    Set<String> onPath
  ) {
    Long known = memo.get(f);
    if (known != null) {
      return known;
    }
    Function fn = functions.get(f);
    if (fn == null) {
      return 0;
    }
    if (!onPath.add(f)) {
      throw new IllegalStateException("generated code for a microcontroller recurses through " + f);
    }
    Set<String> callees = new HashSet<>(fn.calls());
    if (fn.indirect()) {
      callees.addAll(addressTaken);
    }
    long deepest = 0;
    for (String c : callees) {
      deepest = Math.max(deepest, depth(c, functions, addressTaken, memo, onPath));
    }
    onPath.remove(f);
    long d = fn.frame() + deepest;
    memo.put(f, d);
    return d;
  }

  /** How many registers a {@code .save}/{@code .vsave} list names ({@code r4, r5} or {@code d8-d15}). */
  private static int registers(String list) {
    int n = 0;
    for (String r : list.split(",")) {
      String s = r.strip();
      int dash = s.indexOf('-');
      if (dash > 0) {
        n += Integer.parseInt(s.substring(dash + 2)) - Integer.parseInt(s.substring(1, dash)) + 1;
      } else if (!s.isEmpty()) {
        n++;
      }
    }
    return n;
  }

  /** One line: flash and RAM with their parts. */
  public String describe() {
    return String.format(
      Locale.ROOT,
      "flash %s (.text %d, .rodata %d (weights), .data %d); RAM %s (.data %d, .bss %d," +
      " workspace %d, stack ~%d without libm)",
      bytes(flash()),
      text,
      rodata,
      data,
      bytes(ram()),
      data,
      bss,
      workspace,
      stack
    );
  }

  /** The report as JSON members. */
  public Map<String, Long> properties() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("flash", flash());
    m.put("ram", ram());
    m.put("text", text);
    m.put("rodata", rodata);
    m.put("data", data);
    m.put("bss", bss);
    m.put("workspace", workspace);
    m.put("stack", stack);
    return m;
  }

  /**
   * Throws a one-line diagnostic when flash or RAM exceeds its limit (null: no limit), saying by
   * how much.
   */
  public void check(Long flashLimit, Long ramLimit) {
    List<String> over = new ArrayList<>();
    if (flashLimit != null && flash() > flashLimit) {
      over.add(exceeds("flash", flash(), "--flash-limit", flashLimit));
    }
    if (ramLimit != null && ram() > ramLimit) {
      over.add(exceeds("RAM", ram(), "--ram-limit", ramLimit));
    }
    if (!over.isEmpty()) {
      throw DiagnosticException.error(Location.UNKNOWN, String.join("; ", over));
    }
  }

  private static String exceeds(String what, long used, String flag, long limit) {
    return String.format(
      Locale.ROOT,
      "%s %d bytes exceeds %s %d by %d bytes",
      what,
      used,
      flag,
      limit,
      used - limit
    );
  }

  private static String bytes(long n) {
    return n < 10 * 1024 ? n + " B" : String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
  }

  /**
   * A size given on the command line: bytes, or a number with {@code K}/{@code KiB} or {@code
   * M}/{@code MiB} (1024-based); null for a malformed size.
   */
  public static Long parseSize(String text) {
    Matcher m = Pattern.compile("(\\d{1,12})\\s*([KkMm](?:i?B)?)?").matcher(text.strip());
    if (!m.matches()) {
      return null;
    }
    long n = Long.parseLong(m.group(1));
    if (m.group(2) != null) {
      n *= Character.toUpperCase(m.group(2).charAt(0)) == 'K' ? 1024L : 1024L * 1024;
    }
    return n;
  }
}
