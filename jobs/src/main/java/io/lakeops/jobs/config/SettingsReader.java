package io.lakeops.jobs.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads typed values out of a validated configuration, collecting every problem (missing
 * required value, wrong type, out of range) so one run reports them all; {@link #check()} throws.
 */
public final class SettingsReader {

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private final Config config;
  private final List<ConfigProblem> problems = new ArrayList<>();

  public SettingsReader(Config config) {
    this.config = config;
  }

  public String string(String path) {
    return read(path, "a string", () -> config.getString(path), "");
  }

  public Optional<String> optionalString(String path) {
    if (!config.hasPathOrNull(path) || config.getIsNull(path)) {
      return Optional.empty();
    }
    return Optional.of(string(path));
  }

  public String nonBlank(String path) {
    String value = string(path);
    if (value.isBlank() && present(path)) {
      problem(path, "Cannot use an empty value for '" + path + "'. Set it to a non-empty string.");
    }
    return value;
  }

  public int integer(String path, int min, int max) {
    int value = read(path, "an integer", () -> {
      Number n = config.getNumber(path);
      if (n.doubleValue() != Math.rint(n.doubleValue())) {
        throw new ConfigException.WrongType(config.getValue(path).origin(), path, "an integer", "a fraction");
      }
      return config.getInt(path);
    }, min);
    if (present(path) && (value < min || value > max)) {
      problem(path, "Cannot set '" + path + "' to " + value + ": the value must be between "
          + min + " and " + max + ".");
    }
    return value;
  }

  public long longValue(String path) {
    return read(path, "an integer", () -> {
      Number n = config.getNumber(path);
      if (n.doubleValue() != Math.rint(n.doubleValue())) {
        throw new ConfigException.WrongType(config.getValue(path).origin(), path, "an integer", "a fraction");
      }
      return config.getLong(path);
    }, 0L);
  }

  public boolean bool(String path) {
    return read(path, "a boolean (true or false)", () -> config.getBoolean(path), false);
  }

  public LocalDate date(String path) {
    String text = string(path);
    if (!present(path)) {
      return LocalDate.EPOCH;
    }
    try {
      return LocalDate.parse(text);
    } catch (DateTimeParseException e) {
      problem(path, "Cannot read '" + path + "' = \"" + text + "\" as a date: expected YYYY-MM-DD.");
      return LocalDate.EPOCH;
    }
  }

  /** A table name, {@code db.table} or {@code table}: validated so names cannot carry SQL. */
  public String tableName(String path) {
    String name = string(path);
    if (present(path) && !isTableName(name)) {
      problem(path, "Cannot use \"" + name + "\" from '" + path + "' as a table name: expected "
          + "database.table made of letters, digits and underscores (such as lakeops.job_runs).");
    }
    return name;
  }

  /** A database name: letters, digits and underscores. */
  public String identifier(String path) {
    String name = string(path);
    if (present(path) && !IDENTIFIER.matcher(name).matches()) {
      problem(path, "Cannot use \"" + name + "\" from '" + path + "' as a database name: use "
          + "letters, digits and underscores, starting with a letter or underscore.");
    }
    return name;
  }

  public static boolean isTableName(String name) {
    String[] parts = name.split("\\.", -1);
    if (parts.length < 1 || parts.length > 2) {
      return false;
    }
    for (String part : parts) {
      if (!IDENTIFIER.matcher(part).matches()) {
        return false;
      }
    }
    return true;
  }

  /** An open section of string values, such as {@code lakeops.spark.conf}. */
  public Map<String, String> stringMap(String path) {
    Map<String, String> result = new LinkedHashMap<>();
    if (!present(path)) {
      return result;
    }
    Config section = read(path, "an object", () -> config.getConfig(path), null);
    if (section == null) {
      return result;
    }
    for (Map.Entry<String, ConfigValue> e : new java.util.TreeMap<>(section.entrySet().stream()
        .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue))).entrySet()) {
      ConfigValue v = e.getValue();
      // Nested and partly quoted keys ({ sql."shuffle.partitions" = 3 }) become plain dotted names.
      String key = String.join(".", com.typesafe.config.ConfigUtil.splitPath(e.getKey()));
      if (v.valueType() == ConfigValueType.LIST) {
        problem(path + "." + e.getKey(), "Cannot use " + StrictConfigLoader.typeName(v.valueType())
            + " for '" + path + "." + e.getKey() + "': expected a string, number or boolean. "
            + "Quote keys that contain dots, such as \"spark.sql.shuffle.partitions\" = 8.");
      } else {
        result.put(key, String.valueOf(v.unwrapped()));
      }
    }
    return result;
  }

  /** Throws {@link InvalidConfigException} if any read found a problem. */
  public void check() {
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(problems);
    }
  }


  /** The value at {@code path}, null values included (Config#getValue refuses those). */
  private ConfigValue valueOrNull(String path) {
    List<String> parts = com.typesafe.config.ConfigUtil.splitPath(path);
    com.typesafe.config.ConfigObject parent = config.root();
    for (String part : parts.subList(0, parts.size() - 1)) {
      ConfigValue next = parent.get(part);
      if (!(next instanceof com.typesafe.config.ConfigObject)) {
        return null;
      }
      parent = (com.typesafe.config.ConfigObject) next;
    }
    return parent.get(parts.get(parts.size() - 1));
  }

  private String where(String path) {
    ConfigValue v = valueOrNull(path);
    return v == null ? "" : ConfigProblem.describe(v.origin());
  }

  private boolean present(String path) {
    return config.hasPath(path);
  }

  private void problem(String path, String message) {
    problems.add(new ConfigProblem(path, where(path), message));
  }

  private interface Read<T> {
    T get();
  }

  private <T> T read(String path, String type, Read<T> read, T fallback) {
    try {
      if (!config.hasPathOrNull(path) || config.getIsNull(path)) {
        problems.add(new ConfigProblem(path, where(path), "Missing required value for '" + path
            + "': expected " + type + ". Set it in conf/application.conf, --config FILE or -D"
            + path + "=..."));
        return fallback;
      }
      return read.get();
    } catch (ConfigException.WrongType | ConfigException.BadValue e) {
      problems.add(new ConfigProblem(path, where(path),
          "Wrong type for '" + path + "': expected " + type + " but got "
              + config.getValue(path).render(com.typesafe.config.ConfigRenderOptions.concise())
              + ". Set it to " + type + "."));
      return fallback;
    }
  }
}
