package io.lakeops.jobs.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The configuration a job runs with, as shown to people: secrets masked in every rendering, and a
 * stable hash of the masked {@code lakeops} tree for {@code job_runs} and results.
 */
public final class EffectiveConfig {

  /** Values of keys whose last segment matches this are secrets and never printed. */
  public static final Pattern SECRET_KEY = Pattern.compile(
      "(?i).*(password|passwd|secret|token|credential|private[-._]?key|api[-._]?key|access[-._]?key|"
          + "jaas[-._]config|sas[-._]key).*");

  public static final String MASK = "******";

  private final Config config;

  public EffectiveConfig(Config config) {
    this.config = config;
  }

  public Config config() {
    return config;
  }

  /** The {@code lakeops} tree with every secret replaced by {@link #MASK}. */
  public Config masked() {
    Config lakeops = config.hasPath("lakeops") ? config.getConfig("lakeops").atKey("lakeops")
        : com.typesafe.config.ConfigFactory.empty();
    for (Map.Entry<String, ConfigValue> e : lakeops.entrySet()) {
      if (isSecretKey(e.getKey())) {
        lakeops = lakeops.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(MASK, "masked secret"));
      }
    }
    return lakeops;
  }

  /**
   * Judged on the words of the whole key, quoted or not: {@code "fs.s3a.secret.key"},
   * {@code fs.s3a.secret.key} and {@code fs.s3a.access.key} are all secrets.
   */
  public static boolean isSecretKey(String path) {
    String words = String.join(".", ConfigUtil.splitPath(path));
    return SECRET_KEY.matcher(words).matches();
  }

  /** HOCON for people, optionally with a comment per value saying where it was set. */
  public String render(boolean withOrigins) {
    return masked().root().render(ConfigRenderOptions.defaults()
        .setOriginComments(withOrigins).setComments(false).setJson(false).setFormatted(true));
  }

  /** SHA-256 of the masked tree in key order: equal configurations hash equal, secrets excluded. */
  public String hash() {
    StringBuilder canonical = new StringBuilder();
    TreeMap<String, ConfigValue> sorted = new TreeMap<>();
    for (Map.Entry<String, ConfigValue> e : masked().entrySet()) {
      sorted.put(e.getKey(), e.getValue());
    }
    sorted.forEach((k, v) -> canonical.append(k).append('=')
        .append(v.render(ConfigRenderOptions.concise())).append('\n'));
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
