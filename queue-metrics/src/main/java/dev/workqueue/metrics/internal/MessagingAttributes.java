package dev.workqueue.metrics.internal;

import io.opentelemetry.api.common.AttributeKey;

/**
 * Span attribute keys: those of the OpenTelemetry messaging semantic conventions, spelled out here
 * so that the library needs the API only, and the workqueue-specific ones.
 */
public final class MessagingAttributes {
  public static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
  public static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
  public static final AttributeKey<String> OPERATION_TYPE = AttributeKey.stringKey("messaging.operation.type");
  public static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("messaging.operation.name");
  public static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
  public static final AttributeKey<Long> BODY_SIZE = AttributeKey.longKey("messaging.message.body.size");
  public static final AttributeKey<Long> BATCH_COUNT = AttributeKey.longKey("messaging.batch.message_count");
  public static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  public static final AttributeKey<String> JOB_PRIORITY = AttributeKey.stringKey("workqueue.job.priority");
  public static final AttributeKey<Long> JOB_ATTEMPT = AttributeKey.longKey("workqueue.job.attempt");
  public static final AttributeKey<String> JOB_OUTCOME = AttributeKey.stringKey("workqueue.job.outcome");
  public static final AttributeKey<Boolean> JOB_DUPLICATE = AttributeKey.booleanKey("workqueue.job.duplicate");

  /** Value of {@link #SYSTEM}. */
  public static final String SYSTEM_NAME = "workqueue";
  /** Operation of producer spans. */
  public static final String SEND = "send";
  /** Operation of consumer spans. */
  public static final String PROCESS = "process";

  private MessagingAttributes() {}
}
