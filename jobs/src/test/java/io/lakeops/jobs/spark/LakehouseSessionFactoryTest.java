package io.lakeops.jobs.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeops.jobs.config.ConfigSources;
import io.lakeops.jobs.config.InvalidConfigException;
import io.lakeops.jobs.config.LakeOpsSettings;
import io.lakeops.jobs.config.StrictConfigLoader;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LakehouseSessionFactoryTest {

  private static LakeOpsSettings settings(Map<String, String> overrides) {
    return LakeOpsSettings.from(new StrictConfigLoader().load(new ConfigSources(Optional.empty(),
        Optional.empty(), Map.of(), Map.of(), overrides)), Path.of("/work/dir"));
  }

  @Test
  void localRunsUseTheEmbeddedLakehouseAndTheUsersSettingsWin() {
    Map<String, String> conf = LakehouseSessionFactory.sessionConf(settings(Map.of(
        "lakeops.spark.local-conf.\"spark.ui.enabled\"", "true",
        "lakeops.spark.conf.\"spark.sql.session.timeZone\"", "Europe/Berlin",
        "lakeops.spark.conf.\"spark.sql.extensions\"", "com.example.Ext",
        "lakeops.spark.conf.\"spark.sql.catalog.spark_catalog\"", "com.example.Catalog")), Map.of());
    assertEquals("local[*]", conf.get("spark.master"));
    assertEquals("/work/dir/lakehouse/warehouse", conf.get("spark.sql.warehouse.dir"));
    assertEquals("jdbc:derby:;databaseName=/work/dir/lakehouse/metastore_db;create=true",
        conf.get("spark.hadoop.javax.jdo.option.ConnectionURL"));
    assertEquals("8", conf.get("spark.sql.shuffle.partitions"));
    assertEquals("true", conf.get("spark.ui.enabled"));
    assertEquals("Europe/Berlin", conf.get("spark.sql.session.timeZone"));
    assertEquals("TIMESTAMP_MICROS", conf.get("spark.sql.parquet.outputTimestampType"));
    assertEquals("com.example.Catalog", conf.get("spark.sql.catalog.spark_catalog"));
    assertEquals("com.example.Ext," + LakehouseSessionFactory.DELTA_EXTENSION, conf.get("spark.sql.extensions"));
  }

  @Test
  void underSparkSubmitTheClustersSettingsStandAndOnlyDeltaIsAdded() {
    Map<String, String> submitted = Map.of("spark.master", "spark://m:7077",
        "spark.sql.shuffle.partitions", "400", "spark.sql.session.timeZone", "UTC",
        "spark.sql.extensions", "com.example.Ext", "spark.sql.parquet.outputTimestampType", "INT96");
    Map<String, String> conf = LakehouseSessionFactory.sessionConf(settings(Map.of(
        "lakeops.spark.conf.\"spark.sql.shuffle.partitions\"", "16")), submitted);
    assertFalse(conf.containsKey("spark.master"));
    assertFalse(conf.containsKey("spark.sql.warehouse.dir"), "the cluster's warehouse stands");
    assertFalse(conf.containsKey("spark.sql.shuffle.partitions"), "spark-submit's --conf wins");
    assertFalse(conf.containsKey("spark.sql.session.timeZone"));
    assertFalse(conf.containsKey("spark.sql.parquet.outputTimestampType"), "spark-submit's --conf wins");
    assertEquals(LakehouseSessionFactory.DELTA_CATALOG, conf.get("spark.sql.catalog.spark_catalog"));
    assertEquals("com.example.Ext," + LakehouseSessionFactory.DELTA_EXTENSION, conf.get("spark.sql.extensions"));
  }

  @Test
  void theCatalogFollowsConfiguration() {
    assertTrue(LakehouseSessionFactory.useHiveCatalog(Map.of(), Map.of()));
    assertFalse(LakehouseSessionFactory.useHiveCatalog(
        Map.of("spark.sql.catalogImplementation", "in-memory"), Map.of()));
    assertFalse(LakehouseSessionFactory.useHiveCatalog(Map.of(),
        Map.of("spark.sql.catalogImplementation", "in-memory")));
  }

  @Test
  void fileUrisAreLocalPathsAndOtherSchemesCannotHoldALocalMetastore() {
    assertEquals("/tmp/lh/metastore_db", LakehouseSessionFactory.localPath("file:///tmp/lh/metastore_db"));
    assertEquals("/tmp/lh", LakehouseSessionFactory.localPath("/tmp/lh"));
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> LakehouseSessionFactory.localPath("hdfs://nn/lh"));
    assertTrue(e.getMessage().contains("a local run needs a local path"), e.getMessage());
  }
}
