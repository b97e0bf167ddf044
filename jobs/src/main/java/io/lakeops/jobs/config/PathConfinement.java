package io.lakeops.jobs.config;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code lakeops.lakehouse.allowed-root}: when set, every data location taken from configuration
 * (the lakehouse folders, feature group source paths) must lie under it. Local paths are compared
 * as the operating system would open them: {@code ..} and symbolic links of the part that exists
 * are resolved first, so neither {@code ../} nor a link pointing outside escapes. URIs of other
 * file systems (hdfs:, s3a:) are compared on their normalised scheme, authority and path.
 */
public final class PathConfinement {

  public static final String KEY = "lakeops.lakehouse.allowed-root";

  private final String root;

  private PathConfinement(String root) {
    this.root = root;
  }

  /** The confinement the configuration asks for; empty when {@value #KEY} is not set (null). */
  public static Optional<PathConfinement> from(com.typesafe.config.Config config, Path workingDir) {
    if (!config.hasPath(KEY)) {
      return Optional.empty();
    }
    String value;
    try {
      value = config.getString(KEY);
    } catch (com.typesafe.config.ConfigException.WrongType e) {
      throw new InvalidConfigException(java.util.List.of(new ConfigProblem(KEY,
          ConfigProblem.describe(config.getValue(KEY).origin()), "Wrong type for '" + KEY
              + "': expected a string (a path or URI) or null.")));
    }
    if (value.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(new PathConfinement(canonical(LakeOpsSettings.location(value, workingDir))));
  }

  /** The allowed root, resolved (absolute, links followed where it exists). */
  public String root() {
    return root;
  }

  /**
   * Empty when {@code location} (absolute path or URI) lies under the root; otherwise what it
   * resolves to, for the message.
   */
  public Optional<String> escape(String location) {
    String resolved = canonical(location);
    return isUnder(resolved, root) ? Optional.empty() : Optional.of(resolved);
  }

  /** "Cannot use ... for 'key': ... outside ..." in the project's message shape. */
  public String message(String key, String value, String resolved) {
    return "Cannot use \"" + value + "\" for '" + key + "': it resolves to " + resolved
        + ", outside " + KEY + " (" + root + "). Use a location under " + root
        + ", or change " + KEY + ".";
  }

  private static boolean isUnder(String candidate, String root) {
    if (isLocal(candidate) != isLocal(root)) {
      return false;
    }
    if (isLocal(candidate)) {
      return Path.of(candidate).startsWith(Path.of(root));
    }
    URI c = URI.create(candidate);
    URI r = URI.create(root);
    String rootPath = r.getPath() == null ? "/" : r.getPath();
    String path = c.getPath() == null ? "/" : c.getPath();
    return java.util.Objects.equals(c.getScheme(), r.getScheme())
        && java.util.Objects.equals(c.getAuthority(), r.getAuthority())
        && (path.equals(rootPath) || path.startsWith(rootPath.endsWith("/") ? rootPath : rootPath + "/"));
  }

  private static boolean isLocal(String location) {
    return !location.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*");
  }

  /**
   * A local path (file: URIs included) with {@code ..} and links resolved as the OS would: the
   * longest prefix that exists is resolved by the file system, the rest lexically. Other URIs are
   * normalised.
   */
  static String canonical(String location) {
    Path path;
    if (location.startsWith("file:")) {
      path = Path.of(URI.create(location.replace(" ", "%20")));
    } else if (!isLocal(location)) {
      return URI.create(location).normalize().toString();
    } else {
      path = Path.of(location);
    }
    path = path.toAbsolutePath();
    Path existing = path;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return path.normalize().toString();
    }
    try {
      Path real = existing.toRealPath();
      return real.resolve(existing.relativize(path)).normalize().toString();
    } catch (IOException e) {
      return path.normalize().toString();
    }
  }
}
