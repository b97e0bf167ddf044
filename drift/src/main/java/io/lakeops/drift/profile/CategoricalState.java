package io.lakeops.drift.profile;

import java.io.Serializable;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Mergeable state of one categorical column: rows, nulls, and the count of every category up
 * to {@code maxDistinct} distinct values (beyond that the column is marked as overflowing and
 * not compared). A reference profile keeps the most frequent {@code maxCategories} categories
 * and an explicit "other" bucket: its row count and how many categories it holds.
 */
public final class CategoricalState implements Serializable {
  private static final long serialVersionUID = 1L;

  public long rows;
  public long nulls;
  public final Map<String, Long> counts;
  public boolean overflow;
  public long otherCount;
  public long otherDistinct;
  private final int maxDistinct;

  public CategoricalState(int maxDistinct) {
    this.maxDistinct = maxDistinct;
    this.counts = new HashMap<>();
  }

  /** A stored profile's categories. */
  public CategoricalState(long rows, long nulls, Map<String, Long> counts, long otherCount,
      long otherDistinct, boolean overflow) {
    this.maxDistinct = Integer.MAX_VALUE;
    this.rows = rows;
    this.nulls = nulls;
    this.counts = new LinkedHashMap<>(counts);
    this.otherCount = otherCount;
    this.otherDistinct = otherDistinct;
    this.overflow = overflow;
  }

  public void add(String value) {
    rows++;
    if (value == null) {
      nulls++;
      return;
    }
    Long c = counts.get(value);
    if (c != null) {
      counts.put(value, c + 1);
    } else if (counts.size() < maxDistinct) {
      counts.put(value, 1L);
    } else {
      overflow = true;
      otherCount++;
    }
  }

  /** Adds {@code count} rows of category {@code value}. */
  public void add(String value, long count) {
    rows += count;
    Long c = counts.get(value);
    if (c != null) {
      counts.put(value, c + count);
    } else if (counts.size() < maxDistinct) {
      counts.put(value, count);
    } else {
      overflow = true;
      otherCount += count;
    }
  }

  public void addNulls(long count) {
    rows += count;
    nulls += count;
  }

  /** Adds rows whose categories were past {@code maxDistinct} where they were counted. */
  public void addOverflow(long count) {
    if (count > 0) {
      rows += count;
      overflow = true;
      otherCount += count;
    }
  }

  public void merge(CategoricalState o) {
    rows += o.rows;
    nulls += o.nulls;
    overflow |= o.overflow;
    otherCount += o.otherCount;
    otherDistinct += o.otherDistinct;
    for (Map.Entry<String, Long> e : o.counts.entrySet()) {
      Long c = counts.get(e.getKey());
      if (c != null || counts.size() < maxDistinct) {
        counts.merge(e.getKey(), e.getValue(), Long::sum);
      } else {
        overflow = true;
        otherCount += e.getValue();
      }
    }
  }

  /** Rows with a category (not null). */
  public long present() {
    return rows - nulls;
  }

  /** Categories by count (descending), then by name: a stable order for reports and profiles. */
  public List<Map.Entry<String, Long>> ranked() {
    return counts.entrySet().stream()
        .sorted(Comparator.<Map.Entry<String, Long>>comparingLong(Map.Entry::getValue).reversed()
            .thenComparing(Map.Entry::getKey))
        .toList();
  }

  /** Keeps the {@code maxCategories} most frequent categories; the rest go to "other". */
  public CategoricalState truncated(int maxCategories) {
    Map<String, Long> kept = new LinkedHashMap<>();
    long other = otherCount;
    long otherN = otherDistinct;
    for (Map.Entry<String, Long> e : ranked()) {
      if (kept.size() < maxCategories) {
        kept.put(e.getKey(), e.getValue());
      } else {
        other += e.getValue();
        otherN++;
      }
    }
    return new CategoricalState(rows, nulls, kept, other, otherN, overflow);
  }
}
