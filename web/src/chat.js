// The chat state of one signed-in eid over a PhoenixClient: conversations, own messages with
// their ACCEPTED / DELIVERED / READ marks, incoming messages with the acks the page owes, and
// catching up after every (re)connect with SYNC and PULL_REQUEST so nothing is missed.
//
// Streams (PROTOCOL.md §4): S(peer→me) is "incoming", S(me→peer) "outgoing". Per incoming
// stream the page holds every message in (base, have]; DELIVERED and READ acknowledge up to
// `have` (they are cumulative), and wait while older messages are still being fetched.
import { Method, MessageType, Mode, bytesToText, randomId, textToBytes } from './protocol.js';

const HISTORY = 20; // older messages fetched for context when a conversation first shows up
const RETRY_STATUSES = new Set([429, 500, 503]);
const MAX_RETRIES = 3;

export class Chat extends EventTarget {
  constructor(client, eid) {
    super();
    this.client = client;
    this.me = eid;
    this.conversations = new Map(); // peer -> { peer, items: [], ids: Set, last }
    // peer -> { have, base, deliveredSent, readSent, seen }; `seen`: acknowledged by another
    // device before this page fetched them (older context, not counted as unread)
    this.incoming = new Map();
    this.outgoing = new Map(); // peer -> { head, delivered, read }
    this.pending = new Map(); // message id -> own item waiting for ACCEPTED
    this.pulls = new Map(); // pull message id -> { key, from, to, start, last, queued }
    this.streamPulls = new Map(); // "from\nto" -> the pull under way on that stream
    this.syncing = false; // between Welcome and the end of the SYNC listing
    this.flushQueued = false;
    client.addEventListener('welcome', (e) => this.#welcome(e.detail));
    client.addEventListener('frame', (e) => this.#frame(e.detail));
  }

  // ---- what the view calls ----

  conversation(peer) {
    let c = this.conversations.get(peer);
    if (!c) {
      c = { peer, items: [], ids: new Set(), last: 0 };
      this.conversations.set(peer, c);
    }
    return c;
  }

  /** Conversations, most recent first. */
  list() {
    return [...this.conversations.values()].sort((a, b) => b.last - a.last || a.peer.localeCompare(b.peer));
  }

  unread(peer) {
    const inc = this.incoming.get(peer);
    const c = this.conversations.get(peer);
    if (!inc || !c) return 0;
    const from = Math.max(inc.readSent, inc.seen);
    return c.items.filter((i) => !i.own && i.offset > from).length;
  }

  sendText(peer, text) {
    const item = {
      id: randomId('m-'), own: true, peer, text, time: Date.now(), offset: null,
      status: 'pending', error: '', retries: 0,
    };
    this.#add(item);
    this.pending.set(item.id, item);
    this.#transmit(item);
    this.#changed(peer);
  }

  /** The conversation with `peer` is on screen: acknowledge READ up to what it shows. */
  shown(peer) {
    const inc = this.incoming.get(peer);
    if (!inc || !this.#ackable(peer, inc) || inc.have <= inc.readSent) return;
    if (this.#ack(Method.READ, peer, inc.have)) {
      inc.readSent = inc.have;
      inc.deliveredSent = Math.max(inc.deliveredSent, inc.have);
      this.#changed(peer);
    }
  }

  // ---- protocol ----

  #welcome() {
    for (const item of this.pending.values()) this.#transmit(item); // same id: stored once
    this.syncing = true;
    this.client.send({ ack: { messageId: randomId('sync-'), method: Method.SYNC } });
    this.streamPulls.clear(); // answers to pulls of the previous connection will not come
    this.pulls.clear();
    for (const [peer, inc] of this.incoming) if (inc.have !== null) this.#pull(peer, this.me, inc.have);
    for (const [peer, out] of this.outgoing) this.#pull(this.me, peer, out.head);
  }

  #transmit(item) {
    this.client.send({
      message: {
        messageId: item.id, to: { eid: item.peer }, timestamp: item.time,
        payload: textToBytes(item.text), type: MessageType.SENDER, transmissionMode: Mode.PUSH,
      },
    });
  }

  #frame(frame) {
    if (frame.body === 'message') this.#message(frame.message);
    else if (frame.body === 'ack') this.#signal(frame.ack);
  }

