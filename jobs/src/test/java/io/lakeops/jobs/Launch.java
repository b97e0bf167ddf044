package io.lakeops.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import io.lakeops.jobs.config.LakeOpsSettings;
import io.lakeops.jobs.spark.SparkSessionFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.SparkSession;

/** Runs the CLI in this JVM with captured output, for tests. */
public final class Launch {

  /** What one launch printed and returned. */
  public record Result(int exitCode, String out, String err) {
    public List<String> outLines() {
      return out.lines().toList();
    }

    /** The last stdout line, parsed: the result JSON of the contract. */
    public JsonNode json() {
      return ProcessRun.resultJson(out, err);
    }
  }

  /** A session factory that hands out the test JVM's shared session and counts the calls. */
  public static final class SharedSessions implements SparkSessionFactory {
    public final AtomicInteger created = new AtomicInteger();
    private final java.util.function.Supplier<SparkSession> session;

    public SharedSessions(java.util.function.Supplier<SparkSession> session) {
      this.session = session;
    }

    @Override
    public SparkSession create(String appName, LakeOpsSettings settings) {
      created.incrementAndGet();
      return session.get();
    }

    @Override
    public void release(SparkSession s) {
      // Shared by the whole test JVM: never stopped here.
    }
  }

  private Launch() {}

  public static Result run(Path workingDir, SparkSessionFactory sessions, Map<String, String> env,
      String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    LaunchEnvironment environment = new LaunchEnvironment(
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        env, Map.of(), workingDir, Clock.systemUTC(), sessions);
    int code = LakeOps.execute(args, environment);
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
