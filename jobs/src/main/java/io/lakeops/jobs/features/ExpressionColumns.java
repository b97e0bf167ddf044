package io.lakeops.jobs.features;

import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.spark.sql.catalyst.analysis.UnresolvedAttribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import scala.collection.JavaConverters;

/** The column names a parsed (unresolved) Spark SQL expression refers to. */
final class ExpressionColumns {

  private ExpressionColumns() {}

  static Set<String> referenced(Expression expression) {
    Set<String> names = new LinkedHashSet<>();
    collect(expression, names);
    return names;
  }

  private static void collect(Expression e, Set<String> names) {
    if (e instanceof UnresolvedAttribute attribute) {
      // a.b may be a struct field of column a: the column is the first part.
      names.add(JavaConverters.seqAsJavaList(attribute.nameParts()).get(0));
    }
    for (Expression child : JavaConverters.seqAsJavaList(e.children())) {
      collect(child, names);
    }
  }
}
