package io.lakeops.features.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.lakeops.features.definition.ColumnSpec;
import io.lakeops.features.definition.FeatureGroup;
import io.lakeops.features.definition.SourceSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * Reads a group's source for one run date into a uniform frame, one row per input line (text)
 * or record (typed sources): {@code _source} (file or table), {@code _row_number},
 * {@code _raw} (the original text, or the record as JSON), {@code _kind} (data, header,
 * skipped, blank) and {@code _fields} (the values as text, in declared column order).
 * Structural problems (no input, a header or schema that does not match the declared columns)
 * raise {@link IngestRejected} naming the file and column.
 */
public final class SourceReader {

  public static final String SOURCE = "_source";
  public static final String ROW = "_row_number";
  public static final String RAW = "_raw";
  public static final String KIND = "_kind";
  public static final String FIELDS = "_fields";

  private SourceReader() {}

  /** Where the data for {@code runDate} is read from, for messages and quarantine rows. */
  public static String location(SourceSpec source, LocalDate runDate) {
    return source.path().map(p -> source.snapshot() ? p : source.pathFor(runDate))
        .orElseGet(() -> source.table().orElse(""));
  }

  public static Dataset<Row> read(SparkSession spark, FeatureGroup group, LocalDate runDate,
      Map<String, String> environment) {
    SourceSpec source = group.source();
    return switch (source.format()) {
      case "csv" -> readText(spark, group, location(source, runDate));
      case "json", "parquet" -> typed(group, location(source, runDate),
          spark.read().options(source.options()).format(source.format()).load(existing(spark, location(source, runDate))));
      case "delta" -> typed(group, location(source, runDate), source.table().isPresent()
          ? spark.read().table(source.table().get()) : spark.read().format("delta").load(source.path().get()));
      case "jdbc" -> typed(group, source.table().orElseThrow(), jdbc(spark, source, environment));
      default -> throw new IllegalArgumentException("Unknown source format " + source.format());
    };
  }

  private static Dataset<Row> readText(SparkSession spark, FeatureGroup group, String location) {
    SourceSpec source = group.source();
    List<String> files = existingFiles(spark, location);
    if (source.header()) {
      checkHeaders(spark, group, files);
    }
    Dataset<Row> lines = spark.read().option("lineSep", "\n").text(files.toArray(String[]::new))
        .withColumn(SOURCE, functions.input_file_name())
        .withColumn("_order", functions.monotonically_increasing_id());
    // Line numbers per file; partitions of one file come in offset order.
    lines = lines.withColumn(ROW, functions.row_number().over(
        Window.partitionBy(SOURCE).orderBy("_order")).cast(DataTypes.LongType)).drop("_order");
    Column value = functions.regexp_replace(col("value"), "\r$", "");
    Column skipped = lit(false);
    for (String pattern : source.skipLinesMatching()) {
      skipped = skipped.or(value.rlike(pattern));
    }
    Column kind = when(lit(source.header()).and(col(ROW).equalTo(1)), lit("header"))
        .when(functions.trim(value).equalTo(""), lit("blank"))
        .when(skipped, lit("skipped"))
        .otherwise(lit("data"));
    Column fields = functions.udf(new LineSplitter(source.delimiter()),
        DataTypes.createArrayType(DataTypes.StringType)).apply(value);
    return lines.select(col(SOURCE), col(ROW), value.as(RAW), kind.as(KIND), fields.as(FIELDS));
  }

  /** Typed sources: the declared columns must be there, and nothing undeclared may come along. */
  private static Dataset<Row> typed(FeatureGroup group, String location, Dataset<Row> frame) {
    Set<String> actual = new TreeSet<>(Arrays.asList(frame.columns()));
    Set<String> declared = new TreeSet<>();
    group.columns().forEach(c -> declared.add(c.name()));
    for (String column : declared) {
      if (!actual.contains(column)) {
        throw new IngestRejected("Cannot ingest " + location + " for group " + group.name()
            + ": the declared column '" + column + "' is missing from the source (it has "
            + actual + "). Restore the column upstream or change the definition in "
            + group.definitionFile() + ".");
      }
    }
    for (String column : actual) {
      if (!declared.contains(column)) {
        throw new IngestRejected("Cannot ingest " + location + " for group " + group.name()
            + ": the source has a column '" + column + "' that the definition does not declare. "
            + "Declare it in " + group.definitionFile() + " (so it is validated) or remove it upstream.");
      }
    }
    List<Column> fields = new ArrayList<>();
    for (ColumnSpec c : group.columns()) {
      fields.add(col("`" + c.name() + "`").cast(DataTypes.StringType));
    }
    Column[] all = Arrays.stream(frame.columns()).map(n -> col("`" + n + "`")).toArray(Column[]::new);
    return frame.select(lit(location).as(SOURCE),
        functions.monotonically_increasing_id().plus(1).as(ROW),
        functions.to_json(functions.struct(all)).as(RAW),
        lit("data").as(KIND),
        functions.array(fields.toArray(Column[]::new)).as(FIELDS));
  }

