package io.phoenix.stream;

import io.phoenix.stream.log.LogException;
import io.phoenix.stream.log.MessageLog;
import java.util.List;

/**
 * A real database (RocksDB in the tests) behind a {@link MessageLog} whose id lookups a test
 * changes: the subclass overrides {@link #offsetsOf} (and {@link #lookupsBlock}) to make a race
 * happen on demand; everything else goes to the database as is.
 */
abstract class DelegatingLog implements MessageLog {
  final MessageLog db;

  DelegatingLog(MessageLog db) {
    this.db = db;
  }

  @Override
  public long[] offsetsOf(List<IdKey> keys) throws LogException {
    return db.offsetsOf(keys);
  }

  @Override
  public String epoch() {
    return db.epoch();
  }

  @Override
  public StreamRow stream(String from, String to) throws LogException {
    return db.stream(from, to);
  }

  @Override
  public List<Entry> commit(List<Entry> entries, List<StreamRow> rows) throws LogException {
    return db.commit(entries, rows);
  }

  @Override
  public List<Entry> read(String from, String to, long after, long before, int max,
      long notBefore) throws LogException {
    return db.read(from, to, after, before, max, notBefore);
  }

  @Override
  public List<StreamRow> backlogInto(String to) throws LogException {
    return db.backlogInto(to);
  }

  @Override
  public int trimExpired(long cutoff, int max) throws LogException {
    return db.trimExpired(cutoff, max);
  }

  @Override
  public void eachStream(StreamVisitor each) throws LogException {
    db.eachStream(each);
  }

  @Override
  public boolean isEmpty() throws LogException {
    return db.isEmpty();
  }

  @Override
  public void adoptEpoch(String epoch) throws LogException {
    db.adoptEpoch(epoch);
  }

  @Override
  public long bytesOnDisk() {
    return db.bytesOnDisk();
  }

  @Override
  public void close() {
    db.close();
  }
}