  #message(m) {
    if (m.type === MessageType.DEVICE || !m.peer) return; // control messages are not shown
    const from = m.from?.eid;
    const offset = m.peer.offset;
    if (from === this.me) { // a copy of what another device of mine sent, or pulled back
      const peer = m.to.eid;
      const out = this.#out(peer);
      out.head = Math.max(out.head, offset);
      const pull = m.transmissionMode === Mode.PULL && this.streamPulls.get(`${this.me}\n${peer}`);
      if (pull) pull.last = Math.max(pull.last, offset);
      if (!this.conversation(peer).ids.has(m.messageId)) {
        this.#add({ id: m.messageId, own: true, peer, text: bytesToText(m.payload), time: m.timestamp || Date.now(), offset, status: 'accepted', error: '' });
      }
      this.#refresh(peer);
      return;
    }
    const inc = this.#in(from);
    const pulled = m.transmissionMode === Mode.PULL;
    if (pulled) {
      // a pull answers in order from where it started, which was at most `have`
      const pull = this.streamPulls.get(`${from}\n${this.me}`);
      if (pull) pull.last = Math.max(pull.last, offset);
      inc.have = Math.max(inc.have ?? 0, offset);
    } else if (inc.have === null) { // first sight of this stream: fetch some context too
      inc.have = offset;
      inc.base = offset - 1;
      // after the SYNC listing, a stream it did not name had all older messages acknowledged
      if (!this.syncing) inc.seen = offset - 1;
      if (offset > 1) this.#pull(from, this.me, Math.max(0, offset - 1 - HISTORY));
    } else if (offset <= inc.have + 1) {
      inc.have = Math.max(inc.have, offset);
    } else {
      this.#pull(from, this.me, inc.have); // a gap: fetch what is missing
    }
    if (!this.conversation(from).ids.has(m.messageId)) {
      this.#add({ id: m.messageId, own: false, peer: from, text: bytesToText(m.payload), time: m.timestamp || Date.now(), offset, notification: m.type === MessageType.RECEIVER });
    }
    this.#scheduleFlush();
    this.#changed(from);
  }

  #signal(a) {
    const p = a.peer || {};
    switch (a.method) {
      case Method.ACCEPTED: return this.#accepted(a);
      case Method.DELIVERED:
      case Method.READ:
        if (a.statusCode !== 200) {
          console.warn('ack refused', a.statusCode, a.messageId);
        } else if (p.from === this.me) { // the peer acknowledged my stream
          const out = this.#out(p.to);
          out.delivered = Math.max(out.delivered, p.offset, p.peerOffset);
          if (a.method === Method.READ) out.read = Math.max(out.read, p.offset);
          this.#refresh(p.to);
        } else if (p.to === this.me) { // another device of mine acknowledged
          const inc = this.#in(p.from);
          inc.deliveredSent = Math.max(inc.deliveredSent, p.offset);
          if (a.method === Method.READ) inc.readSent = Math.max(inc.readSent, p.offset);
          this.#changed(p.from);
        }
        return undefined;
      case Method.SYNC:
        if (a.statusCode === 200 && p.to === this.me) this.#catchUp(p.from, p.offset, p.peerOffset);
        if (a.statusCode === 204) {
          this.syncing = false;
          this.#scheduleFlush();
          this.#changed(null);
        }
        return undefined;
      case Method.PULL_REQUEST: return this.#pulled(a);
      default: return undefined;
    }
  }

  #accepted(a) {
    const item = this.pending.get(a.messageId);
    if (!item) return;
    if (a.statusCode === 200 || a.statusCode === 208) {
      this.pending.delete(item.id);
      item.offset = a.peer.offset;
      const out = this.#out(item.peer);
      if (out.head === 0 && item.offset > 1) { // an older conversation: show some of it
        this.#pull(this.me, item.peer, Math.max(0, item.offset - 1 - HISTORY));
      }
      out.head = Math.max(out.head, item.offset);
      out.delivered = Math.max(out.delivered, a.peer.peerOffset);
    } else if (RETRY_STATUSES.has(a.statusCode) && item.retries < MAX_RETRIES) {
      item.retries += 1;
      setTimeout(() => this.pending.has(item.id) && this.#transmit(item), 1000 * item.retries);
      return;
    } else {
      this.pending.delete(item.id);
      item.status = 'failed';
      item.error = `refused (${a.statusCode})`;
    }
    this.#refresh(item.peer);
  }

  /** A stream into me has messages beyond `acked` (SYNC listing or PULL-mode hint). */
  #catchUp(peer, head, acked) {
    const inc = this.#in(peer);
    if (inc.have === null) {
      inc.have = inc.base = Math.min(acked, Math.max(0, head - HISTORY));
      inc.seen = Math.max(inc.seen, acked);
      this.#pull(peer, this.me, inc.have);
    } else if (acked < inc.base) { // unacknowledged messages older than any shown here
      inc.base = acked;
      inc.seen = Math.max(inc.seen, acked);
      this.#pull(peer, this.me, acked);
    } else if (inc.have < head) {
      this.#pull(peer, this.me, inc.have);
    }
  }

  /** PULL_REQUEST for S(from→to) after offset `after`; one at a time per stream. */
  #pull(from, to, after) {
    const key = `${from}\n${to}`;
    const active = this.streamPulls.get(key);
    if (active) {
      active.queued = active.queued === null ? after : Math.min(active.queued, after);
      return;
    }
    const pull = { id: randomId('pull-'), key, from, to, start: after, last: after, queued: null };
    this.streamPulls.set(key, pull);
    this.pulls.set(pull.id, pull);
    this.client.send({ ack: { messageId: pull.id, method: Method.PULL_REQUEST, peer: { from, to, offset: after } } });
  }

  /** The answer that ends one PULL_REQUEST (200: all sent, 206: more remain). */
  #pulled(a) {
    const pull = this.pulls.get(a.messageId);
    if (!pull) return;
    this.pulls.delete(pull.id);
    this.streamPulls.delete(pull.key);
    const p = a.peer || {};
    const own = pull.from === this.me;
    if (a.statusCode === 200 || a.statusCode === 206) {
      if (own) { // my own stream: learn how far the peer got
        const out = this.#out(pull.to);
        out.head = Math.max(out.head, p.offset);
        out.delivered = Math.max(out.delivered, p.peerOffset);
      } else if (a.statusCode === 200) { // everything up to the head has come
        const inc = this.#in(pull.from);
        inc.have = Math.max(inc.have ?? 0, p.offset);
      }
    } else {
      console.warn('pull refused', a.statusCode, pull.from, pull.to);
    }
    if (a.statusCode === 206) this.#pull(pull.from, pull.to, pull.last);
    else if (pull.queued !== null && pull.queued < p.offset) this.#pull(pull.from, pull.to, pull.queued);
    if (own) this.#refresh(pull.to);
    else {
      this.#scheduleFlush();
      this.#changed(pull.from);
    }
  }

  /**
   * Whether `have` may be acknowledged: not while the SYNC listing may still name older
   * unacknowledged messages, nor while those are being fetched.
   */
  #ackable(peer, inc) {
    if (inc.have === null || this.syncing) return false;
    const pull = this.streamPulls.get(`${peer}\n${this.me}`);
    return !pull || pull.start >= inc.have;
  }

  #scheduleFlush() {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      for (const [peer, inc] of this.incoming) {
        if (this.#ackable(peer, inc) && inc.have > inc.deliveredSent && this.#ack(Method.DELIVERED, peer, inc.have)) {
          inc.deliveredSent = inc.have;
        }
      }
    });
  }

  /** DELIVERED or READ for S(peer→me) up to `offset`. */
  #ack(method, peer, offset) {
    const item = this.conversation(peer).items.find((i) => !i.own && i.offset === offset);
    return this.client.send({
      ack: {
        messageId: item ? item.id : '', method, timestamp: Date.now(),
        from: { eid: this.me }, to: { eid: peer }, peer: { from: peer, to: this.me, offset },
      },
    });
  }

  // ---- bookkeeping ----

  #in(peer) {
    let s = this.incoming.get(peer);
    if (!s) {
      s = { have: null, base: null, deliveredSent: 0, readSent: 0, seen: 0 };
      this.incoming.set(peer, s);
      this.conversation(peer);
    }
    return s;
  }

  #out(peer) {
    let s = this.outgoing.get(peer);
    if (!s) {
      s = { head: 0, delivered: 0, read: 0 };
      this.outgoing.set(peer, s);
    }
    return s;
  }

  #add(item) {
    const c = this.conversation(item.peer);
    c.ids.add(item.id);
    c.items.push(item);
    // both streams of a conversation in one timeline, by the senders' clocks
    c.items.sort((x, y) => x.time - y.time || (x.offset ?? Infinity) - (y.offset ?? Infinity));
    c.last = Math.max(c.last, item.time);
  }

  /** Recomputes the marks of my messages to `peer`. */
  #refresh(peer) {
    const out = this.#out(peer);
    for (const i of this.conversation(peer).items) {
      if (!i.own || i.offset === null) continue;
      i.status = i.offset <= out.read ? 'read' : i.offset <= out.delivered ? 'delivered' : 'accepted';
    }
    this.#changed(peer);
  }

  #changed(peer) {
    this.dispatchEvent(new CustomEvent('change', { detail: { peer } }));
  }
}
