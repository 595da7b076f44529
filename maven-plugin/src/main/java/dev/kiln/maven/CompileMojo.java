package dev.kiln.maven;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.inject.Inject;
import org.apache.maven.artifact.Artifact;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.model.Resource;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.descriptor.PluginDescriptor;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.apache.maven.toolchain.Toolchain;
import org.apache.maven.toolchain.ToolchainManager;

/**
 * {@code kiln:compile}: compiles each configured {@link Model} with {@code kiln compile --emit
 * so,header,java} into {@code target/kiln/NAME/}, adds that folder as a source root (the generated
 * {@code NameModel} class) and its shared object as a resource in the class's package, so that
 * {@code NameModel.load()} finds it in {@code target/classes} and in the jar.
 *
 * <p>The compiler runs in a forked JDK 25 (see {@link JavaFinder}) whose class path is this
 * plugin's own dependencies, so Maven itself may run on an older JDK.
 *
 * <p>Incremental: a model is compiled only when the SHA-256 of its file's bytes, its options, this
 * plugin's version and the Kiln jars differs from the one stored in {@code NAME/kiln.sha256} by the
 * last successful compile. Kiln's outputs depend on nothing else (no paths, times or host
 * properties beyond the target), so they are byte-identical across machines. A failed compile
 * leaves no outputs and no stamp; a model's exit status 2 (bad input) or 3 (unsupported operators)
 * fails the build with Kiln's message.
 */
@Mojo(name = "compile", defaultPhase = LifecyclePhase.GENERATE_RESOURCES, threadSafe = true)
public final class CompileMojo extends AbstractMojo {

  private static final String STAMP = "kiln.sha256";

  /** The models to compile. */
  @Parameter(required = true)
  private List<Model> models;

  /** Package of the generated classes, unless a model names its own. */
  @Parameter(defaultValue = "${project.groupId}")
  private String javaPackage;

  /** Where each model's outputs go, one folder per model. */
  @Parameter(defaultValue = "${project.build.directory}/kiln")
  private File outputDirectory;

  /** The {@code java} binary (JDK 25 or newer) to run the compiler with; found when unset. */
  @Parameter(property = "kiln.java")
  private File java;

  /** Skips compiling and adds nothing to the build. */
  @Parameter(property = "kiln.skip", defaultValue = "false")
  private boolean skip;

  @Parameter(defaultValue = "${project}", readonly = true, required = true)
  private MavenProject project;

  @Parameter(defaultValue = "${session}", readonly = true, required = true)
  private MavenSession session;

  @Parameter(defaultValue = "${plugin}", readonly = true, required = true)
  private PluginDescriptor plugin;

  @Inject
  private ToolchainManager toolchains;

  @Override
  public void execute() throws MojoExecutionException, MojoFailureException {
    if (skip) {
      getLog().info("kiln: skipped");
      return;
    }
    if (models == null || models.isEmpty()) {
      throw new MojoFailureException("kiln: no <models> configured");
    }
    List<String> kilnJars = new ArrayList<>();
    String classPath = classPath(kilnJars);
    Path javaBin = null;
    for (Model m : models) {
      if (m.file == null) {
        throw new MojoFailureException("kiln: a <model> has no <file>");
      }
      Path file = m.file.toPath();
      if (!Files.isRegularFile(file)) {
        throw new MojoFailureException("kiln: " + file + ": model file not found");
      }
      String pkg = m.javaPackage != null ? m.javaPackage : javaPackage;
      List<String> options = options(m, pkg);
      Path dir = outputDirectory.toPath().resolve(m.name != null ? m.name : stem(file));
      String hash = hash(file, options, kilnJars);
      if (hash.equals(readStamp(dir)) && sharedObject(dir) != null) {
        getLog().info("kiln: " + file.getFileName() + " is up to date (sha256 " + hash + ")");
      } else {
        if (javaBin == null) {
          javaBin = findJava();
        }
        compile(javaBin, classPath, file, options, dir);
        writeStamp(dir, hash);
      }
      register(dir, pkg);
    }
  }

  /** {@code kiln compile}'s arguments besides the model file and the output folder. */
  private static List<String> options(Model m, String pkg) {
    List<String> a = new ArrayList<>(List.of("--emit", "so,header,java"));
    if (m.name != null) {
      a.addAll(List.of("--name", m.name));
    }
    if (pkg != null && !pkg.isEmpty()) {
      a.addAll(List.of("--java-package", pkg));
    }
    for (String in : m.inputs) {
      a.addAll(List.of("--input", in.trim()));
    }
    if (m.target != null) {
      a.addAll(List.of("--target", m.target));
    }
    if (m.cpu != null) {
      a.addAll(List.of("--cpu", m.cpu));
    }
    a.add("-O" + (m.opt != null ? m.opt : 2));
    return a;
  }

