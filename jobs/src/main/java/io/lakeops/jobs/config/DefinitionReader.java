package io.lakeops.jobs.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Typed, strict reads from one object of a definition file (feature groups, training-set specs,
 * drift specs): every key read is remembered, and
 * {@link #unknownKeys} reports the rest with the closest known key. Problems are collected with
 * the file and line, never thrown one by one.
 */
public final class DefinitionReader {

  private final Config config;
  private final String prefix;
  private final List<ConfigProblem> problems;

  public DefinitionReader(Config config, String prefix, List<ConfigProblem> problems) {
    this.config = config;
    this.prefix = prefix;
    this.problems = problems;
  }

  public String path(String key) {
    return prefix.isEmpty() ? key : prefix + "." + key;
  }

  public String where(String key) {
    return config.hasPathOrNull(key) && !config.getIsNull(key)
        ? ConfigProblem.describe(config.getValue(key).origin())
        : ConfigProblem.describe(config.origin());
  }

  public void problem(String key, String message) {
    problems.add(new ConfigProblem(path(key), where(key), message));
  }

  public boolean has(String key) {
    return config.hasPath(key);
  }

  public String requiredString(String key) {
    if (!config.hasPath(key)) {
      problem(key, "Missing required value for '" + path(key) + "': expected a string.");
      return "";
    }
    return string(key, "");
  }

  public String string(String key, String fallback) {
    if (!config.hasPath(key)) {
      return fallback;
    }
    try {
      return config.getString(key);
    } catch (ConfigException.WrongType e) {
      problem(key, "Wrong type for '" + path(key) + "': expected a string but got "
          + io.lakeops.jobs.config.StrictConfigLoader.typeName(config.getValue(key).valueType()) + ".");
      return fallback;
    }
  }

  public Optional<String> optionalString(String key) {
    return config.hasPath(key) ? Optional.of(string(key, "")) : Optional.empty();
  }

  public int integer(String key, int fallback, int min) {
    if (!config.hasPath(key)) {
      return fallback;
    }
    try {
      int v = config.getInt(key);
      if (v < min) {
        problem(key, "Cannot set '" + path(key) + "' to " + v + ": the value must be at least " + min + ".");
      }
      return v;
    } catch (ConfigException e) {
      problem(key, "Wrong type for '" + path(key) + "': expected an integer.");
      return fallback;
    }
  }

  public Optional<Double> optionalDouble(String key) {
    if (!config.hasPath(key)) {
      return Optional.empty();
    }
    try {
      return Optional.of(config.getDouble(key));
    } catch (ConfigException e) {
      problem(key, "Wrong type for '" + path(key) + "': expected a number.");
      return Optional.empty();
    }
  }

  public double number(String key, double fallback) {
    return optionalDouble(key).orElse(fallback);
  }

  public boolean bool(String key, boolean fallback) {
    if (!config.hasPath(key)) {
      return fallback;
    }
    try {
      return config.getBoolean(key);
    } catch (ConfigException e) {
      problem(key, "Wrong type for '" + path(key) + "': expected a boolean (true or false).");
      return fallback;
    }
  }

  public List<String> stringList(String key) {
    if (!config.hasPath(key)) {
      return List.of();
    }
    try {
      return config.getStringList(key);
    } catch (ConfigException e) {
      problem(key, "Wrong type for '" + path(key) + "': expected a list of strings.");
      return List.of();
    }
  }

  public java.time.Duration duration(String key, java.time.Duration fallback) {
    if (!config.hasPath(key)) {
      return fallback;
    }
    try {
      return config.getDuration(key);
    } catch (ConfigException e) {
      problem(key, "Wrong type for '" + path(key) + "': expected a duration such as 30d or 12h.");
      return fallback;
    }
  }

  public Optional<DefinitionReader> object(String key) {
    if (!config.hasPath(key)) {
      return Optional.empty();
    }
    if (config.getValue(key).valueType() != ConfigValueType.OBJECT) {
      problem(key, "Wrong type for '" + path(key) + "': expected an object { ... }.");
      return Optional.empty();
    }
    return Optional.of(new DefinitionReader(config.getConfig(key), path(key), problems));
  }

  public List<DefinitionReader> objectList(String key) {
    List<DefinitionReader> list = new ArrayList<>();
    if (!config.hasPath(key)) {
      return list;
    }
    try {
      List<? extends ConfigObject> objects = config.getObjectList(key);
      for (int i = 0; i < objects.size(); i++) {
        list.add(new DefinitionReader(objects.get(i).toConfig(), path(key) + "[" + i + "]", problems));
      }
    } catch (ConfigException e) {
      problem(key, "Wrong type for '" + path(key) + "': expected a list of objects [ { ... }, ... ].");
    }
    return list;
  }

  /** Keys and values of an object whose keys are free (column names). */
  public Map<String, ConfigValue> entries(String key) {
    Map<String, ConfigValue> entries = new LinkedHashMap<>();
    object(key).ifPresent(o -> o.config.root().forEach(entries::put));
    return entries;
  }

  public DefinitionReader child(String key, ConfigValue value) {
    return new DefinitionReader(((ConfigObject) value).toConfig(), path(key), problems);
  }

  /** Reports every key of this object that is not in {@code known}. */
  public void unknownKeys(Set<String> known) {
    for (String key : config.root().keySet()) {
      if (!known.contains(key)) {
        problems.add(new ConfigProblem(path(key),
            ConfigProblem.describe(config.root().get(key).origin()),
            "Unknown key '" + path(key) + "'. The closest known key is '"
                + path(ClosestKey.find(key, List.copyOf(known))) + "'. Fix the spelling or remove it."));
      }
    }
  }
}
