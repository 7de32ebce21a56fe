package io.ccotel.gateway.exporters;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.ccotel.gateway.core.config.ConfigNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/** Loads a YAML file from the test resources as the {@link ConfigNode} of one exporter section. */
public final class YamlConfig {
  private YamlConfig() {}

  @SuppressWarnings("unchecked")
  public static ConfigNode section(String resource, String exporterId) {
    try (InputStream in = YamlConfig.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException("no test resource " + resource);
      }
      Map<String, Object> root = new ObjectMapper(new YAMLFactory()).readValue(in, Map.class);
      return new ConfigNode("", root).child("exporters").child(exporterId);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
