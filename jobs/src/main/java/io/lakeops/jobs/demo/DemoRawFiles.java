package io.lakeops.jobs.demo;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes the demo data set as raw source files, the way an upstream system would drop them:
 * {@code customers.csv}, one {@code transactions/<yyyy-MM-dd>.csv} per day, and
 * {@code churn_labels.csv}. The folder is replaced whole, so a re-run never mixes data sets.
 */
public final class DemoRawFiles {

  public static final String CUSTOMERS_HEADER =
      "customer_id,signup_date,region,age,gender,plan,email_opt_in";
  public static final String TRANSACTIONS_HEADER =
      "transaction_id,customer_id,ts,amount,category,channel";
  public static final String LABELS_HEADER = "customer_id,label_date,churned_within_60d";

  private DemoRawFiles() {}

  /** Where each part went. */
  public record Written(String folder, String customers, String transactionsFolder,
      int transactionFiles, String labels) {}

  public static Written write(DemoDataset data, String folder, Configuration hadoopConf) throws IOException {
    Path root = new Path(folder);
    // A private instance: switching checksums off on the cached one would affect every later
    // write of this JVM, Delta's included.
    try (FileSystem fs = FileSystem.newInstance(root.toUri(), hadoopConf)) {
      fs.setWriteChecksum(false);
      fs.delete(root, true);
      fs.mkdirs(root);

      Path customers = new Path(root, "customers.csv");
      try (Writer w = open(fs, customers)) {
        w.write(CUSTOMERS_HEADER + "\n");
        for (DemoDataset.Customer c : data.customers()) {
          w.write(c.customerId() + "," + c.signupDate() + "," + c.region() + "," + c.age() + ","
              + c.gender() + "," + c.plan() + "," + c.emailOptIn() + "\n");
        }
      }

      Map<LocalDate, StringBuilder> byDay = new TreeMap<>();
      for (DemoDataset.Transaction t : data.transactions()) {
        byDay.computeIfAbsent(LocalDate.ofInstant(t.ts(), ZoneOffset.UTC), d -> new StringBuilder())
            .append(t.transactionId()).append(',').append(t.customerId()).append(',')
            .append(t.ts()).append(',').append(String.format(Locale.ROOT, "%.2f", t.amount()))
            .append(',').append(t.category()).append(',').append(t.channel()).append('\n');
      }
      Path transactions = new Path(root, "transactions");
      for (Map.Entry<LocalDate, StringBuilder> day : byDay.entrySet()) {
        try (Writer w = open(fs, new Path(transactions, day.getKey() + ".csv"))) {
          w.write(TRANSACTIONS_HEADER + "\n");
          w.write(day.getValue().toString());
        }
      }

      Path labels = new Path(root, "churn_labels.csv");
      try (Writer w = open(fs, labels)) {
        w.write(LABELS_HEADER + "\n");
        for (DemoDataset.ChurnLabel l : data.labels()) {
          w.write(l.customerId() + "," + l.labelDate() + "," + l.churnedWithin60d() + "\n");
        }
      }
      return new Written(root.toString(), customers.toString(), transactions.toString(),
          byDay.size(), labels.toString());
    }
  }

  private static Writer open(FileSystem fs, Path path) throws IOException {
    return new BufferedWriter(new OutputStreamWriter(fs.create(path, true), StandardCharsets.UTF_8));
  }
}
