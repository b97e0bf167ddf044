package io.lakeops.jobs.demo;

import io.lakeops.jobs.config.LakeOpsSettings;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;

/**
 * The demo's synthetic retail data set, the same on every machine for a given seed.
 *
 * <p>Customers (with {@code gender} as the sensitive attribute) buy at a personal rate that
 * depends on their plan; some churn, after which they buy nothing. Two things are planted for
 * later stages to find:
 * <ul>
 *   <li><b>Bias</b>: at equal behaviour, customers with {@code gender = F} churn at about twice
 *       the hazard of the others, so the label differs by gender beyond what the features explain;
 *   <li><b>Drift</b>: from {@code drift-start-date} on, baskets are 35 % bigger, orders move to
 *       the app, and a category never seen before ({@code subscriptions}) appears.
 * </ul>
 * Labels: on the first of each month (once two months of history exist and while 60 days of
 * future remain), every active customer gets {@code churned_within_60d}.
 */
public final class DemoDataset {

  /** Days after a label date in which a churn counts. */
  public static final int LABEL_HORIZON_DAYS = 60;
  /** The planted drift multiplies basket size by this from the drift start on. */
  public static final double DRIFT_AMOUNT_FACTOR = 1.35;
  /** The planted bias multiplies the churn hazard of gender F by this. */
  public static final double BIAS_HAZARD_FACTOR = 2.0;
  public static final String NEW_CATEGORY = "subscriptions";

  static final String[] REGIONS = {"north", "south", "east", "west"};
  static final double[] REGION_WEIGHTS = {0.30, 0.25, 0.25, 0.20};
  static final String[] GENDERS = {"F", "M", "X"};
  static final double[] GENDER_WEIGHTS = {0.48, 0.48, 0.04};
  static final String[] PLANS = {"basic", "plus", "premium"};
  static final double[] PLAN_WEIGHTS = {0.55, 0.30, 0.15};
  static final double[] PLAN_RATE = {0.06, 0.12, 0.20};
  static final String[] CATEGORIES = {"books", "electronics", "grocery", "home", "toys", NEW_CATEGORY};
  static final double[] CATEGORY_LOG_MEAN = {3.0, 4.6, 3.4, 3.9, 3.3, 2.7};
  static final double[] CATEGORY_WEIGHTS = {0.20, 0.12, 0.38, 0.18, 0.12, 0.0};
  static final double[] CATEGORY_WEIGHTS_DRIFT = {0.17, 0.10, 0.32, 0.15, 0.11, 0.15};
  static final String[] CHANNELS = {"web", "store", "app"};
  static final double[] CHANNEL_WEIGHTS = {0.45, 0.35, 0.20};
  static final double[] CHANNEL_WEIGHTS_DRIFT = {0.30, 0.20, 0.50};

  /** A customer; {@code churnDate} is null for customers who stay. */
  public record Customer(String customerId, LocalDate signupDate, String region, int age,
      String gender, String plan, boolean emailOptIn, double dailyRate, LocalDate churnDate) {}

  public record Transaction(String transactionId, String customerId, Instant ts, double amount,
      String category, String channel) {}

  public record ChurnLabel(String customerId, LocalDate labelDate, boolean churnedWithin60d) {}

  private final List<Customer> customers;
  private final List<Transaction> transactions;
  private final List<ChurnLabel> labels;

  private DemoDataset(List<Customer> customers, List<Transaction> transactions, List<ChurnLabel> labels) {
    this.customers = List.copyOf(customers);
    this.transactions = List.copyOf(transactions);
    this.labels = List.copyOf(labels);
  }

  public List<Customer> customers() {
    return customers;
  }

  /** Transactions in time order. */
  public List<Transaction> transactions() {
    return transactions;
  }

  public List<ChurnLabel> labels() {
    return labels;
  }

