package dev.workqueue.redis.internal;

import java.nio.charset.StandardCharsets;

/**
 * The Redis key names of one queue: {@code <namespace>:v1:{<queue>}:<part>}. The braces make the
 * queue name the hash tag, so every key of a queue lives in one Cluster slot and each script
 * touches one slot. Queue and priority names cannot contain braces (see
 * {@link dev.workqueue.internal.Names}). Callers must not modify the returned arrays.
 */
public final class QueueKeys {
  /** The schema version in every key; a new layout takes a new one. */
  public static final String SCHEMA = "v1";

  private final String queue;
  private final String base;
  private final byte[] lanes;
  private final byte[] delayed;
  private final byte[] leases;
  private final byte[] deadlines;
  private final byte[] sequence;
  private final byte[] dead;
  private final byte[] completed;
  private final byte[] consumers;
  private final byte[] paused;
  private final byte[] lanePrefix;
  private final byte[] notifyPrefix;
  private final byte[] idempotencyPrefix;

  private QueueKeys(String namespace, String queue) {
    this.queue = queue;
    this.base = namespace + ":" + SCHEMA + ":{" + queue + "}:";
    this.lanes = key("lanes");
    this.delayed = key("delayed");
    this.leases = key("leases");
    this.deadlines = key("deadlines");
    this.sequence = key("seq");
    this.dead = key("dead");
    this.completed = key("completed");
    this.consumers = key("consumers");
    this.paused = key("paused");
    this.lanePrefix = key("lane:");
    this.notifyPrefix = key("notify:");
    this.idempotencyPrefix = key("idem:");
  }

  /** The keys of {@code queue} under {@code namespace}. */
  public static QueueKeys of(String namespace, String queue) {
    return new QueueKeys(namespace, queue);
  }

  /** The registry of queue names, outside every queue's slot: only admin calls read it. */
  public static byte[] registry(String namespace) {
    return bytes(namespace + ":" + SCHEMA + ":queues");
  }

  public String queue() {
    return queue;
  }

  /** Set of the priority names ever enqueued. */
  public byte[] lanes() {
    return lanes;
  }

  /** Sorted set of delayed job elements by run-at ms. */
  public byte[] delayed() {
    return delayed;
  }

  /** Hash of lease token to leased job element. */
  public byte[] leases() {
    return leases;
  }

  /** Sorted set of lease tokens by deadline ms. */
  public byte[] deadlines() {
    return deadlines;
  }

  /** Counter that lease tokens are drawn from. */
  public byte[] sequence() {
    return sequence;
  }

  /** List of dead-letter entries, oldest first. */
  public byte[] dead() {
    return dead;
  }

  /** List of completed jobs as {@code <completion ms>:<job id>}, newest first. */
  public byte[] completed() {
    return completed;
  }

  /** Sorted set of consumer ids by liveness expiry ms. */
  public byte[] consumers() {
    return consumers;
  }

  /** String that exists while the queue is paused. */
  public byte[] paused() {
    return paused;
  }

  /** Prefix of the lane lists; the priority follows. */
  public byte[] lanePrefix() {
    return lanePrefix;
  }

  /** Prefix of the wake-up lists; the priority follows. */
  public byte[] notifyPrefix() {
    return notifyPrefix;
  }

  /** Prefix of the idempotency keys; the producer's key follows. */
  public byte[] idempotencyPrefix() {
    return idempotencyPrefix;
  }

  /** The waiting list of one priority lane. */
  public byte[] lane(String priority) {
    return key("lane:" + priority);
  }

  /**
   * The list that one blocked fetch waits on besides the wake-up lists, so that it alone can be
   * woken when its thread is interrupted; {@code waitId} names that wait.
   */
  public byte[] interruptList(String waitId) {
    return key("interrupt:" + waitId);
  }

  /** The wake-up list that idle consumers of one lane block on. */
  public byte[] notify(String priority) {
    return key("notify:" + priority);
  }

  private byte[] key(String part) {
    return bytes(base + part);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
