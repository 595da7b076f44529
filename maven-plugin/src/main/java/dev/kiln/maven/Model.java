package dev.kiln.maven;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * One {@code <model>} of the plugin's configuration: what {@code kiln compile} gets for it.
 *
 * <pre>{@code
 * <model>
 *   <file>src/main/kiln/digits.onnx</file>   <!-- required -->
 *   <name>digits</name>                      <!-- default: the file name's stem -->
 *   <javaPackage>com.example</javaPackage>   <!-- default: the plugin's javaPackage -->
 *   <inputs><input>x=1x64</input></inputs>   <!-- --input NAME=DIMS[:type] -->
 *   <target>aarch64-linux-gnu</target>       <!-- default: the host -->
 *   <cpu>cortex-a72</cpu>                    <!-- default: the target's baseline -->
 *   <opt>2</opt>                             <!-- -O level, default 2 -->
 * </model>
 * }</pre>
 */
public class Model {

  /** The model file (ONNX or a TensorFlow frozen graph). */
  File file;

  /** Prefix of the files and C symbols, and of the class name ({@code digits}: DigitsModel). */
  String name;

  /** Package of the generated class; overrides the plugin's {@code javaPackage}. */
  String javaPackage;

  /** Input shapes to bind, each {@code NAME=DIMS[:type]}. */
  List<String> inputs = new ArrayList<>();

  /** Target triple; the packaged shared object only loads on a matching host. */
  String target;

  /** Target CPU. */
  String cpu;

  /** Optimization level, 0 to 3. */
  Integer opt;

  /** The configured file. */
  public File getFile() {
    return file;
  }
}
