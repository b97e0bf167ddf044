package io.lakeops.jobs.drift;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.lakeops.drift.ColumnKind;
import io.lakeops.drift.ColumnRole;
import io.lakeops.drift.DriftColumn;
import io.lakeops.drift.DriftOptions;
import io.lakeops.drift.DriftThresholds;
import io.lakeops.jobs.config.ConfigProblem;
import io.lakeops.jobs.config.DefinitionReader;
import io.lakeops.jobs.config.InvalidConfigException;
import io.lakeops.jobs.config.SettingsReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.spark.sql.catalyst.parser.CatalystSqlParser$;

/**
 * Reads a drift spec ({@code conf/drift/*.conf}) and checks it before any Spark work: unknown
 * keys (with the closest known key), wrong types, missing values, a column listed twice,
 * thresholds out of range, a reference defined twice or not at all, a query Spark's parser
 * rejects. Every problem names the file, line and key; the job exits 2.
 */
public final class DriftSpecLoader {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");

  private DriftSpecLoader() {}

  public static DriftSpec load(Path file) {
    List<ConfigProblem> problems = new ArrayList<>();
    if (!Files.isRegularFile(file)) {
      throw new InvalidConfigException(List.of(new ConfigProblem("--spec", file.toString(),
          "Cannot read the drift spec " + file + ": no such file. Check the path (relative paths "
              + "start at the working directory).")));
    }
    Config raw;
    try {
      raw = ConfigFactory.parseFile(file.toFile(),
          ConfigParseOptions.defaults().setAllowMissing(false).setSyntax(ConfigSyntax.CONF)).resolve();
    } catch (ConfigException e) {
      throw new InvalidConfigException(List.of(new ConfigProblem("", ConfigProblem.describe(e.origin()),
          "Cannot read the drift spec " + file + ": " + e.getMessage())));
    }
    DefinitionReader r = new DefinitionReader(raw, "", problems);
    r.unknownKeys(Set.of("name", "description", "source", "current", "reference", "columns",
        "segments", "prediction", "settings", "thresholds"));
    String fileName = file.getFileName().toString().replaceFirst("\\.conf$", "");
    String name = r.string("name", fileName);
    if (!NAME.matcher(name).matches()) {
      r.problem("name", "Cannot use \"" + name + "\" as a report name: use letters, digits, '_', '.' and '-'.");
    }
    r.string("description", "");

    // source
    DriftSpec.Source source = new DriftSpec.Source(Optional.empty(), Optional.empty());
    String timeColumn = "";
    Optional<DefinitionReader> s = r.object("source");
    if (s.isEmpty()) {
      r.problem("source", "Missing required value for 'source': give { table = db.table (or query = \"SELECT ...\"), time-column = ... }.");
    } else {
      DefinitionReader src = s.get();
      src.unknownKeys(Set.of("table", "query", "time-column"));
      Optional<String> table = src.optionalString("table");
      Optional<String> query = src.optionalString("query");
      if (table.isPresent() == query.isPresent()) {
        src.problem(table.isPresent() ? "query" : "table", "Cannot read the source: give exactly one of "
            + "'source.table' and 'source.query'.");
      }
      table.filter(t -> !SettingsReader.isTableName(t)).ifPresent(t ->
          src.problem("table", "Cannot use \"" + t + "\" as a table name: expected database.table."));
      query.ifPresent(q -> {
        try {
          CatalystSqlParser$.MODULE$.parsePlan(q);
        } catch (Exception e) {
          src.problem("query", "Cannot parse the query of 'source.query': "
              + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ". Write one Spark SQL SELECT.");
        }
      });
      source = new DriftSpec.Source(table, query);
      timeColumn = src.requiredString("time-column");
    }

    // current
    int currentDays = 30;
    Optional<DefinitionReader> cur = r.object("current");
    if (cur.isPresent()) {
      cur.get().unknownKeys(Set.of("days"));
      currentDays = cur.get().integer("days", 30, 1);
    }

    // reference
    DriftSpec.Reference reference = null;
    Optional<DefinitionReader> ref = r.object("reference");
    if (ref.isEmpty()) {
      r.problem("reference", "Missing required value for 'reference': give a window { from, to } or "
          + "{ days }, a table, or a stored profile id.");
    } else {
      DefinitionReader rr = ref.get();
      rr.unknownKeys(Set.of("profile", "table", "training-set", "from", "to", "days", "gap-days"));
      Optional<String> profile = rr.optionalString("profile");
      Optional<String> table = rr.optionalString("table");
      Optional<String> trainingSet = rr.optionalString("training-set");
      Optional<LocalDate> from = date(rr, "from");
      Optional<LocalDate> to = date(rr, "to");
      Optional<Integer> days = rr.has("days") ? Optional.of(rr.integer("days", 1, 1)) : Optional.empty();
      int gap = rr.integer("gap-days", 0, 0);
      int kinds = (profile.isPresent() ? 1 : 0) + (from.isPresent() || to.isPresent() ? 1 : 0)
          + (days.isPresent() ? 1 : 0);
      if (from.isPresent() != to.isPresent()) {
        rr.problem(from.isPresent() ? "to" : "from", "Cannot use a half-open reference window: give both 'reference.from' and 'reference.to'.");
      } else if (from.isPresent() && from.get().isAfter(to.get())) {
        rr.problem("from", "Cannot use reference window " + from.get() + " to " + to.get() + ": 'from' is after 'to'.");
      }
      int tables = (table.isPresent() ? 1 : 0) + (trainingSet.isPresent() ? 1 : 0);
      if (kinds > 1 || tables > 1 || (profile.isPresent() && tables > 0)) {
        rr.problem(trainingSet.isPresent() ? "training-set" : "profile", "Cannot define the reference twice: give one of a stored 'profile', a fixed window "
            + "('from' and 'to'), a relative window ('days', 'gap-days'), a 'table' or a 'training-set' (optionally with a window).");
      } else if (kinds == 0 && tables == 0) {
        rr.problem("days", "Missing reference: give a stored 'profile', a fixed window ('from' and 'to'), "
            + "a relative window ('days'), a 'table', or a 'training-set' id.");
      }
      table.filter(t -> !SettingsReader.isTableName(t)).ifPresent(t ->
          rr.problem("table", "Cannot use \"" + t + "\" as a table name: expected database.table."));
      reference = new DriftSpec.Reference(profile, table, trainingSet, from, to, days, gap);
    }

    // columns
    List<DriftColumn> columns = new ArrayList<>();
    Optional<DefinitionReader> cols = r.object("columns");
    Set<String> critical = new LinkedHashSet<>();
    if (cols.isEmpty()) {
      r.problem("columns", "Missing required value for 'columns': give { numeric = [...], categorical = [...] }.");
    } else {
      DefinitionReader c = cols.get();
      c.unknownKeys(Set.of("numeric", "categorical", "critical"));
      Set<String> seen = new LinkedHashSet<>();
      critical.addAll(c.stringList("critical"));
      for (String n : c.stringList("numeric")) {
        if (!seen.add(n)) {
          c.problem("numeric", "Column '" + n + "' is listed twice. List each column once.");
        }
        columns.add(new DriftColumn(n, ColumnKind.NUMERIC, ColumnRole.FEATURE, critical.contains(n)));
      }
      for (String n : c.stringList("categorical")) {
        if (!seen.add(n)) {
          c.problem("categorical", "Column '" + n + "' is listed twice (or as numeric and categorical). List each column once.");
        }
        columns.add(new DriftColumn(n, ColumnKind.CATEGORICAL, ColumnRole.FEATURE, critical.contains(n)));
      }
      for (String n : critical) {
        if (!seen.contains(n)) {
          c.problem("critical", "Unknown column '" + n + "' in 'columns.critical': list it under numeric or categorical too.");
        }
      }
      if (seen.isEmpty()) {
        c.problem("numeric", "Missing columns: list at least one column under 'columns.numeric' or 'columns.categorical'.");
      }
    }
    List<String> segments = r.stringList("segments");

    // prediction and label
    Optional<DriftOptions.Performance> performance = Optional.empty();
    Optional<DefinitionReader> pred = r.object("prediction");
    if (pred.isPresent()) {
      DefinitionReader p = pred.get();
      p.unknownKeys(Set.of("column", "label", "threshold", "critical"));
      String column = p.requiredString("column");
      Optional<String> label = p.optionalString("label");
      double threshold = p.number("threshold", DriftOptions.DECISION_THRESHOLD_DEFAULT);
      boolean crit = p.bool("critical", false);
      if (columns.stream().noneMatch(c -> c.name().equals(column)) && !column.isEmpty()) {
        columns.add(new DriftColumn(column, ColumnKind.NUMERIC, ColumnRole.PREDICTION, crit));
      }
      label.filter(l -> columns.stream().noneMatch(c -> c.name().equals(l))).ifPresent(l ->
          columns.add(new DriftColumn(l, ColumnKind.CATEGORICAL, ColumnRole.LABEL, false)));
      if (label.isPresent() && !column.isEmpty()) {
        performance = Optional.of(new DriftOptions.Performance(column, label.get(), threshold));
      }
    }

    DriftOptions options = null;
    Optional<DefinitionReader> settings = r.object("settings");
    Optional<DefinitionReader> thresholds = r.object("thresholds");
    try {
      DriftThresholds t = thresholds(thresholds.orElse(null));
      DriftOptions.Builder b = DriftOptions.builder(columns).segments(segments).thresholds(t);
      performance.ifPresent(b::performance);
      settings.ifPresent(st -> {
        st.unknownKeys(Set.of("bins", "fine-bins", "psi-epsilon", "sketch-relative-error",
            "max-categories", "max-distinct", "max-segments", "min-segment-rows", "large-sample-rows",
            "drifted-share"));
        b.bins(st.integer("bins", DriftOptions.BINS_DEFAULT, 2))
            .fineBins(st.integer("fine-bins", DriftOptions.FINE_BINS_DEFAULT, 2))
            .psiEpsilon(st.number("psi-epsilon", DriftOptions.PSI_EPSILON_DEFAULT))
            .sketchRelativeError(st.number("sketch-relative-error", DriftOptions.SKETCH_RELATIVE_ERROR_DEFAULT))
            .maxCategories(st.integer("max-categories", DriftOptions.MAX_CATEGORIES_DEFAULT, 1))
            .maxDistinct(st.integer("max-distinct", DriftOptions.MAX_DISTINCT_DEFAULT, 1))
            .maxSegments(st.integer("max-segments", DriftOptions.MAX_SEGMENTS_DEFAULT, 1))
            .minSegmentRows(st.integer("min-segment-rows", DriftOptions.MIN_SEGMENT_ROWS_DEFAULT, 1))
            .largeSampleRows(st.integer("large-sample-rows", (int) DriftOptions.LARGE_SAMPLE_ROWS_DEFAULT, 1))
            .driftedShare(st.number("drifted-share", DriftOptions.DRIFTED_SHARE_DEFAULT));
      });
      if (problems.isEmpty()) {
        options = b.build();
      }
    } catch (IllegalArgumentException e) {
      String key = e.getMessage().replaceFirst("^Cannot (set|segment by|compare column) ([^ ]+).*$", "$2");
      boolean inThresholds = thresholds.isPresent() && thresholds.get().has(key);
      problems.add(new ConfigProblem(inThresholds ? "thresholds." + key : "settings." + key, file.toString(),
          e.getMessage() + " (in the drift spec " + file + ")."));
    }
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(problems);
    }
    return new DriftSpec(name, file.toString(), source, timeColumn, currentDays, reference, options);
  }

  private static DriftThresholds thresholds(DefinitionReader t) {
    DriftThresholds d = DriftThresholds.defaults();
    if (t == null) {
      return d;
    }
    t.unknownKeys(Set.of("psi", "psi-warning", "ks-statistic", "wasserstein", "js-distance",
        "l-infinity", "unseen-share", "p-value", "missing-share-change", "error-rate-change"));
    return new DriftThresholds(t.number("psi", d.psi()), t.number("psi-warning", d.psiWarning()),
        t.number("ks-statistic", d.ksStatistic()), t.number("wasserstein", d.wasserstein()),
        t.number("js-distance", d.jsDistance()), t.number("l-infinity", d.lInfinity()),
        t.number("unseen-share", d.unseenShare()), t.number("p-value", d.pValue()),
        t.number("missing-share-change", d.missingShareChange()),
        t.number("error-rate-change", d.errorRateChange()));
  }

  private static Optional<LocalDate> date(DefinitionReader r, String key) {
    Optional<String> text = r.optionalString(key);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(LocalDate.parse(text.get()));
    } catch (DateTimeParseException e) {
      r.problem(key, "Cannot read '" + r.path(key) + "' = \"" + text.get() + "\" as a date: use YYYY-MM-DD.");
      return Optional.empty();
    }
  }
}
