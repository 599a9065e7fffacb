package dev.workqueue.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.workqueue.InvalidJobException;
import dev.workqueue.Job;
import dev.workqueue.JobHandler;
import dev.workqueue.NewJob;
import dev.workqueue.UnrecoverableJobException;
import java.io.IOException;
import java.util.Objects;

/**
 * Jobs whose payload is a value written as JSON (UTF-8), and handlers that are given the value.
 * Uses the {@link ObjectMapper} it is created with (configure modules such as Java time there);
 * thread-safe once created, like the mapper.
 *
 * <pre>{@code
 * record Invoice(String customer, long cents) {}
 * JsonJobs json = JsonJobs.create();
 * producer.enqueue(json.job(new Invoice("ada", 1200)).queue("invoices").build());
 * Consumer consumer = Consumer.builder(backend, json.handler(Invoice.class,
 *         (invoice, job) -> bill(invoice.customer(), invoice.cents())))
 *     .queue("invoices").build();
 * }</pre>
 */
public final class JsonJobs {
  /** Header naming the payload's media type: {@value}. */
  public static final String CONTENT_TYPE_HEADER = "content-type";
  /** The media type {@link #job(Object)} gives: {@value}. */
  public static final String JSON = "application/json";

  private final ObjectMapper mapper;

  private JsonJobs(ObjectMapper mapper) {
    this.mapper = Objects.requireNonNull(mapper, "mapper");
  }

  /** JSON through a plain {@link ObjectMapper} (records, beans, maps, lists, scalars). */
  public static JsonJobs create() {
    return new JsonJobs(new ObjectMapper());
  }

  /** JSON through {@code mapper}, which is used as it is and must not be reconfigured later. */
  public static JsonJobs with(ObjectMapper mapper) {
    return new JsonJobs(mapper);
  }

  /**
   * A job builder whose payload is {@code value} as JSON, with the header {@value
   * #CONTENT_TYPE_HEADER}: {@value #JSON}; set queue, priority, delay and the rest on it.
   *
   * @throws InvalidJobException if the mapper cannot write {@code value}, with its reason
   */
  public NewJob.Builder job(Object value) {
    byte[] payload;
    try {
      payload = mapper.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new InvalidJobException("payload cannot be written as JSON: " + e.getOriginalMessage());
    }
    return NewJob.builder(payload).header(CONTENT_TYPE_HEADER, JSON);
  }

  /**
   * The payload of {@code job} read as a {@code type}.
   *
   * @throws UnrecoverableJobException if the payload is not JSON of that type: no retry can mend
   *     it, so a handler that lets this through sends the job to the dead-letter queue at once
   */
  public <T> T read(Job job, Class<T> type) {
    try {
      return mapper.readValue(job.payload(), type);
    } catch (IOException e) {
      String reason = e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
      throw new UnrecoverableJobException("payload of job " + job.id() + " is not JSON of "
          + type.getName() + ": " + reason, e);
    }
  }

  /**
   * A handler that reads each payload as a {@code type} and hands the value, with its job, to
   * {@code handler}. A payload that does not read sends the job to the dead-letter queue at once
   * (see {@link #read(Job, Class)}); what {@code handler} throws is retried as usual.
   */
  public <T> JobHandler handler(Class<T> type, ValueHandler<T> handler) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(handler, "handler");
    return job -> handler.handle(read(job, type), job);
  }

  /** Processes one job's payload, read as a value. */
  @FunctionalInterface
  public interface ValueHandler<T> {
    /** Processes {@code value}, the payload of {@code job}; throw to fail the attempt. */
    void handle(T value, Job job) throws Exception;
  }
}
