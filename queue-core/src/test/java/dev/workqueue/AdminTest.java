package dev.workqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.workqueue.memory.InMemoryQueueBackend;
import org.junit.jupiter.api.Test;

class AdminTest {
  private static final String NAME_RULE = "1 to 128 characters of letters, digits, '.', '_', ':' or '-'";

  private final InMemoryQueueBackend backend = InMemoryQueueBackend.create();
  private final Admin admin = Admin.of(backend);

  @Test
  void unknownQueueIsReportedWithTheKnownOnes() {
    Producer.builder(backend).defaultQueue("mail").build().enqueue("x");

    assertThatThrownBy(() -> admin.stats("mial"))
        .isInstanceOf(UnknownQueueException.class)
        .hasMessage("queue must be one of the known queues [mail], but was \"mial\"");
  }

  @Test
  void statsCoverEveryKnownQueue() {
    Producer producer = Producer.builder(backend).build();
    producer.enqueue(NewJob.builder("a").queue("q1").build());
    producer.enqueue(NewJob.builder("b").queue("q2").priority("high").build());

    assertThat(admin.stats()).extracting(QueueStats::queue).containsExactly("q1", "q2");
    assertThat(admin.stats("q2").waiting()).containsEntry("high", 1L);
  }

  @Test
  void peekLimitMustBePositive() {
    Producer.builder(backend).build().enqueue("x");
    assertThatThrownBy(() -> admin.peek(Producer.DEFAULT_QUEUE, Producer.DEFAULT_PRIORITY, 0))
        .hasMessage("limit must be at least 1, but was 0");
  }

  @Test
  void peekRefusesAMalformedPriorityWithTheRule() {
    Producer.builder(backend).build().enqueue("x");

    assertThatThrownBy(() -> admin.peek(Producer.DEFAULT_QUEUE, null, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("priority must be " + NAME_RULE + ", but was null");
    assertThatThrownBy(() -> admin.peek(Producer.DEFAULT_QUEUE, "lane}", 10))
        .hasMessage("priority must be " + NAME_RULE + ", but was \"lane}\"");
    assertThatThrownBy(() -> admin.stats(null))
        .hasMessage("queue must be " + NAME_RULE + ", but was null");
  }

  @Test
  void jobByIdNeedsAnIdAndAKnownQueue() {
    String id = Producer.builder(backend).defaultQueue("mail").build().enqueue("x").jobId();

    assertThatThrownBy(() -> admin.deleteJob("mail", " "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("jobId must be a job's id, but was \" \"");
    assertThatThrownBy(() -> admin.requeueDeadJob("mail", null))
        .hasMessage("jobId must be a job's id, but was null");
    assertThatThrownBy(() -> admin.deleteDeadJob("mial", id)).isInstanceOf(UnknownQueueException.class);
    assertThat(admin.deleteJob("mail", id)).isEqualTo(1);
    assertThat(admin.stats("mail").totalWaiting()).isZero();
  }
}
