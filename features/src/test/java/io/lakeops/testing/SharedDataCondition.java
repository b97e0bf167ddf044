package io.lakeops.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Enables {@link SharedData} tests only when the shared data folder is present. */
public final class SharedDataCondition implements ExecutionCondition {

  /**
   * The shared data folder: system property {@code lakeops.shared-data} (set by the build to
   * {@code <repo>/../shared/data}), else {@code ../shared/data} from the working directory.
   */
  public static Path sharedDataDir() {
    String configured = System.getProperty("lakeops.shared-data");
    Path dir = configured != null ? Path.of(configured) : Path.of("..", "shared", "data");
    return dir.toAbsolutePath().normalize();
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    Path dir = sharedDataDir();
    if (Files.isDirectory(dir)) {
      return ConditionEvaluationResult.enabled("shared data found at " + dir);
    }
    if ("1".equals(System.getenv("LAKEOPS_REQUIRE_SHARED_DATA"))) {
      // CI sets this: there a missing folder is a broken checkout, not a reason to skip.
      throw new IllegalStateException("Cannot run shared-data test: " + dir + " does not exist "
          + "and LAKEOPS_REQUIRE_SHARED_DATA=1. Place the shared data sets there or unset the variable.");
    }
    String message = "Skipping shared-data test: " + dir + " does not exist. "
        + "Place the shared data sets there (CI has them) to run it.";
    System.err.println(message);
    return ConditionEvaluationResult.disabled(message);
  }
}
