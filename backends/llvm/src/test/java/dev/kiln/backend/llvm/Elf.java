package dev.kiln.backend.llvm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/** Just enough of an ELF reader for tests: the machine and the symbol table of an object. */
record Elf(boolean is64, int machine, Map<String, Boolean> symbols) {
  static final int EM_ARM = 40;
  static final int EM_X86_64 = 62;
  static final int EM_AARCH64 = 183;

  /** Reads a little-endian ELF object; {@code symbols} maps each named symbol to "defined". */
  static Elf read(byte[] bytes) {
    if (
      bytes.length < 52 || bytes[0] != 0x7f || bytes[1] != 'E' || bytes[2] != 'L' || bytes[3] != 'F'
    ) {
      throw new AssertionError("not an elf file");
    }
    boolean is64 = bytes[4] == 2;
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int machine = Short.toUnsignedInt(b.getShort(18));
    long shoff = is64 ? b.getLong(0x28) : Integer.toUnsignedLong(b.getInt(0x20));
    int shentsize = Short.toUnsignedInt(b.getShort(is64 ? 0x3a : 0x2e));
    int shnum = Short.toUnsignedInt(b.getShort(is64 ? 0x3c : 0x30));
    Map<String, Boolean> symbols = new LinkedHashMap<>();
    for (int i = 0; i < shnum; i++) {
      int sh = (int) (shoff + (long) i * shentsize);
      if (b.getInt(sh + 4) != 2) {
        continue;
      }
      long offset = is64 ? b.getLong(sh + 0x18) : Integer.toUnsignedLong(b.getInt(sh + 0x10));
      long size = is64 ? b.getLong(sh + 0x20) : Integer.toUnsignedLong(b.getInt(sh + 0x14));
      int link = b.getInt(sh + (is64 ? 0x28 : 0x18));
      long entsize = is64 ? b.getLong(sh + 0x38) : Integer.toUnsignedLong(b.getInt(sh + 0x24));
      int str = (int) (shoff + (long) link * shentsize);
      long strOffset = is64 ? b.getLong(str + 0x18) : Integer.toUnsignedLong(b.getInt(str + 0x10));
      for (long s = offset + entsize; s < offset + size; s += entsize) {
        int name = b.getInt((int) s);
        int shndx = Short.toUnsignedInt(b.getShort((int) s + (is64 ? 6 : 14)));
        int start = (int) (strOffset + name);
        int end = start;
        while (bytes[end] != 0) {
          end++;
        }
        if (end > start) {
          symbols.put(
            new String(bytes, start, end - start, java.nio.charset.StandardCharsets.UTF_8),
            shndx != 0
          );
        }
      }
    }
    return new Elf(is64, machine, symbols);
  }

  boolean defines(String symbol) {
    return Boolean.TRUE.equals(symbols.get(symbol));
  }
}