  /** The forked compiler's class path: every artifact of this plugin; collects the Kiln jars. */
  private String classPath(List<String> kilnJars) throws MojoExecutionException {
    List<String> entries = new ArrayList<>();
    for (Artifact a : plugin.getArtifacts()) {
      if (a.getFile() == null) {
        throw new MojoExecutionException("kiln: plugin dependency " + a + " is not resolved");
      }
      entries.add(a.getFile().getAbsolutePath());
      if ("dev.kiln".equals(a.getGroupId())) {
        kilnJars.add(a.getFile().getAbsolutePath());
      }
    }
    kilnJars.sort(null);
    return String.join(File.pathSeparator, entries);
  }

  private Path findJava() throws MojoExecutionException {
    Toolchain tc = toolchains.getToolchainFromBuildContext("jdk", session);
    try {
      Path j = JavaFinder.find(java, tc == null ? null : tc.findTool("java"));
      getLog().debug("kiln: running the compiler with " + j);
      return j;
    } catch (JavaFinder.NoJavaException e) {
      throw new MojoExecutionException("kiln: " + e.getMessage());
    }
  }

  /** Runs {@code kiln compile} into a fresh {@code dir}; its messages go to the build log. */
  private void compile(Path javaBin, String classPath, Path model, List<String> options, Path dir)
    throws MojoExecutionException, MojoFailureException {
    getLog().info("kiln: compiling " + model.getFileName() + " into " + dir);
    deleteTree(dir);
    List<String> cmd = new ArrayList<>(
      List.of(
        javaBin.toString(),
        "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow",
        "-cp",
        classPath,
        "dev.kiln.cli.Main",
        "compile",
        model.toAbsolutePath().toString(),
        "-o",
        dir.toAbsolutePath().toString()
      )
    );
    cmd.addAll(options);
    int status;
    String output;
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getOutputStream().close();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (InputStream in = p.getInputStream()) {
        in.transferTo(out);
      }
      status = p.waitFor();
      output = out.toString(StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new MojoExecutionException("kiln: cannot run " + javaBin + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MojoExecutionException("kiln: interrupted while compiling " + model, e);
    }
    if (status == 2 || status == 3) {
      throw new MojoFailureException(output.isEmpty() ? "kiln: exit status " + status : output);
    }
    if (status != 0) {
      throw new MojoExecutionException(
        "kiln: the compiler failed (exit status " + status + ") on " + model + ":\n" + output
      );
    }
    for (String line : output.split("\n")) {
      if (!line.isBlank()) {
        getLog().info(line);
      }
    }
  }

  /** Adds {@code dir} as a source root and its shared object as a resource of package {@code pkg}. */
  private void register(Path dir, String pkg) throws MojoExecutionException {
    Path so = sharedObject(dir);
    if (so == null) {
      throw new MojoExecutionException("kiln: no shared object in " + dir);
    }
    project.addCompileSourceRoot(dir.toAbsolutePath().toString());
    Resource r = new Resource();
    r.setDirectory(dir.toAbsolutePath().toString());
    r.addInclude(so.getFileName().toString());
    if (pkg != null && !pkg.isEmpty()) {
      r.setTargetPath(pkg.replace('.', '/'));
    }
    project.addResource(r);
  }

  /** The one {@code .so} Kiln wrote into {@code dir}, or null. */
  private static Path sharedObject(Path dir) throws MojoExecutionException {
    if (!Files.isDirectory(dir)) {
      return null;
    }
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> so = files.filter(f -> f.getFileName().toString().endsWith(".so")).toList();
      return so.size() == 1 ? so.get(0) : null;
    } catch (IOException e) {
      throw new MojoExecutionException("kiln: cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * SHA-256 over the plugin's version, the Kiln jars' bytes, the options and the model's bytes;
   * no paths, so the same inputs give the same hash on every machine.
   */
  static String hash(Path model, List<String> options, List<String> kilnJars)
    throws MojoExecutionException {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      for (String jar : kilnJars) {
        d.update(digest(Path.of(jar)));
      }
      d.update(String.join("\0", options).getBytes(StandardCharsets.UTF_8));
      d.update((byte) 0);
      d.update(digest(model));
      return HexFormat.of().formatHex(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
    } catch (IOException e) {
      throw new MojoExecutionException("kiln: cannot read " + e.getMessage(), e);
    }
  }

  private static byte[] digest(Path file) throws IOException, NoSuchAlgorithmException {
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        d.update(buf, 0, n);
      }
    }
    return d.digest();
  }

  private static String readStamp(Path dir) {
    Path stamp = dir.resolve(STAMP);
    try {
      return Files.isRegularFile(stamp) ? Files.readString(stamp).strip() : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static void writeStamp(Path dir, String hash) throws MojoExecutionException {
    try {
      Files.writeString(dir.resolve(STAMP), hash + "\n");
    } catch (IOException e) {
      throw new MojoExecutionException("kiln: cannot write " + dir.resolve(STAMP), e);
    }
  }

  private static void deleteTree(Path dir) throws MojoExecutionException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
        Files.delete(p);
      }
    } catch (IOException | UncheckedIOException e) {
      throw new MojoExecutionException("kiln: cannot clear " + dir + ": " + e.getMessage(), e);
    }
  }

  private static String stem(Path file) {
    String n = file.getFileName().toString();
    int dot = n.lastIndexOf('.');
    return dot > 0 ? n.substring(0, dot) : n;
  }
}
