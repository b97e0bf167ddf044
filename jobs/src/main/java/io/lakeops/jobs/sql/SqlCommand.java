package io.lakeops.jobs.sql;

import io.lakeops.jobs.JobCommand;
import io.lakeops.jobs.JobContext;
import io.lakeops.jobs.JobFailure;
import io.lakeops.jobs.config.LakeOpsSettings;
import io.lakeops.jobs.run.JobOutcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Runs Spark SQL on the lakehouse and prints readable tables. */
@Command(name = "sql", mixinStandardHelpOptions = true,
    description = {"Run Spark SQL on the lakehouse and print each result as a table.",
        "Statements are separated by ';'. Example: lakeops sql \"SHOW TABLES IN lakeops\""})
public final class SqlCommand extends JobCommand {

  @ArgGroup(exclusive = true, multiplicity = "1")
  Input input;

  static final class Input {
    @Parameters(paramLabel = "SQL", description = "The statement(s) to run.")
    String text;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Read the statements from a file.")
    Path file;
  }

  @Option(names = "--max-rows", paramLabel = "N",
      description = "Rows to print per result (default: lakeops.sql.max-rows).")
  Integer maxRows;

  private List<String> statements;

  @Override
  protected String jobName() {
    return "sql";
  }

  @Override
  protected boolean recordsJobRun() {
    return false;
  }

  @Override
  protected void checkArguments(LakeOpsSettings settings, com.typesafe.config.Config config) {
    String script;
    if (input.file != null) {
      Path file = environment().workingDir().resolve(input.file);
      try {
        script = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw JobFailure.usage("Cannot read the SQL file " + file + ": " + e.getMessage()
            + ". Check the path given to -f.");
      }
    } else {
      script = input.text;
    }
    statements = SqlScript.statements(script);
    if (statements.isEmpty()) {
      throw JobFailure.usage("Cannot run SQL: no statement given. Pass a statement such as "
          + "\"SHOW TABLES IN lakeops\" or -f FILE.");
    }
    if (maxRows != null && maxRows < 1) {
      throw JobFailure.usage("Cannot set --max-rows to " + maxRows + ", the value must be positive.");
    }
  }

  @Override
  protected JobOutcome run(JobContext context) {
    int limit = maxRows != null ? maxRows : context.settings().sqlMaxRows();
    long lastRows = 0;
    List<Long> rowCounts = new ArrayList<>();
    for (int i = 0; i < statements.size(); i++) {
      String statement = statements.get(i);
      context.step("sql statement " + (i + 1) + " of " + statements.size());
      Dataset<Row> result;
      try {
        result = context.spark().sql(statement);
      } catch (Exception e) { // Scala throws the checked AnalysisException undeclared
        if (!(e instanceof AnalysisException) || isCatalogFailure(e)) {
          // Not the query's fault (the metastore is locked or down): worth a retry.
          throw new JobFailure(io.lakeops.jobs.ExitCode.FAILURE, "Cannot run statement " + (i + 1)
              + ": " + JobCommand.describe(e), e);
        }
        // A query that does not parse or names what does not exist: retrying will not help.
        throw JobFailure.usage("Cannot run statement " + (i + 1) + " (" + abbreviate(statement)
            + "): " + e.getMessage().strip());
      }
      lastRows = print(context, result, limit);
      rowCounts.add(lastRows);
    }
    return JobOutcome.ok("Ran " + statements.size() + " statement(s)")
        .withRowsOut(lastRows)
        .withOutput("statements", statements.size())
        .withOutput("rows_per_statement", rowCounts);
  }

  /** Prints up to {@code limit} rows; returns how many rows were printed. */
  private static long print(JobContext context, Dataset<Row> result, int limit) {
    StructField[] fields = result.schema().fields();
    if (fields.length == 0) {
      context.out().println("OK");
      return 0;
    }
    // Casting to string renders values the way Spark SQL does, in the session time zone.
    // Columns are taken by position: a join or SELECT 1 AS a, 2 AS a may repeat a name.
    String[] positional = new String[fields.length];
    for (int c = 0; c < fields.length; c++) {
      positional[c] = "c" + c;
    }
    Dataset<Row> renamed = result.toDF(positional);
    Column[] asText = new Column[fields.length];
    List<String> header = new ArrayList<>();
    List<Boolean> numeric = new ArrayList<>();
    for (int c = 0; c < fields.length; c++) {
      asText[c] = renamed.col(positional[c]).cast("string");
      header.add(fields[c].name());
      numeric.add(fields[c].dataType() instanceof NumericType);
    }
    List<Row> rows = renamed.select(asText).limit(limit + 1).collectAsList();
    boolean truncated = rows.size() > limit;
    List<List<String>> cells = new ArrayList<>();
    for (Row row : rows.subList(0, Math.min(limit, rows.size()))) {
      List<String> line = new ArrayList<>(fields.length);
      for (int c = 0; c < fields.length; c++) {
        line.add(row.isNullAt(c) ? null : row.getString(c));
      }
      cells.add(line);
    }
    context.out().print(TextTable.render(header, cells, numeric));
    context.out().println(truncated
        ? "(first " + limit + " rows shown; more exist: raise --max-rows or add LIMIT)"
        : "(" + cells.size() + (cells.size() == 1 ? " row)" : " rows)"));
    return cells.size();
  }

  private static boolean isCatalogFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage());
      if (m.contains("SessionHiveMetaStoreClient") || m.contains("Another instance of Derby")
          || t.getClass().getName().endsWith("MetaException")) {
        return true;
      }
    }
    return false;
  }

  private static String abbreviate(String statement) {
    String oneLine = statement.replaceAll("\\s+", " ");
    return oneLine.length() <= 60 ? oneLine : oneLine.substring(0, 57) + "...";
  }
}
