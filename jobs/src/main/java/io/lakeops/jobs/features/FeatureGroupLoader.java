package io.lakeops.jobs.features;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.lakeops.features.definition.Checks;
import io.lakeops.features.definition.ColumnSpec;
import io.lakeops.features.definition.ColumnType;
import io.lakeops.features.definition.DerivedFeature;
import io.lakeops.features.definition.FeatureGroup;
import io.lakeops.features.definition.SourceSpec;
import io.lakeops.features.definition.WindowAggregate;
import io.lakeops.jobs.config.ConfigProblem;
import io.lakeops.jobs.config.DefinitionReader;
import io.lakeops.jobs.config.InvalidConfigException;
import io.lakeops.jobs.config.SettingsReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.parser.CatalystSqlParser$;

/**
 * Reads feature group definitions ({@code conf/features/*.conf}, one group per file) and checks
 * them before any Spark work: unknown keys, missing values, wrong types, columns that are not
 * declared, expressions that Spark's parser rejects or that name unknown columns, duplicate
 * feature or group names. Every problem names the file, line and key; the job exits 2.
 */
public final class FeatureGroupLoader {

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Set<String> FORMATS = Set.of("csv", "json", "parquet", "delta", "jdbc");
  private static final Set<String> RESERVED = Set.of(FeatureGroup.EVENT_TS, FeatureGroup.CREATED_TS,
      FeatureGroup.EVENT_DATE);

  private FeatureGroupLoader() {}

  /** Every group under {@code dir}, by name. {@code context} resolves substitutions such as
   * {@code ${lakeops.lakehouse.raw-dir}}. */
  public static Map<String, FeatureGroup> loadAll(Path dir, Config context) {
    return loadAll(dir, context, Path.of("").toAbsolutePath());
  }

