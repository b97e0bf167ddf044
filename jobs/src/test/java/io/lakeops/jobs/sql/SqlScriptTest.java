package io.lakeops.jobs.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class SqlScriptTest {

  @Test
  void splitsAtSemicolonsOutsideQuotesAndComments() {
    String script = """
        -- a comment; not a statement
        SELECT 'a;b' AS x, "c;d" AS `e;f`;
        /* block; comment */ SELECT 2;
        SELECT 'it''s; fine'
        ;;
        """;
    assertEquals(List.of(
        "-- a comment; not a statement\nSELECT 'a;b' AS x, \"c;d\" AS `e;f`",
        "/* block; comment */ SELECT 2",
        "SELECT 'it''s; fine'"), SqlScript.statements(script));
  }

  @Test
  void backslashEscapesInsideStringsAndEmptyScripts() {
    assertEquals(List.of("SELECT 'a\\';b'", "SELECT 1"), SqlScript.statements("SELECT 'a\\';b'; SELECT 1"));
    assertEquals(List.of(), SqlScript.statements(" ; -- only a comment\n ; /* x */"));
    assertEquals(List.of("SHOW TABLES"), SqlScript.statements("SHOW TABLES"));
  }
}