  private static Dataset<Row> jdbc(SparkSession spark, SourceSpec source, Map<String, String> env) {
    var reader = spark.read().format("jdbc").options(source.options())
        .option("url", source.jdbcUrl().orElseThrow())
        .option("dbtable", source.table().orElseThrow());
    if (source.jdbcUserEnv().isPresent()) {
      reader = reader.option("user", requiredEnv(env, source.jdbcUserEnv().get()));
    }
    if (source.jdbcPasswordEnv().isPresent()) {
      reader = reader.option("password", requiredEnv(env, source.jdbcPasswordEnv().get()));
    }
    return reader.load();
  }

  private static String requiredEnv(Map<String, String> env, String name) {
    String value = env.get(name);
    if (value == null) {
      throw new IllegalArgumentException("Cannot connect to the JDBC source: the environment "
          + "variable " + name + " is not set. Export it before running the job.");
    }
    return value;
  }

  private static String existing(SparkSession spark, String location) {
    existingFiles(spark, location);
    return location;
  }

  /** The files a path or glob names; none is a rejected input, not an empty batch. */
  static List<String> existingFiles(SparkSession spark, String location) {
    try {
      Path path = new Path(location);
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      FileStatus[] matches = fs.globStatus(path);
      List<String> files = new ArrayList<>();
      if (matches != null) {
        for (FileStatus status : matches) {
          if (status.isFile()) {
            files.add(status.getPath().toString());
          } else {
            for (FileStatus child : fs.listStatus(status.getPath())) {
              String name = child.getPath().getName();
              if (child.isFile() && !name.startsWith(".") && !name.startsWith("_")) {
                files.add(child.getPath().toString());
              }
            }
          }
        }
      }
      if (files.isEmpty()) {
        throw new IngestRejected("Cannot ingest " + location + ": no input file matches it. "
            + "Check the path, or that the upstream drop for this date has arrived.");
      }
      files.sort(null);
      return files;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("Cannot list " + location + ": " + e.getMessage(), e);
    }
  }

  private static void checkHeaders(SparkSession spark, FeatureGroup group, List<String> files) {
    List<String> declared = group.columns().stream().map(ColumnSpec::name).toList();
    LineSplitter splitter = new LineSplitter(group.source().delimiter());
    for (String file : files) {
      Path path = new Path(file);
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(
          path.getFileSystem(spark.sparkContext().hadoopConfiguration()).open(path), StandardCharsets.UTF_8))) {
        String first = reader.readLine();
        if (first == null) {
          continue; // an empty file: no header and no rows, reported by the row counts
        }
        List<String> header = Arrays.asList(splitter.call(first.replace("\r", "").replace("\uFEFF", "")));
        for (String column : declared) {
          if (!header.contains(column)) {
            throw new IngestRejected("Cannot ingest " + file + " for group " + group.name()
                + ": the header lacks the declared column '" + column + "' (header: " + header
                + "). Restore the column upstream or change the definition in " + group.definitionFile() + ".");
          }
        }
        for (String column : header) {
          if (!declared.contains(column)) {
            throw new IngestRejected("Cannot ingest " + file + " for group " + group.name()
                + ": the header has a column '" + column + "' that the definition does not declare. "
                + "Declare it in " + group.definitionFile() + " or remove it upstream.");
          }
        }
        if (!header.equals(declared)) {
          throw new IngestRejected("Cannot ingest " + file + " for group " + group.name()
              + ": the header lists the columns in the order " + header + " but the definition "
              + "declares " + declared + ". Declare them in the file's order.");
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("Cannot read " + file + ": " + e.getMessage(), e);
      }
    }
  }
}
