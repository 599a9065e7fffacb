package dev.workqueue.runner.internal.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedactionTest {
  @Test
  void replacesPasswordsInUrlsAndKeepsTheRest() {
    assertThat(Redaction.redactUrl("redis://app:hunter2@cache:6379/0"))
        .isEqualTo("redis://app:******@cache:6379/0");
    assertThat(Redaction.redactUrl("cannot reach rediss://:hunter2@cache:6380 now"))
        .isEqualTo("cannot reach rediss://:******@cache:6380 now");
    assertThat(Redaction.redactUrl("redis://hunter2@cache")).isEqualTo("redis://******@cache");
    assertThat(Redaction.redactUrl("redis://cache:6379")).isEqualTo("redis://cache:6379");
  }
}
