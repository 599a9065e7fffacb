package dev.workqueue.spi;

import dev.workqueue.EnqueueResult;
import dev.workqueue.Job;
import dev.workqueue.NewJob;
import java.util.List;

/**
 * Wraps enqueue calls and handler invocations, for concerns that need the call on their stack:
 * tracing spans, log context. Unlike observers, interceptors are part of the call: an exception
 * an interceptor throws fails the enqueue or the attempt. Each method must call its chain exactly
 * once.
 */
public interface JobInterceptor {

  /**
   * An interceptor that only calls on, such as tracing switched off by configuration. Producer
   * and consumer builders leave it out of their chains, so it costs nothing per call.
   */
  JobInterceptor PASS_THROUGH = new JobInterceptor() {};

  /**
   * Wraps one producer call that enqueues {@code jobs} in a single backend round trip. The
   * producer has filled in each job's queue and priority (its defaults where a job named none).
   * An interceptor may pass on changed jobs (for example with a traceparent header added).
   */
  default List<EnqueueResult> aroundEnqueue(List<NewJob> jobs, EnqueueChain chain) {
    return chain.proceed(jobs);
  }

  /** Wraps one handler invocation on the worker thread. */
  default void aroundHandle(Job job, HandleChain chain) throws Exception {
    chain.proceed(job);
  }

  /** The rest of an enqueue call. */
  @FunctionalInterface
  interface EnqueueChain {
    /** Enqueues {@code jobs} through the remaining interceptors and the backend. */
    List<EnqueueResult> proceed(List<NewJob> jobs);
  }

  /** The rest of a handler invocation. */
  @FunctionalInterface
  interface HandleChain {
    /** Runs the remaining interceptors and the handler. */
    void proceed(Job job) throws Exception;
  }
}
