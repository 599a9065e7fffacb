package dev.workqueue.testkit.redis;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Skips the annotated test class, before any of its {@code @BeforeAll} methods run, when no
 * {@code redis-server} binary can be run here ({@link RedisServer#isAvailable()}). For classes
 * that start their own {@link RedisServer}s; {@link RedisServerExtension} makes the same check.
 */
@Documented
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresRedisServer.Condition.class)
public @interface RequiresRedisServer {

  /** Why a class is skipped. */
  String NOT_INSTALLED = "redis-server is not installed (set REDIS_SERVER_BIN or put it on PATH)";

  /** The condition behind the annotation; decided once per class, which covers its tests. */
  final class Condition implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      if (context.getTestMethod().isPresent()) {
        return ConditionEvaluationResult.enabled("decided for the class");
      }
      return RedisServer.isAvailable()
          ? ConditionEvaluationResult.enabled("redis-server is available")
          : ConditionEvaluationResult.disabled(NOT_INSTALLED);
    }
  }
}
