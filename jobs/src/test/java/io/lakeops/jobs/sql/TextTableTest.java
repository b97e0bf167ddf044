package io.lakeops.jobs.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextTableTest {

  @Test
  void alignsColumnsRightAlignsNumbersAndPrintsNulls() {
    String table = TextTable.render(List.of("name", "n"),
        List.of(List.of("alpha", "1"), Arrays.asList(null, "12345"), List.of("b\nc", "7")),
        List.of(false, true));
    assertEquals("""
        name  | n
        ------+------
        alpha |     1
        NULL  | 12345
        b\\nc  |     7
        """, table);
  }
}
