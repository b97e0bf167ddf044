package io.lakeops.jobs.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Loads the layered configuration and refuses anything the defaults do not know.
 *
 * <p>Every key a user sets must exist in some module's {@code reference.conf}; a typo stops the
 * job with the key, where it was set, and the closest known key. Values must have the type of
 * their default (strings from the environment or {@code -D} count when they parse as that type).
 * A key whose default is {@code null} accepts any type; its reader checks it. Sections listed in
 * {@code lakeops.config.open-sections} (such as {@code lakeops.spark.conf}) take any keys.
 */
public final class StrictConfigLoader {

  /** Where the project's application.conf sits inside the job jar. */
  public static final String EMBEDDED_PROJECT_CONF = "lakeops/application.conf";

  private static final String OPEN_SECTIONS_KEY = "lakeops.config.open-sections";

  private final ClassLoader classLoader;

  public StrictConfigLoader() {
    this(StrictConfigLoader.class.getClassLoader());
  }

  public StrictConfigLoader(ClassLoader classLoader) {
    this.classLoader = classLoader;
  }

  /** The merged, resolved and validated configuration. */
  public Config load(ConfigSources sources) {
    List<ConfigProblem> problems = new ArrayList<>();
    Config reference = ConfigFactory.parseResources(classLoader, "reference.conf",
        ConfigParseOptions.defaults().setAllowMissing(false));

    Config project = sources.projectFile()
        .map(file -> parseFile(file, "project configuration", problems))
        .orElseGet(() -> ConfigFactory.parseResources(classLoader, EMBEDDED_PROJECT_CONF));
    Config user = sources.userFile()
        .map(file -> parseFile(file, "--config", problems))
        .orElse(ConfigFactory.empty());
    Config env = environmentLayer(sources.environment(), problems);
    Config system = systemPropertyLayer(sources.systemProperties());
    Config cli = overrideLayer(sources.overrides(), problems);
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(problems);
    }

