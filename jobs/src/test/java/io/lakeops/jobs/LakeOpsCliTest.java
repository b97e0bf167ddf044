package io.lakeops.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line without Spark: help, version, config, and every way to get exit code 2. */
class LakeOpsCliTest {

  @TempDir
  Path dir;

  /** Fails the test if anything tries to start Spark. */
  private final Launch.SharedSessions noSpark = new Launch.SharedSessions(() -> {
    throw new AssertionError("A Spark session was requested");
  });

  private Launch.Result run(String... args) {
    return Launch.run(dir, noSpark, Map.of(), args);
  }

  @Test
  void helpListsTheSubcommandsAndExitsZero() {
    Launch.Result r = run("--help");
    assertEquals(0, r.exitCode());
    for (String sub : new String[] {"demo", "sql", "config"}) {
      assertTrue(r.out().contains("  " + sub + " "), r.out());
    }
    assertTrue(r.out().contains("2 usage or configuration error"), r.out());
  }

  @Test
  void versionNamesLakeOpsAndSpark() {
    Launch.Result r = run("--version");
    assertEquals(0, r.exitCode());
    assertTrue(r.out().startsWith("LakeOps " + LakeOps.version() + "\n"), r.out());
    assertTrue(r.out().contains("Spark 3.5."), r.out());
    assertFalse(LakeOps.version().equals("unknown"));
  }

  @Test
  void configPrintsTheEffectiveConfigurationWithSecretsMaskedAndAResultLine() throws IOException {
    Path conf = dir.resolve("my.conf");
    Files.writeString(conf, "lakeops.spark.conf { \"spark.hadoop.fs.s3a.secret.key\" = \"s3cr3t-value\" }\n");
    Launch.Result r = run("config", "--config", "my.conf", "-Dlakeops.sql.max-rows=7", "--origins");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("max-rows=7\n"), r.out());
    assertFalse(r.out().contains("s3cr3t-value"), r.out());
    assertFalse(r.err().contains("s3cr3t-value"), r.err());
    assertTrue(r.out().contains("command-line option -Dlakeops.sql.max-rows"), r.out());
    JsonNode json = r.json();
    assertEquals("config", json.get("job").asText());
    assertEquals("SUCCEEDED", json.get("status").asText());
    assertEquals(0, json.get("exit_code").asInt());
    assertEquals(64, json.get("config_hash").asText().length());
    assertEquals(0, noSpark.created.get());
  }

  @Test
  void aTypoInAConfigFileExitsTwoNamesTheKeyAndStartsNoSpark() throws IOException {
    Files.writeString(dir.resolve("bad.conf"), "lakeops {\n  demo {\n    customer = 10\n  }\n}\n");
    Launch.Result r = run("demo", "--config", "bad.conf");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("Unknown configuration key 'lakeops.demo.customer'. The closest "
        + "known key is 'lakeops.demo.customers'."), r.err());
    assertTrue(r.err().contains(dir.resolve("bad.conf") + " line 3"), r.err());
    JsonNode json = r.json();
    assertEquals("USAGE_ERROR", json.get("status").asText());
    assertEquals(2, json.get("exit_code").asInt());
    assertTrue(json.get("message").asText().contains("lakeops.demo.customer"));
    assertEquals(0, noSpark.created.get());
    assertFalse(Files.exists(dir.resolve("lakehouse")), "nothing may be written for a bad config");
  }

  @Test
  void aWrongTypeFromTheCommandLineExitsTwo() {
    Launch.Result r = run("demo", "-Dlakeops.demo.days=soon");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("Wrong type for 'lakeops.demo.days': expected a number but got a "
        + "string \"soon\""), r.err());
    assertTrue(r.err().contains("[command-line option -Dlakeops.demo.days]"), r.err());
  }

  @Test
  void aProjectFileFromLakeOpsConfDirIsValidatedToo() throws IOException {
    Path confDir = Files.createDirectories(dir.resolve("conf-elsewhere"));
    Files.writeString(confDir.resolve("application.conf"), "lakeops.lakehouse.rot = x\n");
    Launch.Result r = Launch.run(dir, noSpark, Map.of("LAKEOPS_CONF_DIR", confDir.toString()), "config");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains(confDir.resolve("application.conf") + " line 1"), r.err());

    Launch.Result missing = Launch.run(dir, noSpark,
        Map.of("LAKEOPS_CONF_DIR", dir.resolve("nowhere").toString()), "config");
    assertEquals(2, missing.exitCode());
    assertTrue(missing.err().contains("Point LAKEOPS_CONF_DIR at the folder"), missing.err());
  }

  @Test
  void usageErrorsExitTwoWithAResultLine() {
    Launch.Result unknownCommand = run("trian");
    assertEquals(2, unknownCommand.exitCode());
    assertTrue(unknownCommand.err().contains("Unmatched argument at index 0: 'trian'"), unknownCommand.err());
    assertEquals("USAGE_ERROR", unknownCommand.json().get("status").asText());

    Launch.Result noCommand = run();
    assertEquals(2, noCommand.exitCode());
    assertEquals("USAGE_ERROR", noCommand.json().get("status").asText());

    Launch.Result unknownOption = run("demo", "--bogus");
    assertEquals(2, unknownOption.exitCode());
    assertTrue(unknownOption.err().contains("Unknown option: '--bogus'"), unknownOption.err());

    Launch.Result noSql = run("sql");
    assertEquals(2, noSql.exitCode());

    Launch.Result emptySql = run("sql", " ; -- nothing\n");
    assertEquals(2, emptySql.exitCode());
    assertTrue(emptySql.err().contains("Cannot run SQL: no statement given."), emptySql.err());

    Launch.Result missingFile = run("sql", "-f", "missing.sql");
    assertEquals(2, missingFile.exitCode());
    assertTrue(missingFile.err().contains("Cannot read the SQL file " + dir.resolve("missing.sql")),
        missingFile.err());

    Launch.Result badRunId = run("demo", "--run-id", "a b");
    assertEquals(2, badRunId.exitCode());
    assertTrue(badRunId.err().contains("Cannot use --run-id \"a b\""), badRunId.err());
    assertEquals(0, noSpark.created.get());
  }
}
