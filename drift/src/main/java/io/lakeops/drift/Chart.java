package io.lakeops.drift;

import java.util.List;

/**
 * The overlaid histogram of a column: buckets (value ranges or categories) with the share of
 * reference and of current values in each.
 */
public record Chart(String axis, List<String> buckets, List<Double> reference, List<Double> current) {

  public static final Chart NONE = new Chart("", List.of(), List.of(), List.of());

  public Chart {
    buckets = List.copyOf(buckets);
    reference = List.copyOf(reference);
    current = List.copyOf(current);
    if (buckets.size() != reference.size() || buckets.size() != current.size()) {
      throw new IllegalArgumentException("Cannot chart " + buckets.size() + " buckets with "
          + reference.size() + " reference and " + current.size() + " current shares");
    }
  }
}
