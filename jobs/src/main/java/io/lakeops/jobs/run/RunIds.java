package io.lakeops.jobs.run;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.regex.Pattern;

/** Run ids: {@code <job>_<UTC start, yyyyMMdd'T'HHmmss'Z'>_<6 hex>}, or one the scheduler gives. */
public final class RunIds {

  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Airflow run ids look like {@code scheduled__2026-01-01T00:00:00+00:00}: allow those. */
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_.:+\\-]{1,200}");

  private RunIds() {}

  public static String generate(String job, Instant start) {
    return job + "_" + STAMP.format(start) + "_" + String.format("%06x", RANDOM.nextInt(1 << 24));
  }

  public static boolean isValid(String runId) {
    return VALID.matcher(runId).matches();
  }
}
