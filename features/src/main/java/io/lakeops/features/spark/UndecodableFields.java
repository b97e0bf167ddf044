package io.lakeops.features.spark;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.api.java.UDF1;

/**
 * The 1-based positions of the fields of one delimited line (its raw bytes) that hold bytes that
 * are not text in the source's encoding (UTF-8 unless {@code source.options.encoding} says
 * otherwise); empty for a good line. Spark's text reader keeps a line's bytes as they are and
 * turns invalid ones into U+FFFD only when the text is read, so a free-text column would take
 * them silently; naming the column lets the validator quarantine the row instead. Invalid bytes
 * are decoded to a lone surrogate (which no valid input decodes to), the line is split as
 * {@link LineSplitter} splits it, and the fields holding that mark are the bad ones. A bad line
 * whose quotes do not close gives {@code [0]} (the line itself).
 */
public final class UndecodableFields implements UDF1<byte[], Integer[]> {
  private static final long serialVersionUID = 1L;
  private static final char MARK = '\uDC80';
  private final String charset;
  private final String delimiter;

  public UndecodableFields(String charset, String delimiter) {
    this.charset = charset;
    this.delimiter = delimiter;
  }

  @Override
  public Integer[] call(byte[] line) {
    if (line == null) {
      return new Integer[0];
    }
    Charset cs = Charset.forName(charset);
    try {
      cs.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(line));
      return new Integer[0];
    } catch (CharacterCodingException e) {
      // not text in this encoding: find the fields below
    }
    String text = mark(cs, line);
    if (text.endsWith("\r")) {
      text = text.substring(0, text.length() - 1);
    }
    String[] fields = new LineSplitter(delimiter).call(text);
    if (fields == null) {
      return new Integer[] {0};
    }
    List<Integer> bad = new ArrayList<>();
    for (int i = 0; i < fields.length; i++) {
      if (fields[i].indexOf(MARK) >= 0) {
        bad.add(i + 1);
      }
    }
    return bad.toArray(Integer[]::new);
  }

  private static String mark(Charset cs, byte[] line) {
    try {
      return cs.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
          .onUnmappableCharacter(CodingErrorAction.REPLACE).replaceWith(String.valueOf(MARK))
          .decode(ByteBuffer.wrap(line)).toString();
    } catch (CharacterCodingException e) {
      throw new IllegalStateException(e); // REPLACE does not throw
    }
  }

  /**
   * For a JSON record Spark could not parse ({@code _corrupt_record}, its raw bytes): the 1-based
   * positions of the declared columns whose values hold bytes that are not text in the encoding;
   * {@code [0]} when the record has such bytes but no column can be named, {@code [-1]} when its
   * bytes are text (the record is malformed JSON).
   */
  public static final class Json implements UDF1<byte[], Integer[]> {
    private static final long serialVersionUID = 1L;
    private final String charset;
    private final String[] columns;

    public Json(String charset, List<String> columns) {
      this.charset = charset;
      this.columns = columns.toArray(String[]::new);
    }

    @Override
    public Integer[] call(byte[] record) {
      if (record == null) {
        return new Integer[0];
      }
      Charset cs = Charset.forName(charset);
      try {
        cs.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(record));
        return new Integer[] {-1};
      } catch (CharacterCodingException e) {
        // not text in this encoding: find the columns below
      }
      List<Integer> bad = new ArrayList<>();
      try {
        var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(mark(cs, record));
        for (int i = 0; i < columns.length; i++) {
          var value = node == null ? null : node.get(columns[i]);
          if (value != null && value.toString().indexOf(MARK) >= 0) {
            bad.add(i + 1);
          }
        }
      } catch (java.io.IOException | RuntimeException e) {
        // not JSON even when decoded: the record as a whole
      }
      return bad.isEmpty() ? new Integer[] {0} : bad.toArray(Integer[]::new);
    }
  }

  /** A line's bytes as text in {@code charset} (bad bytes as U+FFFD), for sources not in UTF-8. */
  public static final class Decoder implements UDF1<byte[], String> {
    private static final long serialVersionUID = 1L;
    private final String charset;

    public Decoder(String charset) {
      this.charset = charset;
    }

    @Override
    public String call(byte[] line) {
      return line == null ? null : new String(line, Charset.forName(charset));
    }
  }
}
