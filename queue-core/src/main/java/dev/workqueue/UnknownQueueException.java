package dev.workqueue;

/** An admin operation named a queue the backend holds nothing for. */
public class UnknownQueueException extends QueueException {
  public UnknownQueueException(String queue, java.util.List<String> known) {
    super("queue must be one of the known queues " + known + ", but was \"" + queue + "\"");
  }
}
