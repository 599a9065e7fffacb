package dev.workqueue.redis.internal;

import dev.workqueue.DeadLetter;
import dev.workqueue.InvalidJobException;
import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.internal.Surrogates;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Encodes jobs in the binary format 1 that the Lua scripts read, and decodes the dead-letter
 * entries they write (see {@code queue-common.lua} and {@code docs/redis-backend.md}).
 * Big-endian; strings are UTF-8 with an unsigned 16-bit length; times are epoch milliseconds.
 */
public final class JobCodec {
  /** The format byte every element starts with; a new layout takes a new number. */
  public static final byte FORMAT = 1;
  /**
   * The format of the dead-letter entries the scripts write: format 1 with the server's time of
   * the dead-lettering inserted after the format byte. Format-1 entries written before are read too.
   */
  public static final byte DEAD_FORMAT = 2;

  private static final int NO_KEY = 0xFFFF;
  private static final int MAX_STRING_BYTES = 0xFFFE;
  /** The header count is an unsigned 16-bit field too. */
  private static final int MAX_HEADERS = 0xFFFF;

  private JobCodec() {}

  /**
   * The stored element of {@code job}: format, attempt, run-at, priority and id first (the header
   * the scripts read), then max attempts, created-at, idempotency key, headers and payload.
   *
   * @throws InvalidJobException if a string field is longer than 65,534 bytes in UTF-8, there
   *     are more than 65,535 headers, or the id or idempotency key holds half a surrogate pair
   */
  public static byte[] encode(Job job) {
    byte[] priority = utf8(job.priority(), "priority");
    byte[] id = utf8(Surrogates.requireWholePairs(job.id(), "id"), "id");
    byte[] key = job.idempotencyKey() == null ? null
        : utf8(Surrogates.requireWholePairs(job.idempotencyKey(), "idempotencyKey"), "idempotencyKey");
    Map<String, String> headers = job.headers();
    if (headers.size() > MAX_HEADERS) {
      // A larger count wrapped around in its field: the job was stored, then dead-lettered as undecodable.
      throw new InvalidJobException("headers must be at most " + MAX_HEADERS + " entries, but was "
          + headers.size() + " entries");
    }
    byte[][] headerBytes = new byte[headers.size() * 2][];
    int size = 1 + 4 + 8 + 2 + priority.length + 2 + id.length + 4 + 8 + 2
        + (key == null ? 0 : key.length) + 2 + 4 + job.payloadSize();
    int h = 0;
    for (Map.Entry<String, String> header : headers.entrySet()) {
      headerBytes[h] = utf8(header.getKey(), "header name");
      headerBytes[h + 1] = utf8(header.getValue(), "header value");
      size += 4 + headerBytes[h].length + headerBytes[h + 1].length;
      h += 2;
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    out.put(FORMAT).putInt(job.attempt()).putLong(job.runAt().toEpochMilli());
    putString(out, priority);
    putString(out, id);
    out.putInt(job.maxAttempts()).putLong(job.createdAt().toEpochMilli());
    if (key == null) {
      out.putShort((short) NO_KEY);
    } else {
      putString(out, key);
    }
    out.putShort((short) headers.size());
    for (byte[] part : headerBytes) {
      putString(out, part);
    }
    out.putInt(job.payloadSize());
    out.put(job.payloadBuffer());
    return out.array();
  }

  /**
   * The job stored as {@code element} in {@code queue}.
   *
   * @throws UndecodableException if the data is not a complete format-1 element
   */
  public static Job decode(byte[] element, String queue) {
    return decode(element, queue, 0);
  }

  /**
   * The job stored as {@code element} in the leases hash, with the delivery it is leased for
   * counted in its attempt (a leased element keeps the attempt it had while waiting).
   *
   * @throws UndecodableException if the data is not a complete format-1 element
   */
  public static Job decodeLeased(byte[] element, String queue) {
    return decode(element, queue, 1);
  }

  private static Job decode(byte[] element, String queue, int deliveriesToCount) {
    try {
      ByteBuffer in = ByteBuffer.wrap(element);
      byte format = in.get();
      if (format != FORMAT) {
        throw new UndecodableException("unknown job format " + (format & 0xFF));
      }
      int attempt = in.getInt() + deliveriesToCount;
      Instant runAt = Instant.ofEpochMilli(in.getLong());
      String priority = getString(in);
      String id = getId(in);
      int maxAttempts = in.getInt();
      Instant createdAt = Instant.ofEpochMilli(in.getLong());
      String key = getOptionalString(in);
      int headerCount = in.getShort() & 0xFFFF;
      Map<String, String> headers = new HashMap<>(headerCount * 2);
      for (int i = 0; i < headerCount; i++) {
        headers.put(getString(in), getString(in));
      }
      int payloadSize = in.getInt();
      if (payloadSize < 0 || payloadSize != in.remaining()) {
        throw new UndecodableException("payload length " + payloadSize + " does not match the "
            + in.remaining() + " bytes left");
      }
      byte[] payload = new byte[payloadSize];
      in.get(payload);
      return new Job(id, queue, priority, payload, attempt, maxAttempts, createdAt, runAt, headers, key);
    } catch (BufferUnderflowException e) {
      throw new UndecodableException("job element is truncated (" + element.length + " bytes)");
    } catch (IllegalArgumentException e) {
      throw new UndecodableException("job element holds an invalid field: " + e.getMessage());
    }
  }

  /** The id in an element's header, or {@code null} when even the header cannot be read. */
  public static String readId(byte[] element) {
    try {
      ByteBuffer in = ByteBuffer.wrap(element);
      if (in.get() != FORMAT) {
        return null;
      }
      in.position(1 + 4 + 8);
      getString(in);
      return getString(in);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * The dead letter stored as {@code entry} in {@code queue}; its job is {@code null} when the
   * data inside could not be decoded.
   *
   * @throws UndecodableException if the entry's own header cannot be read
   */
  public static DeadLetter decodeDead(byte[] entry, String queue) {
    try {
      ByteBuffer in = ByteBuffer.wrap(entry);
      byte format = in.get();
      if (format == DEAD_FORMAT) {
        in.getLong(); // when it was dead-lettered: read by the scripts' retention only
      } else if (format != FORMAT) {
        throw new UndecodableException("unknown dead-letter format " + (format & 0xFF));
      }
      Instant at = Instant.ofEpochMilli(in.getLong());
      String id = getString(in);
      String type = getString(in);
      int messageLength = in.getInt();
      // Checked before allocating: a corrupted length must not ask for up to 2 GB.
      if (messageLength < 0 || messageLength > in.remaining()) {
        throw new BufferUnderflowException();
      }
      byte[] message = new byte[messageLength];
      in.get(message);
      byte[] element = new byte[in.remaining()];
      in.get(element);
      Job job;
      try {
        job = decode(element, queue);
      } catch (UndecodableException e) {
        job = null;
      }
      return new DeadLetter(id, queue, job,
          new JobError(type, new String(message, StandardCharsets.UTF_8), at));
    } catch (BufferUnderflowException e) {
      throw new UndecodableException("dead-letter entry is truncated (" + entry.length + " bytes)");
    }
  }

  /**
   * A dead-letter entry that cannot be read (a foreign writer's, or cut short), shown as what it
   * is so that listings count it as {@code stats} does: its id is {@link #undecodableId} of the
   * entry, by which it can be deleted, its job null, its error type {@code unreadable} with
   * {@code reason}, at the epoch since its time is unknown.
   */
  public static DeadLetter unreadableDeadLetter(byte[] entry, String queue, String reason) {
    return new DeadLetter(undecodableId(entry), queue, null,
        new JobError("unreadable", "dead-letter entry cannot be read: " + reason, Instant.EPOCH));
  }

  /**
   * The id given to data whose own id cannot be read: {@code undecodable-} and the first 16 hex
   * digits of its SHA-1, as the scripts compute it, so the same bytes always get the same id.
   */
  public static String undecodableId(byte[] data) {
    return "undecodable-" + Sha1.hex(data).substring(0, 16);
  }

  /** UTF-8 bytes of a string field, refusing what the 16-bit length cannot hold. */
  public static byte[] utf8(String value, String field) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > MAX_STRING_BYTES) {
      throw new InvalidJobException(field + " must be at most " + MAX_STRING_BYTES
          + " bytes in UTF-8, but was " + bytes.length + " bytes");
    }
    return bytes;
  }

  private static void putString(ByteBuffer out, byte[] bytes) {
    out.putShort((short) bytes.length).put(bytes);
  }

  private static String getString(ByteBuffer in) {
    int length = stringLength(in);
    String value = new String(in.array(), in.position(), length, StandardCharsets.UTF_8);
    in.position(in.position() + length);
    return value;
  }

  /**
   * The job id, refused unless it is UTF-8: a settlement names the job by its id encoded again, and
   * the replacement characters that stand for other bytes would never encode back to them.
   */
  private static String getId(ByteBuffer in) {
    int length = stringLength(in);
    ByteBuffer bytes = in.slice(in.position(), length);
    in.position(in.position() + length);
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(bytes).toString();
    } catch (CharacterCodingException e) {
      throw new UndecodableException("job id is not valid UTF-8");
    }
  }

  /** Reads the length of the string that follows, checking that the data holds it. */
  private static int stringLength(ByteBuffer in) {
    int length = in.getShort() & 0xFFFF;
    if (length > in.remaining()) {
      throw new BufferUnderflowException();
    }
    return length;
  }

  private static String getOptionalString(ByteBuffer in) {
    int length = in.getShort() & 0xFFFF;
    if (length == NO_KEY) {
      return null;
    }
    in.position(in.position() - 2);
    return getString(in);
  }

  /** Stored data that is not a job or dead letter of a known format. */
  public static final class UndecodableException extends RuntimeException {
    public UndecodableException(String message) {
      super(message);
    }
  }
}
