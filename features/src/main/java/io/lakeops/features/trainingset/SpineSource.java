package io.lakeops.features.trainingset;

import java.util.List;

/**
 * Where a training set's rows come from: a Delta table, or a SQL query whose result is first
 * stored as a Delta table ({@code <output>__spine}) so that it can be pinned and rebuilt.
 *
 * @param table a Delta table, or null when {@code query} is given
 * @param query a Spark SQL query, or null when {@code table} is given
 * @param entityKeys the spine's entity key columns
 * @param time the spine time column (timestamp, or a date meaning the start of that day)
 * @param label the label column
 * @param carry other spine columns kept in the training set
 */
public record SpineSource(String table, String query, List<String> entityKeys, String time,
    String label, List<String> carry) {

  public SpineSource {
    entityKeys = List.copyOf(entityKeys);
    carry = List.copyOf(carry);
    if ((table == null) == (query == null)) {
      throw new IllegalArgumentException("A spine has either a table or a query");
    }
  }

  /** The spine columns of the training set, in order: keys, time, label, carried columns. */
  public List<String> columns() {
    java.util.LinkedHashSet<String> c = new java.util.LinkedHashSet<>(entityKeys);
    c.add(time);
    c.add(label);
    c.addAll(carry);
    return List.copyOf(c);
  }

  /** How the source reads in the manifest. */
  public String describe() {
    return table != null ? "table " + table : "query " + query;
  }
}
