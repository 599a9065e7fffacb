package dev.workqueue.testkit;

import dev.workqueue.memory.InMemoryQueueBackend;
import dev.workqueue.spi.QueueBackend;
import java.time.Duration;

/** The in-memory backend passes the whole backend contract. */
class InMemoryQueueBackendContractTest extends QueueBackendContract {
  @Override
  protected QueueBackend createBackend() {
    return InMemoryQueueBackend.create();
  }

  @Override
  protected QueueBackend createBackend(int deadLetterLimit, Duration deadLetterAge) {
    return InMemoryQueueBackend.builder().deadLetterLimit(deadLetterLimit).deadLetterAge(deadLetterAge)
        .build();
  }
}
