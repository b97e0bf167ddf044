package io.lakeops.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lakeops.testing.SharedData;
import io.lakeops.testing.SharedDataCondition;
import io.lakeops.testing.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sql -f} over the real Adult data set. Expected counts were computed independently with
 * Python's csv module: 48,842 rows; {@code >50K} is 1,769 of 16,192 women and 9,918 of 32,650 men.
 */
@SharedData
class AdultSqlTest extends SparkTestBase {

  @TempDir
  Path dir;

  @Test
  void sqlScriptsQueryRealFilesAndPrintExactCounts() throws IOException {
    Path adult = SharedDataCondition.sharedDataDir().resolve("adult/adult.csv");
    Files.writeString(dir.resolve("adult.sql"), """
        CREATE OR REPLACE TEMPORARY VIEW adult
          USING csv OPTIONS (path '%s', header 'true', inferSchema 'false');
        SELECT sex, count(*) AS people, sum(CASE WHEN income = '>50K' THEN 1 ELSE 0 END) AS over_50k,
               round(avg(CASE WHEN income = '>50K' THEN 1.0 ELSE 0.0 END), 3) AS share
          FROM adult GROUP BY sex ORDER BY sex;
        """.formatted(adult));
    Launch.Result r = Launch.run(dir, new Launch.SharedSessions(SparkTestBase::spark), Map.of(),
        "sql", "-f", "adult.sql", "-Dlakeops.lakehouse.root=" + dir.resolve("lakehouse"));
    assertEquals(0, r.exitCode(), r.err());
    assertEquals(List.of(
        "OK",
        "sex    | people | over_50k | share",
        "-------+--------+----------+------",
        "Female |  16192 |     1769 | 0.109",
        "Male   |  32650 |     9918 | 0.304",
        "(2 rows)"), r.outLines().subList(0, 6));
    assertEquals(2, r.json().get("rows_out").asInt());
  }
}
