package dev.workqueue.testkit;

import dev.workqueue.memory.InMemoryQueueBackend;
import dev.workqueue.spi.QueueBackend;

/** The in-memory backend passes the whole backend contract. */
class InMemoryQueueBackendContractTest extends QueueBackendContract {
  @Override
  protected QueueBackend createBackend() {
    return InMemoryQueueBackend.create();
  }
}
