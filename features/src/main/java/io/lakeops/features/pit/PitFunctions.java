package io.lakeops.features.pit;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.objects.Invoke;
import org.apache.spark.sql.types.AbstractDataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.ObjectType;

/**
 * Per-row functions of the point-in-time join as Catalyst {@link Invoke} expressions: the
 * generated code calls a method of an object held by the plan (a literal of an object type,
 * which Spark's code generation keeps in the generated class's references and ships to executors
 * with the plan) with primitive arguments. A Java UDF would box every argument and result (about
 * a sixth of the narrow scan's time in a profile); a static function that decodes its state from
 * a binary literal needs a per-thread cache lookup per row (a twentieth of the map side).
 * The generated code does not depend on the state, so Spark's cache of compiled code serves
 * every join with the same shape.
 */
public final class PitFunctions {

  private PitFunctions() {}

  /** The shuffle route of rows by (key hash, time in micros): public for the generated code. */
  public static final class Router implements Serializable {
    private static final long serialVersionUID = 1L;
    private final RangeBounds bounds;

    Router(RangeBounds bounds) {
      this.bounds = bounds;
    }

    /** The value to hash-partition on for a row with key hash {@code hash} and time {@code time}. */
    public int route(long hash, long time) {
      return bounds.route(bounds.partition(hash, time));
    }

    @Override
    public String toString() {
      return "PitRouter(" + bounds.partitions() + " partitions)";
    }
  }

  /** The shuffle route of each row, as a column ({@link Router#route}). */
  static Column route(RangeBounds bounds, Column hash, Column time) {
    Literal router = new Literal(new Router(bounds), new ObjectType(Router.class));
    List<Expression> args = List.of(hash.expr(), time.expr());
    scala.collection.Seq<Expression> seq =
        scala.collection.JavaConverters.asScalaBufferConverter(args).asScala().toSeq();
    scala.collection.Seq<AbstractDataType> none =
        scala.collection.JavaConverters.asScalaBufferConverter(new java.util.ArrayList<AbstractDataType>())
            .asScala().toSeq();
    return new Column(new Invoke(router, "route", DataTypes.IntegerType, seq, none, true, true, true));
  }
}
