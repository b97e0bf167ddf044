package io.lakeops.jobs.config;

import com.typesafe.config.ConfigOrigin;

/**
 * One thing wrong with the configuration.
 *
 * @param key the configuration key (path), or empty when the problem is a whole file
 * @param where file and line, environment variable or command-line option it came from
 * @param message what is wrong and how to fix it
 */
public record ConfigProblem(String key, String where, String message) {

  @Override
  public String toString() {
    return where.isEmpty() ? message : message + " [" + where + "]";
  }

  /** A readable location: {@code /path/app.conf line 3}, or the origin's description. */
  public static String describe(ConfigOrigin origin) {
    if (origin == null) {
      return "";
    }
    if (origin.filename() != null) {
      return origin.lineNumber() > 0
          ? origin.filename() + " line " + origin.lineNumber()
          : origin.filename();
    }
    if (origin.url() != null) {
      String url = origin.url().toString();
      return origin.lineNumber() > 0 ? url + " line " + origin.lineNumber() : url;
    }
    return origin.description();
  }
}
