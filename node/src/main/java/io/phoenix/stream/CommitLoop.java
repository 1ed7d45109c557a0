package io.phoenix.stream;

import io.phoenix.stream.log.LogException;
import io.phoenix.stream.log.MessageLog;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commit thread: group commits into the {@link MessageLog}. Whatever was staged while the
 * previous commit ran is written by the next one, in one durable write (up to
 * {@code maxBatch} messages), so throughput grows with load and a commit costs one disk sync
 * however many messages it carries.
 *
 * <p>Commits happen strictly in the order things were staged. One that fails is retried (with
 * backoff, the same content) until it succeeds, and nothing staged after it is written first:
 * a message is never written before an earlier one of its stream. Meanwhile the loop reports
 * itself unhealthy (new messages are refused with 503) and the waiters of the failed commit,
 * and of everything staged behind it, are told at once; they are not told again when it is
 * written (their clients retry, and get 208).
 *
 * <p>{@link #stage} is thread-safe; everything else runs on the loop's own thread.
 */
final class CommitLoop<W extends CommitLoop.Waiter> {
  private static final Logger log = LoggerFactory.getLogger(CommitLoop.class);

  /** Waits for staged content: told if writing it failed, else handed to {@link Written}. */
  interface Waiter {
    void failed(Throwable t);
  }

  /** Told on the commit thread what one commit wrote. */
  interface Written<W extends Waiter> {
    /**
     * @param waiters the waiters of the staged content, in staging order, but those already
     *     told of a failure
     * @param displaced the entries not written because their offset holds another message
     *     ({@link MessageLog#commit}); usually empty
     */
    void written(List<MessageLog.Entry> entries, List<MessageLog.StreamRow> rows, List<W> waiters,
        List<MessageLog.Entry> displaced);
  }

  /** What one caller staged; {@code told} once its waiter was told of a failure. */
  private static final class Staged<W> {
    final List<MessageLog.Entry> entries;
    final List<MessageLog.StreamRow> rows;
    final W waiter;
    /** Commit thread only. */
    boolean told;

    Staged(List<MessageLog.Entry> entries, List<MessageLog.StreamRow> rows, W waiter) {
      this.entries = entries;
      this.rows = rows;
      this.waiter = waiter;
    }
  }

  private final MessageLog dbLog;
  private final int maxBatch;
  private final StreamPipeline.Meter meter;
  private final Written<W> written;
  private final LinkedBlockingQueue<Staged<W>> staged = new LinkedBlockingQueue<>();
  private final AtomicInteger unwritten = new AtomicInteger();
  private final AtomicLong unwrittenBytes = new AtomicLong();
  private final Thread thread;
  private volatile boolean healthy = true;
  private volatile boolean closing;

  CommitLoop(MessageLog dbLog, int maxBatch, StreamPipeline.Meter meter,
      Written<W> written) {
    this.dbLog = dbLog;
    this.maxBatch = maxBatch;
    this.meter = meter;
    this.written = written;
    thread = new Thread(this::run, "phoenix-commit");
    thread.setDaemon(true);
    thread.start();
  }

  boolean healthy() {
    return healthy;
  }

  /** Another use of the database failed: refuse new messages until it answers again. */
  void failed(LogException e) {
    if (healthy) {
      log.warn("the database failed, new messages are refused until it answers: {}",
          e.getMessage());
    }
    healthy = false;
  }

  /** Messages staged and not yet written. */
  int unwritten() {
    return unwritten.get();
  }

  /** Bytes of the bodies of the messages staged and not yet written. */
  long unwrittenBytes() {
    return unwrittenBytes.get();
  }

  void stage(List<MessageLog.Entry> entries, List<MessageLog.StreamRow> rows, W waiter) {
    unwritten.addAndGet(entries.size());
    unwrittenBytes.addAndGet(bytes(entries));
    staged.add(new Staged<>(entries, rows, waiter));
  }

  private void run() {
    List<Staged<W>> batch = new ArrayList<>();
    while (true) {
      try {
        Staged<W> first = staged.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          if (closing) {
            return;
          }
          if (!healthy) {
            probe();
          }
          continue;
        }
        batch.clear();
        batch.add(first);
        int messages = first.entries.size();
        for (Staged<W> next; messages < maxBatch && (next = staged.poll()) != null; ) {
          batch.add(next);
          messages += next.entries.size();
        }
        commit(batch, messages);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Writes one group, retrying until it is written (or the node stops). */
  private void commit(List<Staged<W>> batch, int messages) throws InterruptedException {
    List<MessageLog.Entry> entries = new ArrayList<>(messages);
    List<MessageLog.StreamRow> rows = new ArrayList<>(batch.size());
    for (Staged<W> s : batch) {
      entries.addAll(s.entries);
      rows.addAll(s.rows);
    }
    long backoffMs = 100;
    while (true) {
      long start = System.nanoTime();
      try {
        List<MessageLog.Entry> displaced = dbLog.commit(entries, rows);
        meter.committed(entries.size(), System.nanoTime() - start);
        if (!healthy) {
          log.info("the database takes writes again");
          healthy = true;
        }
        unwritten.addAndGet(-entries.size());
        unwrittenBytes.addAndGet(-bytes(entries));
        List<W> waiters = new ArrayList<>(batch.size());
        for (Staged<W> s : batch) {
          if (s.waiter != null && !s.told) {
            waiters.add(s.waiter);
          }
        }
        written.written(entries, rows, waiters, displaced);
        return;
      } catch (LogException | RuntimeException e) {
        if (healthy) {
          log.warn("a commit failed, new messages are refused while it is retried: {}",
              e.getMessage());
        }
        healthy = false;
        tell(batch, e);
        // and what is staged behind it, which waits for it: answered now (their clients retry,
        // and get 208 once written), not once the database is back
        tell(staged, e);
        if (closing && backoffMs > 1_000) {
          log.error("stopping with {} messages unwritten: {}", entries.size(), e.getMessage());
          return;
        }
        Thread.sleep(backoffMs);
        backoffMs = Math.min(5_000, backoffMs * 2);
      }
    }
  }

  /** Commit thread: tells the waiters not told yet that their write failed (for now). */
  private void tell(Iterable<Staged<W>> waiting, Throwable e) {
    for (Staged<W> s : waiting) { // the queue's iterator is weakly consistent: no lock
      if (s.waiter != null && !s.told) {
        s.told = true;
        s.waiter.failed(e);
      }
    }
  }

  private static long bytes(List<MessageLog.Entry> entries) {
    long n = 0;
    for (MessageLog.Entry e : entries) {
      n += e.body() == null ? 0 : e.body().length;
    }
    return n;
  }

  /** Nothing to write while unhealthy: is the database back? */
  private void probe() throws InterruptedException {
    try {
      dbLog.check();
      log.info("the database answers again");
      healthy = true;
    } catch (LogException | RuntimeException e) {
      Thread.sleep(800);
    }
  }

  /** Writes what is staged (retrying briefly if needed), then stops the thread. */
  void close() {
    closing = true;
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      thread.interrupt();
    }
  }
}
