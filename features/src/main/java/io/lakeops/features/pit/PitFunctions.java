package io.lakeops.features.pit;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.lang.ref.WeakReference;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.objects.StaticInvoke;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.AbstractDataType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * Per-row functions of the point-in-time join as Catalyst {@link StaticInvoke} expressions: the
 * generated code calls these static methods with primitive arguments, where a Java UDF would box
 * every argument and result (about a sixth of the narrow scan's time in a profile). The state
 * they need (the range bounds) travels as a binary literal in the plan, so it
 * reaches executors like any other literal; each task thread decodes it once and keeps it while
 * the same literal comes back.
 */
public final class PitFunctions {

  private PitFunctions() {}

  /** Per thread: the last literal seen and what it decoded to. */
  private static final ThreadLocal<Object[]> BOUNDS = ThreadLocal.withInitial(() -> new Object[2]);

  @SuppressWarnings("unchecked")
  private static <T> T decoded(ThreadLocal<Object[]> cache, byte[] literal, Function<byte[], T> decode) {
    Object[] c = cache.get();
    if (c[0] == null || ((WeakReference<byte[]>) c[0]).get() != literal) {
      c[1] = decode.apply(literal);
      c[0] = new WeakReference<>(literal);
    }
    return (T) c[1];
  }

  /** The shuffle route of a row with key hash {@code hash} and time {@code time} (micros). */
  public static int route(byte[] bounds, long hash, long time) {
    RangeBounds b = decoded(BOUNDS, bounds, PitFunctions::readBounds);
    return b.route(b.partition(hash, time));
  }

  /** {@link #route(byte[], long, long)} as a column, with the bounds as a binary literal. */
  static Column route(RangeBounds bounds, Column hash, Column time) {
    return call("route", DataTypes.IntegerType, functions.lit(writeBounds(bounds)), hash, time);
  }

  /** A static call of {@code method} on the arguments, as a column. */
  private static Column call(String method, DataType type, Column... arguments) {
    List<Expression> args = new java.util.ArrayList<>();
    for (Column c : arguments) {
      args.add(c.expr());
    }
    scala.collection.Seq<Expression> seq =
        scala.collection.JavaConverters.asScalaBufferConverter(args).asScala().toSeq();
    scala.collection.Seq<AbstractDataType> none =
        scala.collection.JavaConverters.asScalaBufferConverter(new java.util.ArrayList<AbstractDataType>())
            .asScala().toSeq();
    return new Column(new StaticInvoke(PitFunctions.class, type, method, seq, none, true, true, true));
  }

  static byte[] writeBounds(RangeBounds bounds) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(bounds);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static RangeBounds readBounds(byte[] bytes) {
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
      return (RangeBounds) in.readObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }
}
