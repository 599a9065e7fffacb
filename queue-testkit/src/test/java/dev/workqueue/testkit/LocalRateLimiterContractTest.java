package dev.workqueue.testkit;

import dev.workqueue.RateLimiter;
import dev.workqueue.RateLimiterConfig;
import java.util.Collections;
import java.util.List;

/** The in-process limiter passes the rate limiter contract; sharing a cap means sharing the instance. */
class LocalRateLimiterContractTest extends RateLimiterContract {
  @Override
  protected List<RateLimiter> limitersSharingOneCap(RateLimiterConfig config, int count) {
    return Collections.nCopies(count, RateLimiter.local(config));
  }
}
