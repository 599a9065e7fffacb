package dev.workqueue.testkit.redis;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A Redis Cluster of {@code redis-server} masters on free loopback ports, with the 16,384 hash
 * slots split evenly between them in order. Tests that use it should carry
 * {@link RequiresRedisServer}.
 */
public final class RedisCluster implements AutoCloseable {
  private static final int SLOTS = 16_384;

  private final List<RedisServer> nodes;

  private RedisCluster(List<RedisServer> nodes) {
    this.nodes = List.copyOf(nodes);
  }

  /**
   * Starts {@code masters} nodes, gives each its share of the slots, introduces them to each other
   * and waits until every node reports the cluster healthy.
   *
   * @throws IOException if a node does not answer its set-up commands
   */
  public static RedisCluster start(int masters) throws IOException {
    if (masters < 1) {
      throw new IllegalArgumentException("masters must be at least 1, but was " + masters);
    }
    List<RedisServer> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < masters; i++) {
        nodes.add(RedisServer.builder()
            .options("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf").start());
      }
      for (int i = 0; i < masters; i++) {
        nodes.get(i).command("CLUSTER", "ADDSLOTSRANGE", Integer.toString(firstSlot(i, masters)),
            Integer.toString(firstSlot(i + 1, masters) - 1));
      }
      for (RedisServer node : nodes.subList(1, masters)) {
        nodes.get(0).command("CLUSTER", "MEET", node.host(), Integer.toString(node.port()));
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> healthy(nodes));
      return new RedisCluster(nodes);
    } catch (IOException | RuntimeException e) {
      nodes.forEach(RedisServer::close);
      throw e;
    }
  }

  /** The nodes, in the order of the slot ranges they serve. */
  public List<RedisServer> nodes() {
    return nodes;
  }

  /** The node serving hash slot {@code slot}. */
  public RedisServer nodeOf(int slot) {
    for (int i = nodes.size() - 1; i > 0; i--) {
      if (slot >= firstSlot(i, nodes.size())) {
        return nodes.get(i);
      }
    }
    return nodes.get(0);
  }

  @Override
  public void close() {
    nodes.forEach(RedisServer::close);
  }

  private static int firstSlot(int node, int masters) {
    return node * SLOTS / masters;
  }

  private static boolean healthy(List<RedisServer> nodes) throws IOException {
    for (RedisServer node : nodes) {
      String info = node.command("CLUSTER", "INFO");
      if (!info.contains("cluster_state:ok") || !info.contains("cluster_known_nodes:" + nodes.size())) {
        return false;
      }
    }
    return true;
  }
}
