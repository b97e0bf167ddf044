package io.lakeops.jobs.features;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.lakeops.features.definition.FeatureGroup;
import io.lakeops.features.pit.FeatureRequest;
import io.lakeops.features.trainingset.SpineSource;
import io.lakeops.features.trainingset.TrainingSetSpec;
import io.lakeops.jobs.config.ClosestKey;
import io.lakeops.jobs.config.ConfigProblem;
import io.lakeops.jobs.config.DefinitionReader;
import io.lakeops.jobs.config.InvalidConfigException;
import io.lakeops.jobs.config.SettingsReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a training set spec ({@code conf/training-sets/*.conf}) strictly, before Spark starts,
 * and resolves its feature references against the feature group definitions: every unknown key,
 * group or feature, bad identifier or alias clash is reported with file, line and the closest
 * known name (exit 2).
 */
public final class TrainingSetSpecLoader {

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private TrainingSetSpecLoader() {}

  /**
   * @param file the spec
   * @param context the main configuration (for substitutions)
   * @param groups the feature group definitions by name
   * @param featuresDatabase the database of the feature tables
   * @param trainingDatabase the default database of the output table
   */
  public static TrainingSetSpec load(Path file, Config context, Map<String, FeatureGroup> groups,
      String featuresDatabase, String trainingDatabase) {
    if (!Files.isRegularFile(file)) {
      throw new InvalidConfigException(List.of(new ConfigProblem("--spec", file.toString(),
          "Cannot read the training set spec " + file + ": no such file.")));
    }
    Config raw;
    try {
      raw = ConfigFactory.parseFile(file.toFile(),
          ConfigParseOptions.defaults().setAllowMissing(false).setSyntax(ConfigSyntax.CONF));
      Config resolved = raw.withFallback(context).resolve();
      raw = FeatureGroupLoader.onlyOwnKeys(resolved, raw);
    } catch (ConfigException e) {
      throw new InvalidConfigException(List.of(new ConfigProblem("", ConfigProblem.describe(e.origin()),
          "Cannot read the training set spec " + file + ": " + e.getMessage())));
    }
    List<ConfigProblem> problems = new ArrayList<>();
    DefinitionReader r = new DefinitionReader(raw, "", problems);
    r.unknownKeys(Set.of("name", "description", "spine", "features", "aliases", "keys",
        "as-known-at", "audit-columns", "output-table"));
    String name = r.requiredString("name");
    identifier(r, "name", name);
    String description = r.string("description", "");
    SpineSource spine = null;
    var spineReader = r.object("spine");
    if (spineReader.isEmpty()) {
      r.problem("spine", "Missing 'spine { table = ..., entity-keys = [...], time = ..., label = ... }'.");
    } else {
      DefinitionReader s = spineReader.get();
      s.unknownKeys(Set.of("table", "query", "entity-keys", "time", "label", "carry"));
      String table = s.optionalString("table").orElse(null);
      String query = s.optionalString("query").orElse(null);
      if ((table == null) == (query == null)) {
        s.problem(table == null ? "table" : "query", "Give the spine either 'table' (a Delta table) "
            + "or 'query' (Spark SQL), not " + (table == null ? "neither." : "both."));
      }
      if (table != null && !SettingsReader.isTableName(table)) {
        s.problem("table", "Cannot use '" + table + "' as spine table: expected name or database.name"
            + " (letters, digits, underscore).");
      }
      List<String> keys = s.stringList("entity-keys");
      if (keys.isEmpty()) {
        s.problem("entity-keys", "Missing 'entity-keys': the spine's key columns, such as [customer_id].");
      }
      String time = s.requiredString("time");
      String label = s.requiredString("label");
      List<String> carry = s.stringList("carry");
      List<String> all = new ArrayList<>(keys);
      all.add(time);
      all.add(label);
      all.addAll(carry);
      for (String c : all) {
        identifier(s, "entity-keys", c);
      }
      if ((table == null) != (query == null) && !keys.isEmpty()) {
        spine = new SpineSource(table, query, keys, time, label, carry);
      }
    }
    List<String> refs = r.stringList("features");
    if (refs.isEmpty()) {
      r.problem("features", "Missing 'features': references such as [\"group:*\", \"group:feature\"].");
    }
    Map<String, String> aliases = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : r.entries("aliases").entrySet()) {
      String alias = String.valueOf(e.getValue().unwrapped());
      if (e.getValue().valueType() != ConfigValueType.STRING || !IDENTIFIER.matcher(alias).matches()) {
        r.problem("aliases", "Alias for '" + e.getKey() + "' must be a column name (letters, digits, "
            + "underscore), got " + e.getValue().render());
      }
      aliases.put(e.getKey(), alias);
    }
    Map<String, List<String>> keyMap = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : r.entries("keys").entrySet()) {
      if (e.getValue().valueType() != ConfigValueType.LIST) {
        r.problem("keys", "keys." + e.getKey() + " must be a list of spine columns, got " + e.getValue().render());
        continue;
      }
      List<String> cols = new ArrayList<>();
      ((com.typesafe.config.ConfigList) e.getValue()).forEach(v -> cols.add(String.valueOf(v.unwrapped())));
      keyMap.put(e.getKey(), cols);
    }
    boolean asKnownAt = r.bool("as-known-at", false);
    boolean audit = r.bool("audit-columns", true);
    String output = r.optionalString("output-table").orElse(trainingDatabase + "." + name);
    if (!SettingsReader.isTableName(output)) {
      r.problem("output-table", "Cannot use '" + output + "' as output table: expected name or "
          + "database.name (letters, digits, underscore).");
    }

    // Resolve the references, in order; one request per group.
    Map<String, List<FeatureRequest.Feature>> byGroup = new LinkedHashMap<>();
    Set<String> usedAliases = new HashSet<>();
    for (String ref : refs) {
      int colon = ref.indexOf(':');
      if (colon <= 0 || colon == ref.length() - 1) {
        r.problem("features", "Cannot read feature reference '" + ref + "': write group:feature or group:*.");
        continue;
      }
      String groupName = ref.substring(0, colon);
      String feature = ref.substring(colon + 1);
      FeatureGroup group = groups.get(groupName);
      if (group == null) {
        r.problem("features", "Unknown feature group '" + groupName + "' in '" + ref + "'."
            + (groups.isEmpty() ? " No groups are defined." : " The closest is '"
                + ClosestKey.find(groupName, List.copyOf(groups.keySet())) + "'."));
        continue;
      }
      List<String> names = feature.equals("*") ? group.featureNames() : List.of(feature);
      if (!feature.equals("*") && !group.featureNames().contains(feature)) {
        r.problem("features", "Feature group '" + groupName + "' has no feature '" + feature
            + "'. The closest is '" + ClosestKey.find(feature, group.featureNames()) + "'; its features: "
            + group.featureNames() + ".");
        continue;
      }
      List<FeatureRequest.Feature> list = byGroup.computeIfAbsent(groupName, g -> new ArrayList<>());
      for (String f : names) {
        if (list.stream().anyMatch(x -> x.name().equals(f))) {
          continue;
        }
        String out = aliases.getOrDefault(groupName + ":" + f, groupName + "__" + f);
        list.add(new FeatureRequest.Feature(f, out));
        usedAliases.add(groupName + ":" + f);
      }
    }
    for (String a : aliases.keySet()) {
      if (!usedAliases.contains(a)) {
        r.problem("aliases", "Alias for '" + a + "', which is not among the requested features.");
      }
    }
    for (String g : keyMap.keySet()) {
      if (!byGroup.containsKey(g)) {
        r.problem("keys", "keys." + g + " names a group that no feature reference uses.");
      }
    }
    List<FeatureRequest> requests = new ArrayList<>();
    if (spine != null) {
      for (Map.Entry<String, List<FeatureRequest.Feature>> e : byGroup.entrySet()) {
        FeatureGroup group = groups.get(e.getKey());
        List<String> spineKeys = keyMap.getOrDefault(e.getKey(), spine.entityKeys());
        if (spineKeys.size() != group.entityKeys().size()) {
          r.problem("keys", "Feature group '" + group.name() + "' has entity keys " + group.entityKeys()
              + " but is joined on spine column(s) " + spineKeys + ". Set keys." + group.name()
              + " = [one spine column per entity key].");
          continue;
        }
        requests.add(new FeatureRequest(group.name(), featuresDatabase + "." + group.name(), null,
            group.entityKeys(), spineKeys, e.getValue(), group.ttl()));
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(problems);
    }
    return new TrainingSetSpec(name, description, spine, refs, requests, asKnownAt, audit, output);
  }

  private static void identifier(DefinitionReader r, String key, String value) {
    if (value != null && !value.isEmpty() && !IDENTIFIER.matcher(value).matches()) {
      r.problem(key, "Cannot use '" + value + "' as a name: letters, digits and underscore only.");
    }
  }
}
