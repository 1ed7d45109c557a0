// The Phoenix wire protocol for the page: Frame encoding and decoding with protobufjs, which
// index.html loads from its WebJar as the global `protobuf`. The schema is the node's copy of
// proto/phoenix/v1/phoenix.proto (the build puts it beside this file), parsed when the page
// loads: nothing comes from other sites.
const protobuf = globalThis.protobuf;
if (!protobuf) throw new Error('protobufjs did not load');

// 64-bit fields (times, offsets) as plain numbers: they stay far below 2^53.
protobuf.util.Long = null;
protobuf.configure();

const proto = await fetch(new URL('phoenix.proto', import.meta.url), { cache: 'no-cache' });
if (!proto.ok) throw new Error(`phoenix.proto: HTTP ${proto.status}`);
const root = protobuf.parse(await proto.text()).root;
const Frame = root.lookupType('phoenix.v1.Frame');
const values = (name) => root.lookupEnum(`phoenix.v1.${name}`).values;

/** Ack methods by name: ACCEPTED, DELIVERED, READ, PULL_REQUEST, SYNC. */
export const Method = values('AckMethod');
/** Message types by name: SENDER (chat), DEVICE (control), RECEIVER (notification). */
export const MessageType = values('MessageType');
/** Transmission modes by name: PULL, PUSH. */
export const Mode = values('TransmissionMode');

/** Encodes one Frame given as a plain object, e.g. `{ ping: { timestamp } }`. */
export function encodeFrame(frame) {
  const err = Frame.verify(frame);
  if (err) throw new Error(`bad frame: ${err}`);
  return Frame.encode(Frame.fromObject(frame)).finish();
}

/**
 * Decodes one Frame into a plain object with defaults filled in; `body` names the field set
 * ('message', 'ack', 'welcome', 'pong', 'goodbye', ...).
 */
export function decodeFrame(bytes) {
  return Frame.toObject(Frame.decode(bytes), { oneofs: true, defaults: true, longs: Number });
}

const utf8In = new TextEncoder();
const utf8Out = new TextDecoder();

export const textToBytes = (text) => utf8In.encode(text);
export const bytesToText = (bytes) => utf8Out.decode(bytes);

/** A random id (message ids, resource ids), also outside secure contexts. */
export function randomId(prefix = '') {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return prefix + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
