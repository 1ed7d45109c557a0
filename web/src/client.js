// One protocol session over WebSocket, kept alive: Hello/Welcome, Ping every
// heartbeat_seconds / 2, and a reconnect with backoff after anything but a deliberate end.
import { decodeFrame, encodeFrame } from './protocol.js';

const WELCOME_TIMEOUT_MS = 10_000;
const BACKOFF_MS = [500, 1000, 2000, 5000, 10_000];

/**
 * Events (CustomEvent, data in `detail`):
 * - `state`   { state: 'connecting' | 'online' | 'offline' | 'ended', reason }
 * - `welcome` the Welcome body (identity, heartbeatSeconds, ...): the session is ready
 * - `frame`   every other decoded Frame from the node
 * - `rtt`     { millis } after each Pong
 *
 * `token` is a token, or a function returning (a promise of) a fresh one, called before every
 * Hello. A Goodbye 401 to a Hello (token refused) or a 409 (replaced by a newer session with
 * the same resource id) ends the client for good. A 401 to a session that was welcomed (its
 * token expired, PROTOCOL.md §3) ends it too with a fixed token, and is retried with a fresh
 * one when `token` is a function; anything else is retried.
 */
export class PhoenixClient extends EventTarget {
  constructor({ url, token, resource }) {
    super();
    this.url = url;
    this.token = token;
    this.resource = resource;
    this.ws = null;
    this.ready = false;
    this.ended = false;
    this.attempt = 0;
    this.timers = [];
    this.goodbye = null;
    this.welcomed = false;
  }

  start() {
    this.ended = false;
    this.#open();
  }

  /** Ends the session for good (no reconnect). */
  stop(reason = 'signed out') {
    this.ended = true;
    this.#clearTimers();
    if (this.ws) this.ws.close(1000, reason);
    this.#state('ended', reason);
  }

  /** Sends a Frame (plain object); false when the session is not ready. */
  send(frame) {
    if (!this.ready || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(encodeFrame(frame));
    return true;
  }

  async #open() {
    this.#clearTimers();
    this.#state('connecting');
    let token = this.token;
    if (typeof token === 'function') {
      try {
        token = await token();
      } catch (err) {
        if (this.ended) return;
        this.#retry(`no token: ${err.message}`);
        return;
      }
      if (this.ended) return;
    }
    const ws = new WebSocket(this.url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.welcomed = false;
    ws.onopen = () => {
      ws.send(encodeFrame({ hello: { token, connectionResourceId: this.resource } }));
      this.#later(WELCOME_TIMEOUT_MS, () => ws.close(4000, 'no Welcome'));
    };
    ws.onmessage = (e) => {
      if (ws !== this.ws || typeof e.data === 'string') return;
      let frame;
      try {
        frame = decodeFrame(new Uint8Array(e.data));
      } catch (err) {
        console.warn('unparseable frame', err);
        return;
      }
      this.#receive(frame);
    };
    ws.onclose = (e) => {
      if (ws !== this.ws) return;
      this.ready = false;
      this.#clearTimers();
      if (this.ended) return;
      const reason = this.goodbye || e.reason || `connection closed (${e.code})`;
      this.goodbye = null;
      this.#retry(reason);
    };
  }

  /** Offline: opens a new session after the next backoff delay. */
  #retry(reason) {
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    this.#state('offline', reason);
    this.#later(delay, () => this.#open());
  }

  #receive(frame) {
    switch (frame.body) {
      case 'welcome': {
        this.#clearTimers();
        this.ready = true;
        this.welcomed = true;
        this.attempt = 0;
        const beat = Math.max(1, frame.welcome.heartbeatSeconds || 30);
        this.timers.push(setInterval(() => this.send({ ping: { timestamp: Date.now() } }),
          (beat * 1000) / 2));
        this.#state('online');
        this.dispatchEvent(new CustomEvent('welcome', { detail: frame.welcome }));
        return;
      }
      case 'pong':
        this.dispatchEvent(new CustomEvent('rtt', { detail: { millis: Date.now() - frame.pong.timestamp } }));
        return;
      case 'ping':
        this.send({ pong: { timestamp: frame.ping.timestamp } });
        return;
      case 'goodbye': {
        const { statusCode, reason } = frame.goodbye;
        this.goodbye = `${statusCode} ${reason}`;
        const expired = statusCode === 401 && this.welcomed && typeof this.token === 'function';
        if ((statusCode === 401 && !expired) || statusCode === 409) {
          this.ended = true;
          this.#clearTimers();
          this.#state('ended', statusCode === 409
            ? 'replaced by another session of this tab' : `token refused: ${reason}`);
        }
        return;
      }
      default:
        this.dispatchEvent(new CustomEvent('frame', { detail: frame }));
    }
  }

  #later(ms, fn) {
    this.timers.push(setTimeout(fn, ms));
  }

  #clearTimers() {
    for (const t of this.timers) {
      clearTimeout(t);
      clearInterval(t);
    }
    this.timers = [];
  }

  #state(state, reason = '') {
    this.dispatchEvent(new CustomEvent('state', { detail: { state, reason } }));
  }
}