    Config merged = cli.withFallback(system).withFallback(env).withFallback(user)
        .withFallback(project).withFallback(reference);
    Config resolved;
    try {
      resolved = merged.resolve();
    } catch (ConfigException e) {
      throw new InvalidConfigException(List.of(new ConfigProblem("", ConfigProblem.describe(e.origin()),
          "Cannot resolve the configuration: " + e.getMessage())));
    }
    Config resolvedReference = reference.resolve();
    Set<String> openSections = new HashSet<>(resolvedReference.getStringList(OPEN_SECTIONS_KEY));
    List<String> knownKeys = knownKeys(resolvedReference.root(), "");
    validate(resolved.root(), resolvedReference.root(), "", openSections, knownKeys, problems);
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(problems);
    }
    return resolved;
  }

  private static Config parseFile(Path file, String role, List<ConfigProblem> problems) {
    if (!Files.exists(file)) {
      problems.add(new ConfigProblem("", file.toString(), "Cannot read the " + role + " file "
          + file + ": no such file. Check the path (relative paths start at the working directory "
          + Path.of("").toAbsolutePath() + ")."));
      return ConfigFactory.empty();
    }
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      problems.add(new ConfigProblem("", file.toString(), "Cannot read the " + role + " file "
          + file + ": it is not a readable file. Check its permissions."));
      return ConfigFactory.empty();
    }
    try {
      return ConfigFactory.parseFile(file.toFile(),
          ConfigParseOptions.defaults().setAllowMissing(false).setSyntax(syntaxOf(file)));
    } catch (ConfigException e) {
      problems.add(new ConfigProblem("", ConfigProblem.describe(e.origin()),
          "Cannot parse the " + role + " file " + file + ": " + stripOrigin(e) + ". Fix the syntax."));
      return ConfigFactory.empty();
    }
  }

  private static ConfigSyntax syntaxOf(Path file) {
    String name = file.getFileName().toString();
    if (name.endsWith(".json")) {
      return ConfigSyntax.JSON;
    }
    if (name.endsWith(".properties")) {
      return ConfigSyntax.PROPERTIES;
    }
    return ConfigSyntax.CONF;
  }

  private static String stripOrigin(ConfigException e) {
    String message = e.getMessage();
    String origin = e.origin() == null ? null : e.origin().description();
    if (origin != null && message.startsWith(origin + ": ")) {
      return message.substring(origin.length() + 2);
    }
    return message;
  }

  /**
   * {@code CONFIG_FORCE_lakeops_lakehouse_root} sets {@code lakeops.lakehouse.root}: one
   * underscore is a dot, two are a dash, three are an underscore (Typesafe Config's mapping).
   */
  private static Config environmentLayer(Map<String, String> environment, List<ConfigProblem> problems) {
    Config layer = ConfigFactory.empty();
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(environment).entrySet()) {
      if (!e.getKey().startsWith(ConfigSources.ENV_PREFIX)) {
        continue;
      }
      String raw = e.getKey().substring(ConfigSources.ENV_PREFIX.length());
      String path = envNameToPath(raw);
      layer = addString(layer, path, e.getValue(), "environment variable " + e.getKey(), problems);
    }
    return layer;
  }

  static String envNameToPath(String raw) {
    StringBuilder path = new StringBuilder();
    int i = 0;
    while (i < raw.length()) {
      char c = raw.charAt(i);
      if (c != '_') {
        path.append(c);
        i++;
        continue;
      }
      int run = 0;
      while (i + run < raw.length() && raw.charAt(i + run) == '_') {
        run++;
      }
      path.append(switch (run) {
        case 1 -> ".";
        case 2 -> "-";
        default -> "_".repeat(run - 2);
      });
      i += run;
    }
    return path.toString();
  }

  private static Config systemPropertyLayer(Map<String, String> properties) {
    Config layer = ConfigFactory.empty();
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(properties).entrySet()) {
      if (e.getKey().startsWith("lakeops.")) {
        layer = addString(layer, e.getKey(), e.getValue(), "JVM system property -D" + e.getKey(), null);
      }
    }
    return layer;
  }

  private static Config overrideLayer(Map<String, String> overrides, List<ConfigProblem> problems) {
    Config layer = ConfigFactory.empty();
    for (Map.Entry<String, String> e : overrides.entrySet()) {
      layer = addString(layer, e.getKey(), e.getValue(), "command-line option -D" + e.getKey(), problems);
    }
    return layer;
  }

  private static Config addString(Config layer, String path, String value, String origin,
      List<ConfigProblem> problems) {
    try {
      ConfigUtil.splitPath(path);
      return ConfigFactory.parseMap(Map.of(path, typed(value)), origin).withFallback(layer);
    } catch (ConfigException e) {
      if (problems != null) {
        problems.add(new ConfigProblem(path, origin, "Cannot use '" + path
            + "' as a configuration key: " + stripOrigin(e) + ". Use a dotted path such as lakeops.lakehouse.root."));
      }
      return layer;
    }
  }

  /**
   * Values from the environment and -D arrive as text; whole numbers and booleans are read as
   * such, so {@code -Dlakeops.sql.max-rows=7} and {@code max-rows = 7} in a file mean (and hash)
   * the same. Anything else stays text, exactly as given ("1.10" is not turned into 1.1).
   */
  static Object typed(String value) {
    String v = value.trim();
    if (v.matches("-?(0|[1-9][0-9]{0,17})")) {
      return Long.parseLong(v);
    }
    if (v.equals("true") || v.equals("false")) {
      return Boolean.parseBoolean(v);
    }
    return value;
  }

  private static void validate(ConfigObject actual, ConfigObject reference, String prefix,
      Set<String> openSections, List<String> knownKeys, List<ConfigProblem> problems) {
    for (Map.Entry<String, ConfigValue> entry : new java.util.TreeMap<>(actual).entrySet()) {
      String path = join(prefix, entry.getKey());
      ConfigValue value = entry.getValue();
      ConfigValue expected = reference == null ? null : reference.get(entry.getKey());
      if (expected == null) {
        reportUnknown(path, value, knownKeys, problems);
      } else if (openSections.contains(path)) {
        if (value.valueType() != ConfigValueType.OBJECT) {
          problems.add(wrongType(path, value, ConfigValueType.OBJECT));
        }
      } else if (expected.valueType() == ConfigValueType.OBJECT) {
        if (value.valueType() == ConfigValueType.OBJECT) {
          validate((ConfigObject) value, (ConfigObject) expected, path, openSections, knownKeys, problems);
        } else {
          problems.add(wrongType(path, value, ConfigValueType.OBJECT));
        }
      } else if (!compatible(expected.valueType(), value)) {
        problems.add(wrongType(path, value, expected.valueType()));
      }
    }
  }

  private static void reportUnknown(String path, ConfigValue value, List<String> knownKeys,
      List<ConfigProblem> problems) {
    if (value.valueType() == ConfigValueType.OBJECT && !((ConfigObject) value).isEmpty()) {
      // Report the leaves the user wrote, so the message names the key they typed.
      for (Map.Entry<String, ConfigValue> child : new java.util.TreeMap<>((ConfigObject) value).entrySet()) {
        reportUnknown(join(path, child.getKey()), child.getValue(), knownKeys, problems);
      }
      return;
    }
    String closest = ClosestKey.find(path, knownKeys);
    problems.add(new ConfigProblem(path, ConfigProblem.describe(value.origin()),
        "Unknown configuration key '" + path + "'. The closest known key is '" + closest
            + "'. Fix the spelling or remove the key (the defaults in reference.conf list every key)."));
  }

  private static boolean compatible(ConfigValueType expected, ConfigValue value) {
    ConfigValueType actual = value.valueType();
    if (expected == ConfigValueType.NULL || actual == ConfigValueType.NULL || expected == actual) {
      return true;
    }
    return switch (expected) {
      case STRING -> actual == ConfigValueType.NUMBER || actual == ConfigValueType.BOOLEAN;
      case NUMBER -> actual == ConfigValueType.STRING && parsesAsNumber((String) value.unwrapped());
      case BOOLEAN -> actual == ConfigValueType.STRING && parsesAsBoolean((String) value.unwrapped());
      default -> false;
    };
  }

  private static boolean parsesAsNumber(String s) {
    try {
      Double.parseDouble(s.trim());
      return !s.isBlank();
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean parsesAsBoolean(String s) {
    return Set.of("true", "false", "yes", "no", "on", "off").contains(s.trim().toLowerCase(java.util.Locale.ROOT));
  }

  private static ConfigProblem wrongType(String path, ConfigValue value, ConfigValueType expected) {
    return new ConfigProblem(path, ConfigProblem.describe(value.origin()),
        "Wrong type for '" + path + "': expected " + typeName(expected) + " but got "
            + typeName(value.valueType()) + " " + value.render(com.typesafe.config.ConfigRenderOptions.concise())
            + ". Set it to " + article(expected) + ".");
  }

  public static String typeName(ConfigValueType type) {
    return switch (type) {
      case OBJECT -> "an object";
      case LIST -> "a list";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      case STRING -> "a string";
    };
  }

  private static String article(ConfigValueType type) {
    return typeName(type);
  }

  private static List<String> knownKeys(ConfigObject object, String prefix) {
    Set<String> keys = new TreeSet<>();
    for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
      String path = join(prefix, entry.getKey());
      if (entry.getValue().valueType() == ConfigValueType.OBJECT
          && !((ConfigObject) entry.getValue()).isEmpty()) {
        keys.addAll(knownKeys((ConfigObject) entry.getValue(), path));
      } else {
        keys.add(path);
      }
    }
    return List.copyOf(keys);
  }

  private static String join(String prefix, String key) {
    String quoted = ConfigUtil.joinPath(key);
    return prefix.isEmpty() ? quoted : prefix + "." + quoted;
  }

  /** The known keys, for messages and the {@code config} command. */
  public List<String> knownKeys() {
    return knownKeys(ConfigFactory.parseResources(classLoader, "reference.conf").resolve().root(), "");
  }

}
