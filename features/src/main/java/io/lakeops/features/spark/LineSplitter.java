package io.lakeops.features.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.api.java.UDF1;

/**
 * Splits one line of delimited text into trimmed fields: a single-character delimiter with
 * double-quoted fields ({@code ""} inside quotes is a quote), or any run of whitespace.
 * An unterminated quote yields null, which the validator reports as a malformed line.
 */
public final class LineSplitter implements UDF1<String, String[]> {
  private static final long serialVersionUID = 1L;
  private final String delimiter;

  public LineSplitter(String delimiter) {
    this.delimiter = delimiter;
  }

  @Override
  public String[] call(String line) {
    if (line == null) {
      return null;
    }
    if ("whitespace".equals(delimiter)) {
      String trimmed = line.strip();
      return trimmed.isEmpty() ? new String[] {""} : trimmed.split("\\s+");
    }
    char d = delimiter.charAt(0);
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"') {
          if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
            field.append('"');
            i++;
          } else {
            quoted = false;
          }
        } else {
          field.append(c);
        }
      } else if (c == '"' && field.toString().isBlank()) {
        field.setLength(0);
        quoted = true;
      } else if (c == d) {
        fields.add(field.toString().strip());
        field.setLength(0);
      } else {
        field.append(c);
      }
    }
    if (quoted) {
      return null;
    }
    fields.add(field.toString().strip());
    return fields.toArray(String[]::new);
  }
}