  /** As {@link #loadAll(Path, Config)}; relative source paths start at {@code workingDir}. */
  public static Map<String, FeatureGroup> loadAll(Path dir, Config context, Path workingDir) {
    if (!Files.isDirectory(dir)) {
      throw new InvalidConfigException(List.of(new ConfigProblem("lakeops.features.definitions-dir",
          dir.toString(), "Cannot read feature group definitions from " + dir
              + ": no such folder. Set lakeops.features.definitions-dir to the folder of the *.conf files.")));
    }
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(p -> p.getFileName().toString().endsWith(".conf")).sorted().toList();
    } catch (IOException e) {
      throw new InvalidConfigException(List.of(new ConfigProblem("", dir.toString(),
          "Cannot list " + dir + ": " + e.getMessage())));
    }
    List<ConfigProblem> problems = new ArrayList<>();
    Map<String, FeatureGroup> groups = new TreeMap<>();
    Map<String, Path> seen = new LinkedHashMap<>();
    for (Path file : files) {
      Optional<FeatureGroup> group = read(file, context, workingDir, problems);
      group.ifPresent(g -> {
        Path previous = seen.putIfAbsent(g.name(), file);
        if (previous != null) {
          problems.add(new ConfigProblem("name", file.toString(), "Duplicate feature group name '"
              + g.name() + "': also defined in " + previous + ". Give each group its own name."));
        } else {
          groups.put(g.name(), g);
        }
      });
    }
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(problems);
    }
    return groups;
  }

  /** One group by name; exit 2 naming the known groups when it does not exist. */
  public static FeatureGroup load(Path dir, Config context, String name) {
    return load(dir, context, Path.of("").toAbsolutePath(), name);
  }

  /** As {@link #load(Path, Config, String)}; relative source paths start at {@code workingDir}. */
  public static FeatureGroup load(Path dir, Config context, Path workingDir, String name) {
    Map<String, FeatureGroup> all = loadAll(dir, context, workingDir);
    FeatureGroup group = all.get(name);
    if (group == null) {
      throw new InvalidConfigException(List.of(new ConfigProblem("--group", dir.toString(),
          "Unknown feature group '" + name + "'. Known groups in " + dir + ": " + all.keySet()
              + (all.isEmpty() ? "" : "; the closest is '"
                  + io.lakeops.jobs.config.ClosestKey.find(name, List.copyOf(all.keySet())) + "'") + ".")));
    }
    return group;
  }

  static Optional<FeatureGroup> read(Path file, Config context, Path workingDir,
      List<ConfigProblem> problems) {
    Config raw;
    try {
      raw = ConfigFactory.parseFile(file.toFile(),
          ConfigParseOptions.defaults().setAllowMissing(false).setSyntax(ConfigSyntax.CONF));
      Config resolved = raw.withFallback(context).resolve();
      // Keep only the definition's own keys: the context served substitutions only.
      raw = onlyOwnKeys(resolved, raw);
    } catch (ConfigException e) {
      problems.add(new ConfigProblem("", ConfigProblem.describe(e.origin()),
          "Cannot read the feature group definition " + file + ": " + e.getMessage()));
      return Optional.empty();
    }
    int before = problems.size();
    DefinitionReader r = new DefinitionReader(raw, "", problems);
    r.unknownKeys(Set.of("name", "description", "owner", "tags", "version", "entity-keys", "ttl",
        "unique-key-and-time", "source", "columns", "checks", "aggregates", "derived"));

    String name = identifier(r, "name", r.requiredString("name"));
    List<ColumnSpec> columns = columns(r);
    Set<String> columnNames = new HashSet<>();
    columns.forEach(c -> columnNames.add(c.name()));
    List<String> keys = r.stringList("entity-keys");
    if (keys.isEmpty() && (r.bool("unique-key-and-time", true) || r.has("aggregates"))) {
      r.problem("entity-keys", "Missing required value for 'entity-keys': expected a list of the "
          + "entity key columns, such as [customer_id]. (Only a group without aggregates and with "
          + "unique-key-and-time = false may have none.)");
    }
    keys.forEach(k -> requireColumn(r, "entity-keys", k, columnNames));
    SourceSpec source = source(r, columnNames, workingDir,
        io.lakeops.jobs.config.PathConfinement.from(context, workingDir));
    boolean unique = r.bool("unique-key-and-time", true);
    Checks checks = checks(r, columnNames);
    List<WindowAggregate> aggregates = aggregates(r, columns, columnNames);

    // Names a derived expression may use: keys, event time, aggregates, and (when rows are
    // unique per key and time) the source columns themselves.
    Set<String> usable = new HashSet<>(keys);
    usable.add(FeatureGroup.EVENT_TS);
    usable.add(FeatureGroup.EVENT_DATE);
    aggregates.forEach(a -> usable.add(a.name()));
    if (unique) {
      usable.addAll(columnNames);
    }
    List<DerivedFeature> derived = derived(r, usable, unique);

    Set<String> featureNames = new HashSet<>();
    for (String feature : concat(aggregates.stream().map(WindowAggregate::name).toList(),
        derived.stream().map(DerivedFeature::name).toList())) {
      if (!featureNames.add(feature)) {
        r.problem("aggregates", "Duplicate feature name '" + feature + "' in group '" + name
            + "'. Give every aggregate and derived feature its own name.");
      }
      if (keys.contains(feature) || RESERVED.contains(feature)) {
        r.problem("aggregates", "Cannot name a feature '" + feature + "': it is an entity key or "
            + "a reserved column (" + RESERVED + "). Rename it.");
      }
    }
    Duration ttl = r.duration("ttl", Duration.ofDays(365));
    if (ttl.isNegative() || ttl.isZero() || ttl.getNano() != 0) {
      // Training sets record the TTL in whole seconds (lakeops.training_sets.ttl_seconds), and
      // a rebuild must use exactly the TTL of the build.
      r.problem("ttl", "ttl of group '" + name + "' is " + ttl + "; give a positive whole number "
          + "of seconds or more, such as 90d, 12h or 30s.");
      ttl = Duration.ofDays(365);
    }
    FeatureGroup group = new FeatureGroup(name, r.string("description", ""), r.string("owner", ""),
        r.stringList("tags"), r.integer("version", 1, 1), keys, source, columns, unique, checks,
        derived, aggregates, ttl, file.toString());
    return problems.size() == before ? Optional.of(group) : Optional.empty();
  }

  static Config onlyOwnKeys(Config resolved, Config raw) {
    Config own = com.typesafe.config.ConfigFactory.empty();
    for (String key : raw.root().keySet()) {
      own = own.withValue(com.typesafe.config.ConfigUtil.joinPath(key), resolved.root().get(key));
    }
    return own;
  }

  private static List<ColumnSpec> columns(DefinitionReader r) {
    List<ColumnSpec> columns = new ArrayList<>();
    List<DefinitionReader> specs = r.objectList("columns");
    if (specs.isEmpty()) {
      r.problem("columns", "Missing required value for 'columns': declare the source columns as "
          + "a list of { name = ..., type = ... }.");
    }
    Set<String> seen = new HashSet<>();
    for (DefinitionReader c : specs) {
      c.unknownKeys(Set.of("name", "type", "description", "not-null", "min", "max", "allowed",
          "regex", "clean"));
      String name = identifier(c, "name", c.requiredString("name"));
      if (!seen.add(name)) {
        c.problem("name", "Duplicate column '" + name + "'. Declare each column once.");
      }
      ColumnType type = ColumnType.STRING;
      String typeText = c.string("type", "string");
      try {
        type = ColumnType.parse(typeText);
      } catch (IllegalArgumentException e) {
        c.problem("type", "Unknown column type '" + typeText + "' for column '" + name
            + "'. Use one of string, int, long, double, boolean, date, timestamp.");
        type = null;
      }
      Optional<String> regex = c.optionalString("regex");
      regex.ifPresent(p -> {
        try {
          Pattern.compile(p);
        } catch (PatternSyntaxException e) {
          c.problem("regex", "Cannot compile the regex of column '" + name + "': " + e.getDescription() + ".");
        }
      });
      Optional<String> clean = c.optionalString("clean");
      clean.ifPresent(expr -> parseExpression(c, "clean", expr, Set.of("value")));
      Optional<Double> min = c.optionalDouble("min");
      Optional<Double> max = c.optionalDouble("max");
      if ((min.isPresent() || max.isPresent()) && type != null && !type.isNumeric()) {
        c.problem(min.isPresent() ? "min" : "max", "Cannot bound column '" + name + "' of type "
            + type.label() + ": min and max apply to int, long and double columns.");
      }
      columns.add(new ColumnSpec(name, type, c.string("description", ""), c.bool("not-null", false),
          min, max, c.stringList("allowed"), regex, clean));
    }
    return columns;
  }

  private static SourceSpec source(DefinitionReader r, Set<String> columns, Path workingDir,
      Optional<io.lakeops.jobs.config.PathConfinement> confinement) {
    Optional<DefinitionReader> maybe = r.object("source");
    if (maybe.isEmpty()) {
      r.problem("source", "Missing required value for 'source': declare where the data comes from.");
      return null;
    }
    DefinitionReader s = maybe.get();
    s.unknownKeys(Set.of("format", "path", "table", "snapshot", "delimiter", "header",
        "skip-lines-matching", "null-markers", "event-time", "jdbc", "options"));
    String format = s.requiredString("format").toLowerCase(Locale.ROOT);
    if (!format.isEmpty() && !FORMATS.contains(format)) {
      s.problem("format", "Unknown source format '" + format + "'. Use one of " + new java.util.TreeSet<>(FORMATS) + ".");
    }
    // A relative path starts at the working directory, like every path of the configuration.
    Optional<String> path = s.optionalString("path").map(p ->
        p.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*") || p.startsWith("/") ? p
            : workingDir.resolve(p).normalize().toString());
    path.ifPresent(p -> confinement.ifPresent(c -> c.escape(p).ifPresent(resolved ->
        s.problem("path", c.message(s.path("path"), s.string("path", ""), resolved)))));
    Optional<String> table = s.optionalString("table");
    boolean needsTable = format.equals("delta") || format.equals("jdbc");
    if (needsTable && table.isEmpty() && !(format.equals("delta") && path.isPresent())) {
      s.problem("table", "Missing required value for 'source.table': a " + format + " source names its table.");
    } else if (!needsTable && path.isEmpty()) {
      s.problem("path", "Missing required value for 'source.path': a " + format + " source names its file or folder.");
    }
    table.filter(t -> format.equals("delta") && !SettingsReader.isTableName(t)).ifPresent(t ->
        s.problem("table", "Cannot use \"" + t + "\" as a table name: expected database.table."));
    boolean snapshot = s.bool("snapshot", path.map(p -> !p.contains("{date}")).orElse(true));
    if (!snapshot && path.map(p -> !p.contains("{date}")).orElse(true)) {
      s.problem("snapshot", "Cannot read a daily slice: 'source.path' has no {date} placeholder. "
          + "Add {date} to the path (for example raw/{date}.csv) or set snapshot = true.");
    }
    String delimiter = s.string("delimiter", ",");
    if (!delimiter.equals("whitespace") && delimiter.length() != 1 && !delimiter.equals("\\t")) {
      s.problem("delimiter", "Cannot use delimiter \"" + delimiter + "\": use one character, \\t or whitespace.");
    }
    List<String> skip = s.stringList("skip-lines-matching");
    for (String p : skip) {
      try {
        Pattern.compile(p);
      } catch (PatternSyntaxException e) {
        s.problem("skip-lines-matching", "Cannot compile the pattern \"" + p + "\": " + e.getDescription() + ".");
      }
    }

    String eventColumn = "";
    String eventFormat = "";
    String zone = "UTC";
    Optional<DefinitionReader> et = s.object("event-time");
    if (et.isPresent()) {
      DefinitionReader e = et.get();
      e.unknownKeys(Set.of("column", "format", "time-zone"));
      eventColumn = e.requiredString("column");
      requireColumn(e, "column", eventColumn, columns);
      eventFormat = e.string("format", "");
      if (!eventFormat.isEmpty()) {
        try {
          DateTimeFormatter.ofPattern(eventFormat);
        } catch (IllegalArgumentException ex) {
          e.problem("format", "Cannot use the event time format \"" + eventFormat + "\": "
              + ex.getMessage() + ". Use a Java pattern such as yyyyMMdd or yyyy-MM-dd HH:mm:ss.");
        }
      }
      zone = e.string("time-zone", "UTC");
      try {
        ZoneId.of(zone);
      } catch (Exception ex) {
        e.problem("time-zone", "Unknown time zone \"" + zone + "\". Use a region id such as "
            + "UTC or Europe/Berlin.");
      }
    }
    Optional<String> url = Optional.empty();
    Optional<String> userEnv = Optional.empty();
    Optional<String> passwordEnv = Optional.empty();
    Optional<DefinitionReader> jdbc = s.object("jdbc");
    if (jdbc.isPresent()) {
      DefinitionReader j = jdbc.get();
      j.unknownKeys(Set.of("url", "user-env", "password-env", "password-file"));
      url = Optional.of(j.requiredString("url"));
      userEnv = j.optionalString("user-env");
      passwordEnv = j.optionalString("password-env");
      Optional<String> passwordFile = j.optionalString("password-file");
      if (passwordFile.isPresent()) {
        // Read at run time by SourceSecrets, never stored in the definition.
        Path file = workingDir.resolve(passwordFile.get()).toAbsolutePath().normalize();
        if (passwordEnv.isPresent()) {
          j.problem("password-file", "Cannot use both 'source.jdbc.password-env' and "
              + "'source.jdbc.password-file': keep one.");
        } else if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
          j.problem("password-file", "Cannot read the JDBC password file " + file + " of "
              + "'source.jdbc.password-file': " + (Files.exists(file) ? "not a readable file"
                  : "no such file") + ". Create it (readable by this user only) or fix the path.");
        }
        passwordEnv = Optional.of(SourceSecrets.fileReference(file));
      }
    } else if (format.equals("jdbc")) {
      s.problem("jdbc", "Missing required value for 'source.jdbc': give { url, user-env, "
          + "password-env or password-file }; credentials come from the environment or a file of "
          + "their own, never the definition.");
    }
    Map<String, String> options = new TreeMap<>();
    s.entries("options").forEach((k, v) -> options.put(k, String.valueOf(v.unwrapped())));
    for (String key : options.keySet()) {
      if (key.toLowerCase(Locale.ROOT).contains("password") || key.toLowerCase(Locale.ROOT).equals("user")) {
        s.problem("options", "Cannot put credentials in 'source.options." + key + "': read them "
            + "from the environment with source.jdbc.user-env and password-env.");
      }
      String lower = key.toLowerCase(Locale.ROOT);
      if (lower.equals("encoding") || lower.equals("charset")) {
        String name = options.get(key);
        boolean known;
        try {
          known = java.nio.charset.Charset.isSupported(name);
        } catch (java.nio.charset.IllegalCharsetNameException e) {
          known = false;
        }
        if (!known) {
          s.problem("options", "Cannot read source.options." + key + " = \"" + name + "\": not an "
              + "encoding this JVM knows (such as UTF-8, ISO-8859-1, windows-1252).");
        } else if (format.equals("csv") && java.nio.charset.Charset.forName(name).newEncoder()
            .maxBytesPerChar() > 1 && !java.nio.charset.Charset.forName(name).name().equals("UTF-8")) {
          s.problem("options", "Cannot read csv lines in " + name + ": source.options." + key
              + " must be UTF-8 or a one-byte-per-character encoding (ISO-8859-1, windows-1252...).");
        }
      }
    }
    return new SourceSpec(format, path, table, snapshot, delimiter.equals("\\t") ? "\t" : delimiter,
        s.bool("header", false), skip, s.stringList("null-markers"), eventColumn, eventFormat, zone,
        url, userEnv, passwordEnv, options);
  }

  private static Checks checks(DefinitionReader r, Set<String> columns) {
    DefinitionReader c = r.object("checks").orElse(null);
    if (c == null) {
      return new Checks(0.0, Map.of(), Map.of(), List.of(), Optional.empty(), 7);
    }
    c.unknownKeys(Set.of("max-rejected-share", "max-missing-share", "mean", "quantile", "row-count"));
    double maxRejected = c.number("max-rejected-share", 0.0);
    if (maxRejected < 0 || maxRejected > 1) {
      c.problem("max-rejected-share", "Cannot set 'checks.max-rejected-share' to " + maxRejected
          + ": the value must be between 0 and 1.");
    }
    Map<String, Double> missing = new TreeMap<>();
    c.entries("max-missing-share").forEach((col, v) -> {
      requireColumn(c, "max-missing-share", col, columns);
      missing.put(col, ((Number) v.unwrapped()).doubleValue());
    });
    Map<String, Checks.Band> means = new TreeMap<>();
    c.entries("mean").forEach((col, v) -> {
      requireColumn(c, "mean", col, columns);
      DefinitionReader b = c.child("mean." + col, v);
      b.unknownKeys(Set.of("min", "max"));
      means.put(col, new Checks.Band(b.number("min", Double.NEGATIVE_INFINITY), b.number("max", Double.POSITIVE_INFINITY)));
    });
    List<Checks.QuantileBand> quantiles = new ArrayList<>();
    for (DefinitionReader q : c.objectList("quantile")) {
      q.unknownKeys(Set.of("column", "q", "min", "max"));
      String col = q.requiredString("column");
      requireColumn(q, "column", col, columns);
      double p = q.number("q", 0.5);
      if (p <= 0 || p >= 1) {
        q.problem("q", "Cannot use quantile " + p + ": it must lie strictly between 0 and 1.");
      }
      quantiles.add(new Checks.QuantileBand(col, p, new Checks.Band(q.number("min", Double.NEGATIVE_INFINITY),
          q.number("max", Double.POSITIVE_INFINITY))));
    }
    Optional<Double> tolerance = Optional.empty();
    int runs = 7;
    Optional<DefinitionReader> rc = c.object("row-count");
    if (rc.isPresent()) {
      rc.get().unknownKeys(Set.of("tolerance", "runs"));
      tolerance = Optional.of(rc.get().number("tolerance", 0.5));
      runs = rc.get().integer("runs", 7, 1);
    }
    return new Checks(maxRejected, missing, means, quantiles, tolerance, runs);
  }

  private static List<WindowAggregate> aggregates(DefinitionReader r, List<ColumnSpec> columns,
      Set<String> columnNames) {
    List<WindowAggregate> list = new ArrayList<>();
    for (DefinitionReader a : r.objectList("aggregates")) {
      a.unknownKeys(Set.of("name", "function", "column", "window-days", "description"));
      String name = identifier(a, "name", a.requiredString("name"));
      String fn = a.requiredString("function");
      WindowAggregate.Function function = WindowAggregate.Function.COUNT;
      try {
        function = WindowAggregate.Function.parse(fn);
      } catch (IllegalArgumentException e) {
        a.problem("function", "Unknown aggregate function '" + fn + "'. Use one of count, sum, "
            + "avg, min, max, count_distinct, days_since_previous.");
      }
      Optional<String> column = a.optionalString("column");
      boolean needsColumn = function != WindowAggregate.Function.COUNT
          && function != WindowAggregate.Function.DAYS_SINCE_PREVIOUS;
      if (needsColumn && column.isEmpty()) {
        a.problem("column", "Missing required value for 'column': " + function.label() + " needs a column.");
      }
      column.ifPresent(col -> {
        requireColumn(a, "column", col, columnNames);
        if (columnNames.contains(col)) {
          ColumnType type = columns.stream().filter(c -> c.name().equals(col)).findFirst().orElseThrow().type();
          boolean numericOnly = fn.equalsIgnoreCase("sum") || fn.equalsIgnoreCase("avg");
          if (numericOnly && type != null && !type.isNumeric()) {
            a.problem("column", "Cannot " + fn + " column '" + col + "' of type " + type.label()
                + ": use a numeric column.");
          }
        }
      });
      int window = a.integer("window-days", 30, 1);
      list.add(new WindowAggregate(name, function, column, window, a.string("description", "")));
    }
    return list;
  }

  private static List<DerivedFeature> derived(DefinitionReader r, Set<String> usable, boolean unique) {
    List<DerivedFeature> list = new ArrayList<>();
    for (DefinitionReader d : r.objectList("derived")) {
      d.unknownKeys(Set.of("name", "expression", "description"));
      String name = identifier(d, "name", d.requiredString("name"));
      String expression = d.requiredString("expression");
      if (!expression.isEmpty()) {
        parseExpression(d, "expression", expression, usable);
      }
      list.add(new DerivedFeature(name, expression, d.string("description", "")));
    }
    return list;
  }

  /** Spark's own parser; then every column the expression names must be one of {@code usable}. */
  private static void parseExpression(DefinitionReader r, String key, String text, Set<String> usable) {
    Expression parsed;
    try {
      parsed = CatalystSqlParser$.MODULE$.parseExpression(text);
    } catch (Exception e) {
      String message = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
      r.problem(key, "Cannot parse the expression \"" + text + "\" of '" + r.path(key) + "': "
          + message + ". Write a Spark SQL expression.");
      return;
    }
    for (String column : ExpressionColumns.referenced(parsed)) {
      if (!usable.contains(column)) {
        r.problem(key, "Unknown column '" + column + "' in the expression \"" + text + "\" of '"
            + r.path(key) + "'. Known here: " + new java.util.TreeSet<>(usable) + ".");
      }
    }
  }

  private static void requireColumn(DefinitionReader r, String key, String column, Set<String> columns) {
    if (!column.isEmpty() && !columns.contains(column)) {
      r.problem(key, "Unknown column '" + column + "' in '" + r.path(key) + "'. Declared columns: "
          + new java.util.TreeSet<>(columns) + (columns.isEmpty() ? "" : "; the closest is '"
              + io.lakeops.jobs.config.ClosestKey.find(column, List.copyOf(columns)) + "'") + ".");
    }
  }

  private static String identifier(DefinitionReader r, String key, String value) {
    if (!value.isEmpty() && !IDENTIFIER.matcher(value).matches()) {
      r.problem(key, "Cannot use \"" + value + "\" as a name in '" + r.path(key) + "': use letters, "
          + "digits and underscores, starting with a letter or underscore.");
    }
    return value;
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
