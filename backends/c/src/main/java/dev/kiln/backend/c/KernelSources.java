package dev.kiln.backend.c;

import dev.kiln.backend.RuntimeC;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Picks the runtime-c files a generated file needs: the {@code kernels/*.c} that define the
 * kernels it calls, every kernel file those call into (as the kernel sources, not the public
 * headers, name them), and every header they include, read from
 * {@link RuntimeC}. A kernel is defined in a file when a line there starts its non-static
 * definition ({@code void kiln_gemm_f32(}).
 */
final class KernelSources {

  private static final Pattern DEFINITION = Pattern.compile(
    "(?m)^(?!static)[A-Za-z_][A-Za-z0-9_ ]*[ *](kiln_[a-z0-9_]+)\\("
  );
  private static final Pattern CALL = Pattern.compile("\\b(kiln_[a-z0-9_]+)\\(");
  private static final Pattern INCLUDE = Pattern.compile("(?m)^#include \"([^\"]+)\"");

  private KernelSources() {}

  /**
   * The runtime-c files (path under {@code runtime-c} to bytes, in path order) that calls of
   * {@code kernels} need: their {@code kernels/*.c}, the headers those include, and {@code
   * include/kiln/runtime.h} always.
   */
  static Map<String, byte[]> forKernels(Collection<String> kernels) {
    Map<String, byte[]> all = RuntimeC.files();
    Map<String, String> definedIn = new TreeMap<>();
    for (var e : all.entrySet()) {
      if (e.getKey().startsWith("kernels/") && e.getKey().endsWith(".c")) {
        Matcher m = DEFINITION.matcher(text(e.getValue()));
        while (m.find()) {
          definedIn.put(m.group(1), e.getKey());
        }
      }
    }
    TreeSet<String> files = new TreeSet<>();
    Deque<String> work = new ArrayDeque<>();
    for (String k : kernels) {
      String file = definedIn.get(k);
      if (file == null) {
        throw new IllegalStateException("no runtime-c kernel source defines " + k);
      }
      work.add(file);
    }
    work.add("include/kiln/runtime.h");
    while (!work.isEmpty()) {
      String file = work.pop();
      if (!files.add(file)) {
        continue;
      }
      byte[] bytes = all.get(file);
      if (bytes == null) {
        throw new IllegalStateException("runtime-c has no file " + file);
      }
      String text = text(bytes);
      Matcher inc = INCLUDE.matcher(text);
      while (inc.find()) {
        String name = inc.group(1);
        String sibling = file.substring(0, file.lastIndexOf('/') + 1) + name;
        work.add(all.containsKey(sibling) ? sibling : "include/" + name);
      }
      Matcher call = CALL.matcher(file.startsWith("kernels/") ? text : "");
      while (call.find()) {
        String other = definedIn.get(call.group(1));
        if (other != null) {
          work.add(other);
        }
      }
    }
    Map<String, byte[]> out = new TreeMap<>();
    for (String f : files) {
      out.put(f, all.get(f));
    }
    return out;
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
