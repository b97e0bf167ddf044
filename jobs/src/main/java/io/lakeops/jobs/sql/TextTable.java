package io.lakeops.jobs.sql;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table with a header rule, the way psql and spark-sql print results. */
public final class TextTable {

  private TextTable() {}

  /** {@code null} cells print as NULL; numbers are right-aligned. */
  public static String render(List<String> header, List<List<String>> rows, List<Boolean> numeric) {
    int columns = header.size();
    int[] width = new int[columns];
    for (int c = 0; c < columns; c++) {
      width[c] = header.get(c).length();
    }
    List<List<String>> cells = new ArrayList<>();
    for (List<String> row : rows) {
      List<String> printed = new ArrayList<>(columns);
      for (int c = 0; c < columns; c++) {
        String v = row.get(c) == null ? "NULL" : row.get(c).replace("\n", "\\n").replace("\t", "\\t");
        printed.add(v);
        width[c] = Math.max(width[c], v.length());
      }
      cells.add(printed);
    }
    StringBuilder out = new StringBuilder();
    appendRow(out, header, width, null);
    StringBuilder rule = new StringBuilder();
    for (int c = 0; c < columns; c++) {
      rule.append(c == 0 ? "" : "-+-").append("-".repeat(width[c]));
    }
    out.append(rule.toString().stripTrailing()).append('\n');
    for (List<String> row : cells) {
      appendRow(out, row, width, numeric);
    }
    return out.toString();
  }

  private static void appendRow(StringBuilder out, List<String> cells, int[] width, List<Boolean> numeric) {
    StringBuilder line = new StringBuilder();
    for (int c = 0; c < cells.size(); c++) {
      String v = cells.get(c);
      String pad = " ".repeat(width[c] - v.length());
      line.append(c == 0 ? "" : " | ");
      boolean right = numeric != null && numeric.get(c) && !"NULL".equals(v);
      line.append(right ? pad + v : v + pad);
    }
    out.append(line.toString().stripTrailing()).append('\n');
  }
}
