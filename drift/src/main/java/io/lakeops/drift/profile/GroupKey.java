package io.lakeops.drift.profile;

import java.io.Serializable;
import java.util.List;

/**
 * Which rows a state covers: all rows ({@code segment = -1}) or the rows whose segment column
 * number {@code segment} has {@code value}.
 */
public record GroupKey(int segment, String value) implements Serializable, Comparable<GroupKey> {

  /** The value a null segment value is reported as. */
  public static final String NULL_VALUE = "(null)";
  public static final GroupKey ALL = new GroupKey(-1, "(all)");

  public boolean isAll() {
    return segment < 0;
  }

  /** The segment column's name, or null for all rows. */
  public String segmentColumn(List<String> segments) {
    return isAll() ? null : segments.get(segment);
  }

  @Override
  public int compareTo(GroupKey o) {
    int c = Integer.compare(segment, o.segment);
    return c != 0 ? c : value.compareTo(o.value);
  }
}
