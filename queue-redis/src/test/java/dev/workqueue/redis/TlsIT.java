package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.Consumer;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.QueueException;
import dev.workqueue.testkit.redis.RedisServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code rediss://} against a redis-server with a certificate from a test CA made by openssl. */
class TlsIT {
  private static Path certificates;
  private static RedisServer redis;
  private static int tlsPort;
  private static SSLSocketFactory trustingTestCa;

  @BeforeAll
  static void startTlsRedis() throws Exception {
    certificates = Files.createTempDirectory("workqueue-tls-");
    Assumptions.assumeTrue(openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
        "-out", "ca.crt", "-days", "1", "-subj", "/CN=workqueue-test-ca"), "openssl is not available");
    Files.writeString(certificates.resolve("san.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    assertThat(openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=localhost")).isTrue();
    assertThat(openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "san.cnf")).isTrue();
    tlsPort = RedisServer.freePort();
    try {
      redis = RedisServer.builder().options("--tls-port", Integer.toString(tlsPort),
          "--tls-cert-file", certificates.resolve("server.crt").toString(),
          "--tls-key-file", certificates.resolve("server.key").toString(),
          "--tls-ca-cert-file", certificates.resolve("ca.crt").toString(),
          "--tls-auth-clients", "no").start();
    } catch (IllegalStateException e) {
      Assumptions.abort("this redis-server cannot serve TLS: " + e.getMessage());
    }
    trustingTestCa = sslSocketFactoryTrusting(certificates.resolve("ca.crt"));
  }

  @AfterAll
  static void stopRedis() throws IOException {
    if (redis != null) {
      redis.close();
    }
    try (var files = Files.walk(certificates)) {
      files.sorted((a, b) -> b.compareTo(a)).forEach(path -> path.toFile().delete());
    }
  }

  @Test
  void jobsFlowOverTls() {
    Set<String> ran = ConcurrentHashMap.newKeySet();
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url("rediss://127.0.0.1:" + tlsPort)
            .sslSocketFactory(trustingTestCa).namespace("tls").build();
        Producer producer = Producer.builder(backend).defaultQueue("secure").build();
        Consumer consumer = Consumer.builder(backend, job -> ran.add(job.payloadAsString()))
            .queue("secure").fetchWait(Duration.ofMillis(300)).build()) {
      consumer.start();
      producer.enqueueAll(List.of(NewJob.of("one"), NewJob.of("two")));
      await().atMost(Duration.ofSeconds(20)).until(() -> ran.containsAll(List.of("one", "two")));
    }
  }

  @Test
  void serverCertificateFromAnUntrustedCaIsRefused() {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url("rediss://127.0.0.1:" + tlsPort).build()) {
      assertThatThrownBy(backend::ping).isInstanceOf(QueueException.class);
    }
  }

  private static boolean openssl(String... arguments) throws InterruptedException {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(arguments));
    try {
      Process process = new ProcessBuilder(command).directory(certificates.toFile()).redirectErrorStream(true)
          .redirectOutput(certificates.resolve("openssl.log").toFile()).start();
      return process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    }
  }

  private static SSLSocketFactory sslSocketFactoryTrusting(Path caCertificate) throws Exception {
    KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
    trusted.load(null, null);
    try (InputStream in = Files.newInputStream(caCertificate)) {
      trusted.setCertificateEntry("test-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context.getSocketFactory();
  }
}
