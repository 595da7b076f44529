package dev.kiln.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** The version recorded at build time in {@code dev/kiln/kiln.properties}. */
public final class Version implements IVersionProvider {

  /** The Kiln version, for example {@code 0.1.0-SNAPSHOT}. */
  public static String get() {
    Properties p = new Properties();
    try (InputStream in = Version.class.getResourceAsStream("/dev/kiln/kiln.properties")) {
      if (in == null) {
        throw new IllegalStateException("kiln.properties is missing from the class path");
      }
      p.load(in);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read kiln.properties", e);
    }
    return p.getProperty("version");
  }

  @Override
  public String[] getVersion() {
    return new String[] { "kiln " + get(), "Java " + Runtime.version() };
  }
}
