package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.Consumer;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.QueueException;
import dev.workqueue.RateLimiterConfig;
import dev.workqueue.redis.RedisRateLimiter.WhenUnavailable;
import dev.workqueue.testkit.redis.RedisServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
  /** Serves a certificate from the test CA for another host name than the one clients dial. */
  private static RedisServer elsewhere;
  private static int elsewherePort;
  private static SSLSocketFactory trustingTestCa;
  private static RedisServer expired;
  private static int expiredPort;
  private static RedisServer demandingClientCertificates;
  private static int demandingPort;

  @BeforeAll
  static void startTlsRedis() throws Exception {
    certificates = Files.createTempDirectory("workqueue-tls-");
    Assumptions.assumeTrue(openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
        "-out", "ca.crt", "-days", "1", "-subj", "/CN=workqueue-test-ca"), "openssl is not available");
    certificate("server", "localhost", "IP:127.0.0.1,DNS:localhost");
    certificate("elsewhere", "elsewhere.example", "DNS:elsewhere.example");
    certificate("expired", "localhost", "IP:127.0.0.1,DNS:localhost", -1);
    tlsPort = RedisServer.freePort();
    elsewherePort = RedisServer.freePort();
    try {
      redis = tlsServer("server", tlsPort, false);
      elsewhere = tlsServer("elsewhere", elsewherePort, false);
      expiredPort = RedisServer.freePort();
      expired = tlsServer("expired", expiredPort, false);
      demandingPort = RedisServer.freePort();
      demandingClientCertificates = tlsServer("server", demandingPort, true);
    } catch (IllegalStateException e) {
      Assumptions.abort("this redis-server cannot serve TLS: " + e.getMessage());
    }
    trustingTestCa = sslSocketFactoryTrusting(certificates.resolve("ca.crt"));
  }

  /** {@code <name>.crt} and {@code .key}, signed by the test CA for the given subject alternative names. */
  private static void certificate(String name, String commonName, String subjectAltNames) throws Exception {
    certificate(name, commonName, subjectAltNames, 1);
  }

  private static void certificate(String name, String commonName, String subjectAltNames, int days)
      throws Exception {
    Files.writeString(certificates.resolve(name + ".cnf"), "subjectAltName=" + subjectAltNames + "\n");
    assertThat(openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key",
        "-out", name + ".csr", "-subj", "/CN=" + commonName)).isTrue();
    assertThat(openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", name + ".crt", "-days", Integer.toString(days), "-extfile", name + ".cnf"))
        .isTrue();
  }

  private static RedisServer tlsServer(String certificate, int port, boolean authClients) {
    return RedisServer.builder().options("--tls-port", Integer.toString(port),
        "--tls-cert-file", certificates.resolve(certificate + ".crt").toString(),
        "--tls-key-file", certificates.resolve(certificate + ".key").toString(),
        "--tls-ca-cert-file", certificates.resolve("ca.crt").toString(),
        "--tls-auth-clients", authClients ? "yes" : "no").start();
  }

  @AfterAll
  static void stopRedis() throws IOException {
    for (RedisServer server : new RedisServer[] {redis, elsewhere, expired, demandingClientCertificates}) {
      if (server != null) {
        server.close();
      }
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
  void aServerCertificateFromAnUntrustedCaIsAPermanentErrorNamingTheServer() {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url("rediss://127.0.0.1:" + tlsPort).build();
        RedisRateLimiter limiter = RedisRateLimiter.builder("rediss://127.0.0.1:" + tlsPort, "tls",
            RateLimiterConfig.of(10)).whenUnavailable(WhenUnavailable.FALLBACK_LOCAL).build()) {
      assertThatThrownBy(backend::ping).isExactlyInstanceOf(QueueException.class)
          .hasMessageStartingWith("TLS certificate of 127.0.0.1:" + tlsPort + " rejected: ")
          .hasMessageContaining("PKIX path building failed");
      assertThatThrownBy(() -> limiter.tryAcquire(1)).isExactlyInstanceOf(QueueException.class)
          .hasMessageStartingWith("TLS certificate of 127.0.0.1:" + tlsPort + " rejected: ");
    }
  }

  @Test
  void aServerCertificateForAnotherHostIsAPermanentErrorNamingTheServer() {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url("rediss://127.0.0.1:" + elsewherePort)
        .sslSocketFactory(trustingTestCa).build()) {
      assertThatThrownBy(backend::ping).isExactlyInstanceOf(QueueException.class)
          .hasMessageStartingWith("TLS certificate of 127.0.0.1:" + elsewherePort + " rejected: ")
          .hasMessageContaining("No subject alternative names matching IP address 127.0.0.1");
      assertThatThrownBy(() -> backend.stats("q")).isExactlyInstanceOf(QueueException.class);
    }
  }

  @Test
  void anExpiredServerCertificateIsAPermanentErrorSayingSo() {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url("rediss://127.0.0.1:" + expiredPort)
        .sslSocketFactory(trustingTestCa).build()) {
      assertThatThrownBy(backend::ping).isExactlyInstanceOf(QueueException.class)
          .hasMessageStartingWith("TLS certificate of 127.0.0.1:" + expiredPort + " rejected: ")
          .hasMessageContaining("validity check failed")
          .hasMessageContaining("it must be current");
    }
  }

  /**
   * The server sends its refusal after the handshake; the client sees it as a broken pipe or, now
   * and then, as the certificate_required alert: transient either way, and the password stays out.
   */
  @Test
  void aServerRefusingTheClientsCertificateIsTransientAndLeaksNoPassword() {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url("rediss://127.0.0.1:" + demandingPort)
        .username("app").password("tls-secret").sslSocketFactory(trustingTestCa).build()) {
      assertThatThrownBy(backend::ping).isInstanceOf(BackendUnavailableException.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("tls-secret"));
    }
  }

  @Test
  void aTlsPortThatIsDownIsTransient() {
    try (RedisQueueBackend backend = RedisQueueBackend.builder()
        .url("rediss://127.0.0.1:" + RedisServer.freePort()).sslSocketFactory(trustingTestCa).build()) {
      assertThatThrownBy(backend::ping).isInstanceOf(BackendUnavailableException.class);
    }
  }

  @Test
  void aConnectionResetDuringTheHandshakeIsTransient() throws Exception {
    try (ServerSocket resetting = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        // Resets every connection it accepts (a linger of 0 makes close() send RST), until closed.
        while (true) {
          try (Socket accepted = resetting.accept()) {
            accepted.setSoLinger(true, 0);
          } catch (IOException e) {
            return;
          }
        }
      });
      acceptor.start();
      try (RedisQueueBackend backend = RedisQueueBackend.builder()
          .url("rediss://127.0.0.1:" + resetting.getLocalPort()).sslSocketFactory(trustingTestCa).build()) {
        assertThatThrownBy(backend::ping).isInstanceOf(BackendUnavailableException.class);
      }
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
