-- Phoenix's streams (PROTOCOL.md §4, §9). Plain SQL that PostgreSQL-compatible distributed
-- databases run too: no triggers, no stored procedures, no sequences, no database-specific types.

-- The store's identity (Welcome.epoch) and other facts, written once.
CREATE TABLE phoenix_meta (
  meta_key   VARCHAR(64)  NOT NULL PRIMARY KEY,
  meta_value VARCHAR(256) NOT NULL
);

-- One row per stream S(from -> to): the last offset written, the recipient's DELIVERED and
-- READ positions, and the RECEIVER offsets above READ (pairs of big-endian longs).
CREATE TABLE phoenix_streams (
  to_eid        VARCHAR(256) NOT NULL,
  from_eid      VARCHAR(256) NOT NULL,
  head          BIGINT       NOT NULL,
  delivered     BIGINT       NOT NULL,
  read_pos      BIGINT       NOT NULL,
  receiver_runs BYTEA,
  PRIMARY KEY (to_eid, from_eid)
);

-- Stored messages, by stream and offset; the body is the serialized phoenix.v1.Message.
CREATE TABLE phoenix_messages (
  to_eid      VARCHAR(256) NOT NULL,
  from_eid    VARCHAR(256) NOT NULL,
  msg_offset  BIGINT       NOT NULL,
  message_id  VARCHAR(128) NOT NULL,
  msg_type    SMALLINT     NOT NULL,
  accepted_at BIGINT       NOT NULL,
  body        BYTEA        NOT NULL,
  PRIMARY KEY (to_eid, from_eid, msg_offset)
);

-- Dedupe of a late retry: the offset of a message_id on its stream.
CREATE INDEX phoenix_messages_by_id ON phoenix_messages (to_eid, from_eid, message_id);

-- Retention: the oldest messages first.
CREATE INDEX phoenix_messages_by_age ON phoenix_messages (accepted_at);
