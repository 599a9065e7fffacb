package dev.workqueue.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.Consumer;
import dev.workqueue.DeadLetter;
import dev.workqueue.InvalidJobException;
import dev.workqueue.Job;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.RetryPolicy;
import dev.workqueue.UnrecoverableJobException;
import dev.workqueue.memory.InMemoryQueueBackend;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JsonJobsTest {
  private static final Duration PATIENCE = Duration.ofSeconds(20);

  record Invoice(String customer, long cents, List<String> lines) {}

  private final InMemoryQueueBackend backend = InMemoryQueueBackend.create();
  private final Producer producer = Producer.builder(backend).defaultQueue("invoices").build();
  private final JsonJobs json = JsonJobs.create();

  @AfterEach
  void closeBackend() {
    backend.close();
  }

  @Test
  void aValueEnqueuedAsJsonReachesTheHandlerEqualWithItsJob() {
    Invoice invoice = new Invoice("ada", 1_200, List.of("tea", "cake"));
    String id = producer.enqueue(json.job(invoice).priority("high").build()).jobId();
    List<Invoice> received = new CopyOnWriteArrayList<>();
    List<Job> jobs = new CopyOnWriteArrayList<>();
    try (Consumer consumer = Consumer.builder(backend, json.handler(Invoice.class, (value, job) -> {
          received.add(value);
          jobs.add(job);
        })).queue("invoices").priorities("high", "default").build()) {
      consumer.start();
      await().atMost(PATIENCE).until(() -> received.size() == 1);
    }

    assertThat(received).containsExactly(invoice);
    assertThat(jobs.get(0).id()).isEqualTo(id);
    assertThat(jobs.get(0).headers()).containsEntry("content-type", "application/json");
    assertThat(jobs.get(0).payloadAsString())
        .isEqualTo("{\"customer\":\"ada\",\"cents\":1200,\"lines\":[\"tea\",\"cake\"]}");
  }

  /** Retrying cannot mend a payload that does not decode: it is dead-lettered on its first attempt. */
  @Test
  void aPayloadThatIsNotJsonOfTheTypeIsDeadLetteredAtOnceWithTheReason() {
    producer.enqueue(NewJob.of("{\"customer\": \"ada\", \"cents\": \"lots\"}"));
    List<Invoice> received = new CopyOnWriteArrayList<>();
    try (Consumer consumer =
        Consumer.builder(backend, json.handler(Invoice.class, (value, job) -> received.add(value)))
            .queue("invoices").retryPolicy(RetryPolicy.builder().maxAttempts(5).build()).build()) {
      consumer.start();
      await().atMost(PATIENCE).until(() -> backend.stats("invoices").dead() == 1);
    }

    DeadLetter letter = backend.peekDead("invoices", 1).get(0);
    assertThat(letter.job().attempt()).isEqualTo(1);
    assertThat(letter.error().type()).isEqualTo(UnrecoverableJobException.class.getName());
    assertThat(letter.error().message()).startsWith("payload of job " + letter.jobId() + " is not JSON of "
        + Invoice.class.getName() + ": ").contains("lots");
    assertThat(received).isEmpty();
  }

  @Test
  void aValueTheMapperCannotWriteIsRefusedAtTheProducerWithTheReason() {
    assertThatThrownBy(() -> json.job(InputStream.nullInputStream()))
        .isInstanceOf(InvalidJobException.class)
        .hasMessageStartingWith("payload cannot be written as JSON: ");
  }

  @Test
  void readGivesMapsAndScalarsToo() {
    Instant now = Instant.now();
    Job job = new Job("j-1", "q", "default", "{\"a\":[1,2]}".getBytes(), 1, 0, now, now, Map.of(), null);

    assertThat(json.read(job, Map.class)).isEqualTo(Map.of("a", List.of(1, 2)));
  }
}
