package dev.workqueue.spi;

import dev.workqueue.JobError;
import java.time.Duration;
import java.util.Objects;

/**
 * How a consumer ends its lease on a job. Backends apply a batch of settlements in one round
 * trip where they can; each is accepted only while its lease token is still current.
 */
public sealed interface Settlement {
  /** The lease being settled. */
  Lease lease();

  /** The job succeeded: remove it, keeping it only in the bounded completed history. */
  record Ack(Lease lease) implements Settlement {
    public Ack {
      Objects.requireNonNull(lease, "lease");
    }
  }

  /**
   * The attempt failed and will be retried: the job moves to the delayed set, due after
   * {@code delay} by the backend's clock, with its last error recorded.
   */
  record Retry(Lease lease, Duration delay, JobError error) implements Settlement {
    public Retry {
      Objects.requireNonNull(lease, "lease");
      Objects.requireNonNull(delay, "delay");
      Objects.requireNonNull(error, "error");
    }
  }

  /** The job will not be retried: it moves to the dead-letter queue with {@code error}. */
  record DeadLetter(Lease lease, JobError error) implements Settlement {
    public DeadLetter {
      Objects.requireNonNull(lease, "lease");
      Objects.requireNonNull(error, "error");
    }
  }

  /**
   * The consumer gives the job back unprocessed (shutdown): it returns to the head of its lane
   * and this delivery is not counted as an attempt.
   */
  record Release(Lease lease) implements Settlement {
    public Release {
      Objects.requireNonNull(lease, "lease");
    }
  }
}
