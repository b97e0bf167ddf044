package io.lakeops.features.spark;

/**
 * The input cannot be taken: a structural problem (missing or added column, no input, a header
 * that does not match) or a batch check over its threshold. The jobs module maps it to exit 3.
 */
public final class IngestRejected extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public IngestRejected(String message) {
    super(message);
  }
}
