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
 * skipped, blank), {@code _fields} (the values as text, in declared column order) and
 * {@code _undecodable} (the positions of fields whose bytes are not text in the source's
 * encoding: UTF-8, or {@code source.options.encoding}).
 * Structural problems (no input, a header or schema that does not match the declared columns)
 * raise {@link IngestRejected} naming the file and column.
 */
public final class SourceReader {

  public static final String SOURCE = "_source";
  public static final String ROW = "_row_number";
  public static final String RAW = "_raw";
  public static final String KIND = "_kind";
  public static final String FIELDS = "_fields";
  /** 1-based positions of fields with bytes that are not text in the source's encoding. */
  public static final String UNDECODABLE = "_undecodable";

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
    String charset = encoding(source);
    Dataset<Row> lines = spark.read().option("lineSep", "\n").text(files.toArray(String[]::new))
        .withColumn(SOURCE, functions.input_file_name())
        .withColumn("_order", functions.monotonically_increasing_id());
    // Line numbers per file; partitions of one file come in offset order.
    lines = lines.withColumn(ROW, functions.row_number().over(
        Window.partitionBy(SOURCE).orderBy("_order")).cast(DataTypes.LongType)).drop("_order");
    // The text reader keeps each line's bytes; decode them here, in the declared encoding.
    Column bytes = col("value").cast(DataTypes.BinaryType);
    Column text = isUtf8(charset) ? col("value")
        : functions.udf(new UndecodableFields.Decoder(charset), DataTypes.StringType).apply(bytes);
    Column value = functions.regexp_replace(text, "\r$", "");
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
    Column undecodable = functions.udf(new UndecodableFields(charset, source.delimiter()),
        DataTypes.createArrayType(DataTypes.IntegerType)).apply(bytes);
    return lines.select(col(SOURCE), col(ROW), value.as(RAW), kind.as(KIND), fields.as(FIELDS),
        undecodable.as(UNDECODABLE));
  }

  /** The encoding of a text source: {@code source.options.encoding} (or charset), else UTF-8. */
  public static String encoding(SourceSpec source) {
    for (var e : source.options().entrySet()) {
      if (e.getKey().equalsIgnoreCase("encoding") || e.getKey().equalsIgnoreCase("charset")) {
        return java.nio.charset.Charset.forName(e.getValue()).name();
      }
    }
    return StandardCharsets.UTF_8.name();
  }

  private static boolean isUtf8(String charset) {
    return StandardCharsets.UTF_8.name().equals(charset);
  }

  /** Typed sources: the declared columns must be there, and nothing undeclared may come along. */
  private static Dataset<Row> typed(FeatureGroup group, String location, Dataset<Row> frame) {
    Set<String> actual = new TreeSet<>(Arrays.asList(frame.columns()));
    // JSON records Spark could not parse (bytes that are not UTF-8, broken syntax) come as
    // _corrupt_record: quarantined with their reason, not an undeclared column.
    String corruptColumn = frame.sparkSession().sessionState().conf().columnNameOfCorruptRecord();
    boolean corrupt = "json".equals(group.source().format()) && actual.remove(corruptColumn);
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
    Column[] all = Arrays.stream(frame.columns()).filter(actual::contains).map(n -> col("`" + n + "`"))
        .toArray(Column[]::new);
    Column raw = functions.to_json(functions.struct(all));
    Column undecodable = functions.array().cast("array<int>");
    if (corrupt) {
      Column record = col("`" + corruptColumn + "`");
      raw = when(record.isNotNull(), record).otherwise(raw);
      undecodable = when(record.isNotNull(), functions.udf(new UndecodableFields.Json(encoding(group.source()),
              group.columns().stream().map(ColumnSpec::name).toList()),
          DataTypes.createArrayType(DataTypes.IntegerType)).apply(record.cast(DataTypes.BinaryType)))
          .otherwise(undecodable);
    }
    return frame.select(lit(location).as(SOURCE),
        functions.monotonically_increasing_id().plus(1).as(ROW),
        raw.as(RAW),
        lit("data").as(KIND),
        functions.array(fields.toArray(Column[]::new)).as(FIELDS),
        undecodable.as(UNDECODABLE));
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
          path.getFileSystem(spark.sparkContext().hadoopConfiguration()).open(path),
          java.nio.charset.Charset.forName(encoding(group.source()))))) {
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
