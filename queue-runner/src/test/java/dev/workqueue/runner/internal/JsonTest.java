package dev.workqueue.runner.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void writesNestedValuesAndEscapesStrings() {
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("name", "a \"quoted\"\nline\u0001");
    document.put("count", 3);
    document.put("rate", 1.5);
    document.put("nothing", null);
    document.put("items", List.of(true, Double.NaN));

    assertThat(Json.write(document)).isEqualTo(
        "{\"name\":\"a \\\"quoted\\\"\\nline\\u0001\",\"count\":3,\"rate\":1.5,\"nothing\":null,\"items\":[true,null]}");
    assertThat(Json.write(Arrays.asList("x", null))).isEqualTo("[\"x\",null]");
  }
}