  public static DemoDataset generate(LakeOpsSettings.Demo settings) {
    RandomGenerator rng = new Well19937c(settings.seed());
    LocalDate start = settings.startDate();
    LocalDate end = settings.endDateInclusive();
    List<Customer> customers = new ArrayList<>(settings.customers());
    for (int i = 0; i < settings.customers(); i++) {
      customers.add(customer(rng, i, start, end));
    }

    List<Transaction> transactions = new ArrayList<>();
    long sequence = 0;
    for (LocalDate day = start; !day.isAfter(end); day = day.plusDays(1)) {
      boolean drifted = !day.isBefore(settings.driftStartDate());
      double dayFactor = seasonality(day);
      for (Customer c : customers) {
        if (day.isBefore(c.signupDate()) || (c.churnDate() != null && !day.isBefore(c.churnDate()))) {
          continue;
        }
        int n = poisson(rng, c.dailyRate() * dayFactor);
        for (int k = 0; k < n; k++) {
          int category = pick(rng, drifted ? CATEGORY_WEIGHTS_DRIFT : CATEGORY_WEIGHTS);
          String channel = CHANNELS[pick(rng, drifted ? CHANNEL_WEIGHTS_DRIFT : CHANNEL_WEIGHTS)];
          double amount = Math.exp(CATEGORY_LOG_MEAN[category] + 0.55 * rng.nextGaussian());
          if (drifted) {
            amount *= DRIFT_AMOUNT_FACTOR;
          }
          // Shops open 07:00-23:00 UTC; seconds are uniform inside those hours.
          long second = 7 * 3600L + (long) (rng.nextDouble() * 16 * 3600);
          Instant ts = day.atStartOfDay(ZoneOffset.UTC).toInstant().plusSeconds(second);
          transactions.add(new Transaction(String.format("T%09d", ++sequence), c.customerId(), ts,
              Math.round(amount * 100) / 100.0, CATEGORIES[category], channel));
        }
      }
    }
    transactions.sort(java.util.Comparator.comparing(Transaction::ts)
        .thenComparing(Transaction::transactionId));

    List<ChurnLabel> labels = new ArrayList<>();
    for (LocalDate labelDate = start.plusMonths(2).withDayOfMonth(1);
        !labelDate.plusDays(LABEL_HORIZON_DAYS).isAfter(end);
        labelDate = labelDate.plusMonths(1)) {
      for (Customer c : customers) {
        boolean active = !c.signupDate().isAfter(labelDate)
            && (c.churnDate() == null || c.churnDate().isAfter(labelDate));
        if (active) {
          boolean churned = c.churnDate() != null
              && !c.churnDate().isAfter(labelDate.plusDays(LABEL_HORIZON_DAYS));
          labels.add(new ChurnLabel(c.customerId(), labelDate, churned));
        }
      }
    }
    return new DemoDataset(customers, transactions, labels);
  }

  private static Customer customer(RandomGenerator rng, int index, LocalDate start, LocalDate end) {
    String id = String.format("C%06d", index + 1);
    // Most customers signed up before the year; a quarter join during it.
    LocalDate signup = rng.nextDouble() < 0.75
        ? start.minusDays(1 + rng.nextInt(730))
        : start.plusDays(rng.nextInt((int) (end.toEpochDay() - start.toEpochDay() - 60)));
    String region = REGIONS[pick(rng, REGION_WEIGHTS)];
    int age = (int) Math.max(18, Math.min(85, Math.round(40 + 13 * rng.nextGaussian())));
    String gender = GENDERS[pick(rng, GENDER_WEIGHTS)];
    int plan = pick(rng, PLAN_WEIGHTS);
    boolean optIn = rng.nextDouble() < 0.6;
    double rate = PLAN_RATE[plan] * Math.exp(0.5 * rng.nextGaussian() - 0.125);

    // Monthly churn hazard from behaviour, plus the planted bias on gender F.
    double logit = -3.4 + (plan == 0 ? 0.8 : 0.0) - (optIn ? 0.5 : 0.0) - 6.0 * rate
        + (age < 25 ? 0.4 : 0.0);
    double monthly = 1.0 / (1.0 + Math.exp(-logit));
    if ("F".equals(gender)) {
      monthly = Math.min(0.95, monthly * BIAS_HAZARD_FACTOR);
    }
    double daily = 1.0 - Math.pow(1.0 - monthly, 1.0 / 30.0);
    LocalDate churn = null;
    LocalDate from = signup.isAfter(start) ? signup.plusDays(30) : start;
    for (LocalDate d = from; !d.isAfter(end); d = d.plusDays(1)) {
      if (rng.nextDouble() < daily) {
        churn = d;
        break;
      }
    }
    return new Customer(id, signup, region, age, gender, PLANS[plan], optIn, rate, churn);
  }

  /** Busier weekends and a December peak. */
  private static double seasonality(LocalDate day) {
    double weekday = switch (day.getDayOfWeek()) {
      case SATURDAY, SUNDAY -> 1.3;
      default -> 0.88;
    };
    double month = day.getMonthValue() == 12 ? 1.4 : 1.0;
    return weekday * month;
  }

  /** Knuth's method; fine for the small daily rates here. */
  private static int poisson(RandomGenerator rng, double mean) {
    double limit = Math.exp(-mean);
    double product = rng.nextDouble();
    int n = 0;
    while (product > limit) {
      n++;
      product *= rng.nextDouble();
    }
    return n;
  }

  private static int pick(RandomGenerator rng, double[] weights) {
    double total = 0;
    for (double w : weights) {
      total += w;
    }
    double u = rng.nextDouble() * total;
    for (int i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u < 0) {
        return i;
      }
    }
    int last = weights.length - 1; // rounding left u at 0: take the last possible choice
    while (weights[last] == 0.0) {
      last--;
    }
    return last;
  }
}
