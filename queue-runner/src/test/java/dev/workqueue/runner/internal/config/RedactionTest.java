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

  /** Such a URL is invalid, so it shows up in validation messages as given. */
  @Test
  void redactsEverythingUpToTheLastAtSignWhenThePasswordHoldsSlashesOrAtSigns() {
    assertThat(Redaction.redactUrl("but was \"redis://app:ab/cd+ef@127.0.0.1:6481\""))
        .isEqualTo("but was \"redis://app:******@127.0.0.1:6481\"");
    assertThat(Redaction.redactUrl("redis://app:ab@cd@127.0.0.1:6481/0"))
        .isEqualTo("redis://app:******@127.0.0.1:6481/0");
    assertThat(Redaction.redactUrl("redis://p/q@r@cache")).isEqualTo("redis://******@cache");
  }

  /** A Redis URL with either is invalid and shown as given, and the query may hold a password. */
  @Test
  void aConfiguredUrlValueLosesItsQueryAndFragmentToo() {
    assertThat(Redaction.redactUrlValue("redis://app:pw@cache:6379/0?password=hunter2&x=1"))
        .isEqualTo("redis://app:******@cache:6379/0?******");
    assertThat(Redaction.redactUrlValue("redis://cache#hunter2")).isEqualTo("redis://cache#******");
    assertThat(Redaction.redactUrlValue("cache?x")).isEqualTo("cache?x");
  }

  @Test
  void redactsEachOfSeveralUrlsInOneWord() {
    assertThat(Redaction.redactUrl("[redis://a:one@h1:1,redis://b:t@wo@h2:2]"))
        .isEqualTo("[redis://a:******@h1:1,redis://b:******@h2:2]");
    assertThat(Redaction.redactUrl("must be a URL such as redis://host:6379 or rediss://host:6380/0, "
        + "but was \"redis://app:x/y@cache\"")).isEqualTo("must be a URL such as redis://host:6379 or "
        + "rediss://host:6380/0, but was \"redis://app:******@cache\"");
  }
}
