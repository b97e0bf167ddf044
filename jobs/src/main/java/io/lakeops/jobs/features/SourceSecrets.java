package io.lakeops.jobs.features;

import io.lakeops.features.definition.FeatureGroup;
import io.lakeops.jobs.JobFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Secrets of a source that come from a file ({@code source.jdbc.password-file}): the definition
 * keeps only a reference to the file, in place of an environment variable name, and the file is
 * read here, when the ingest starts, into the environment the source reader sees. Its content is
 * never logged, stored or put in a message.
 */
final class SourceSecrets {

  /** Marks a password "variable" that is a file; no environment variable name contains ':'. */
  private static final String FILE = "LAKEOPS_PASSWORD_FILE:";

  private SourceSecrets() {}

  static String fileReference(Path file) {
    return FILE + file;
  }

  /** {@code env} plus the content of the group's password file, if it has one. */
  static Map<String, String> environment(FeatureGroup group, Map<String, String> env) {
    var reference = group.source().jdbcPasswordEnv().filter(name -> name.startsWith(FILE));
    if (reference.isEmpty()) {
      return env;
    }
    Path file = Path.of(reference.get().substring(FILE.length()));
    String secret;
    try {
      secret = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      throw JobFailure.usage("Cannot read the JDBC password file " + file + " of group "
          + group.name() + " (" + e.getClass().getSimpleName() + "). Make it readable by this "
          + "user or fix 'source.jdbc.password-file' in " + group.definitionFile() + ".");
    }
    Map<String, String> withSecret = new HashMap<>(env);
    // One trailing line break is the file's, not the password's.
    withSecret.put(reference.get(), secret.replaceFirst("\r?\n$", ""));
    return withSecret;
  }
}
