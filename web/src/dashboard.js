// Live cluster figures: polls /api/cluster, turns the cumulative counters into rates (from the
// difference between two polls of the same node) and draws one card per member. The store's
// mean batch and commit latency histogram cover the last two minutes of polls: the difference
// between the newest and the oldest kept sample of the node's cumulative counters.
import { el } from './dom.js';

const POLL_MS = 2000;
const HISTORY = 60; // samples kept per node for the sparkline (two minutes)

export class Dashboard {
  constructor(root, { onError } = {}) {
    this.root = root;
    this.onError = onError;
    this.nodes = new Map(); // node id -> { last, rates: [] }
    this.timer = null;
  }

  start() {
    const tick = async () => {
      try {
        const res = await fetch('/api/cluster', { cache: 'no-store' });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        this.render(await res.json());
        this.onError?.(null);
      } catch (e) {
        this.onError?.(`cannot reach the node: ${e.message}`);
      }
      this.timer = setTimeout(tick, POLL_MS);
    };
    tick();
  }

  /** Updates the rates of one member from its new sample; returns its history. */
  #sample(m) {
    let h = this.nodes.get(m.node);
    if (!h) {
      h = { last: null, rates: [], accepted: 0, delivered: 0, committed: 0, loaded: 0, window: [] };
      this.nodes.set(m.node, h);
    }
    if (m.reachable) {
      const store = m.store || {};
      if (h.last && m.time > h.last.time) {
        const secs = (m.time - h.last.time) / 1000;
        // a restarted node starts its counters again from 0
        h.accepted = Math.max(0, m.accepted - h.last.accepted) / secs;
        h.delivered = Math.max(0, m.delivered - h.last.delivered) / secs;
        const before = h.last.store?.committed ?? store.committed;
        h.committed = Math.max(0, (store.committed ?? 0) - (before ?? 0)) / secs;
        const loadedBefore = h.last.store?.loaded ?? store.loaded;
        h.loaded = Math.max(0, (store.loaded ?? 0) - (loadedBefore ?? 0)) / secs;
        h.rates.push(h.accepted);
        if (h.rates.length > HISTORY) h.rates.shift();
      }
      if (store.commitLatency && (!h.last || m.time > h.last.time)) {
        const newest = h.window[h.window.length - 1];
        if (newest && store.commits < newest.commits) h.window = []; // restarted
        h.window.push({ time: m.time, committed: store.committed, commits: store.commits,
          counts: store.commitLatency.counts });
        if (h.window.length > HISTORY + 1) h.window.shift();
      }
      h.last = m;
    }
    return h;
  }

  render(cluster) {
    const members = cluster.members || [];
    const seen = new Set(members.map((m) => m.node));
    for (const id of [...this.nodes.keys()]) if (!seen.has(id)) this.nodes.delete(id);

    const cards = members.map((m) => this.#card(m, this.#sample(m), m.node === cluster.node));
    const up = members.filter((m) => m.reachable);
    const sum = (f) => up.reduce((a, m) => a + f(m), 0);
    const rate = sum((m) => this.nodes.get(m.node).accepted);
    const p99 = up.reduce((a, m) => Math.max(a, m.acceptedP99Millis || 0), 0);
    const durable = up.some((m) => durableStore(m.store));

    this.root.querySelector('[data-testid=this-node]').textContent = cluster.node;
    this.root.querySelector('[data-testid=member-count]').textContent =
      `${members.length} member${members.length === 1 ? '' : 's'}`;
    this.root.querySelector('[data-testid=updated]').textContent =
      `updated ${new Date(cluster.time).toLocaleTimeString()}`;
    const totals = this.root.querySelector('[data-testid=totals]');
    totals.replaceChildren(...[
      figure('Connections', sum((m) => m.connections), 'total-connections'),
      figure('Sessions', sum((m) => m.sessions), 'total-sessions'),
      figure('Messages/s', fmt(rate), 'total-rate'),
      figure('p99 send→ACCEPTED', `${fmt(p99)} ms`, 'total-p99', 'highest of the members'),
      durable && figure('Committed/s', fmt(sum((m) => this.nodes.get(m.node).committed)),
        'total-committed-rate', 'messages written to the database per second, all members'),
    ].filter(Boolean));
    this.root.querySelector('[data-testid=nodes]').replaceChildren(...cards);
  }

  #card(m, h, self) {
    const head = el('header', { class: 'node-head' },
      el('span', { class: `dot ${m.reachable ? 'up' : 'down'}`, title: m.reachable ? 'answering' : 'not answering' }),
      el('span', { class: 'node-name' }, m.node),
      self ? el('span', { class: 'tag' }, 'this node') : null);
    if (!m.reachable) {
      return el('article', { class: 'node down', 'data-testid': 'node-card', 'data-node': m.node },
        head, el('p', { class: 'muted' }, m.error || 'not answering'));
    }
    return el('article', { class: 'node', 'data-testid': 'node-card', 'data-node': m.node },
      head,
      el('div', { class: 'figures' },
        figure('Connections', m.connections, 'connections'),
        figure('Sessions', m.sessions, 'sessions'),
        figure('Messages/s', fmt(h.accepted), 'rate', 'accepted per second'),
        figure('Delivered/s', fmt(h.delivered), 'delivered-rate', 'pushed to devices per second'),
        figure('p99', `${fmt(m.acceptedP99Millis)} ms`, 'p99', 'send→ACCEPTED, recent'),
      ),
      sparkline(h.rates),
      el('footer', { class: 'muted' },
        'accepted ', el('b', { 'data-testid': 'accepted' }, String(m.accepted)),
        ' · delivered ', el('b', { 'data-testid': 'delivered' }, String(m.delivered)),
        ` · ${m.clusterMembers} in cluster`),
      storePart(m.store, h));
  }
}

function durableStore(store) {
  return Boolean(store && store.type && store.type !== 'memory');
}

/** The member's message store: what it writes, how fast and how big; nothing to show if unknown. */
function storePart(store, h) {
  if (!store || !store.type) return null;
  const head = el('header', { class: 'store-head' },
    el('span', { class: 'store-title' }, 'Store'),
    el('span', { class: 'tag', 'data-testid': 'store-type' }, store.type),
    store.healthy === false
      ? el('span', { class: 'tag bad', 'data-testid': 'store-unhealthy' }, 'refusing new messages')
      : null);
  if (!durableStore(store)) {
    return el('section', { class: 'store', 'data-testid': 'store', 'data-type': store.type }, head,
      el('p', { class: 'muted', 'data-testid': 'store-none' },
        'No disk store: messages live only in the cluster\'s memory and a restart of every node loses them.'));
  }
  const first = h.window[0];
  const last = h.window[h.window.length - 1];
  const commits = first && last ? last.commits - first.commits : 0;
  const batch = commits > 0 ? (last.committed - first.committed) / commits : null;
  const counts = commits > 0 ? last.counts.map((c, i) => Math.max(0, c - (first.counts[i] || 0))) : [];
  const span = first && last ? (last.time - first.time) / 1000 : 0;
  const since = span < 1 ? null : `last ${duration(span)}`; // null: one sample so far
  const bounds = store.commitLatency?.boundsMillis || [];
  return el('section', { class: 'store', 'data-testid': 'store', 'data-type': store.type }, head,
    el('div', { class: 'figures' },
      figure('Committed/s', fmt(h.committed), 'store-rate', 'messages written to the database per second'),
      figure('Msgs/commit', batch === null ? '–' : fmt(batch), 'store-batch',
        `mean messages per durable commit (group commit), ${since || 'from the next poll on'};`
        + ' a commit of acknowledgements alone counts with 0'),
      figure('p99 commit', `${fmt(store.commitP99Millis)} ms`, 'store-p99', 'one durable commit, recent'),
      figure('On disk', bytes(store.diskBytes), 'store-disk', 'size of the database on disk, measured every 10 s'),
      figure('Loaded/s', fmt(h.loaded), 'store-loaded-rate',
        'streams read from the database into the cluster\'s memory per second (new streams too)'),
    ),
    histogram(bounds, counts, commits, since),
    el('footer', { class: 'muted' },
      'committed ', el('b', { 'data-testid': 'store-committed' }, String(store.committed ?? 0)),
      ' in ', el('b', { 'data-testid': 'store-commits' }, String(store.commits ?? 0)), ' commits',
      ' · streams loaded ', el('b', { 'data-testid': 'store-loaded' }, String(store.loaded ?? 0)),
      ' · evicted ', el('b', { 'data-testid': 'store-evicted' }, String(store.evicted ?? 0))));
}

/** Commits per latency bucket over the window: one bar each, scaled to the fullest bucket. */
function histogram(bounds, counts, commits, since) {
  const peak = Math.max(1, ...counts);
  const labels = [...bounds.map(ms), `>${ms(bounds[bounds.length - 1] ?? 0)}`];
  const bars = labels.map((label, i) => {
    const n = counts[i] || 0;
    const range = i < bounds.length ? `≤ ${label} ms` : `${label} ms`;
    return el('div', { class: 'bucket', 'data-testid': 'latency-bucket', 'data-count': n,
      title: `${range}: ${n} commit${n === 1 ? '' : 's'}` },
      el('span', { class: `bar${n ? '' : ' empty'}`, style: `height: ${n ? Math.max(4, (n / peak) * 100) : 0}%` }),
      el('span', { class: 'bucket-label' }, label));
  });
  return el('figure', { class: 'latency', 'data-testid': 'store-latency' },
    el('div', { class: 'buckets' }, ...bars),
    el('figcaption', { class: 'muted' }, caption()));

  function caption() {
    if (!since) return 'commit latency (ms) · from the next poll on';
    if (commits === 0) return `commit latency (ms) · no commit in the ${since}`;
    return `commit latency (ms), ${since} · ${commits.toLocaleString()} commit${commits === 1 ? '' : 's'}`;
  }
}

/** A bucket bound in milliseconds, short: 0.25, 1, 250, 1s. */
function ms(x) {
  return x >= 1000 ? `${x / 1000}s` : String(x);
}

function duration(secs) {
  if (secs < 90) return `${Math.round(secs)} s`;
  return `${Math.round(secs / 60)} min`;
}

/** Bytes in binary units (-1 or missing: not known). */
function bytes(n) {
  if (!Number.isFinite(n) || n < 0) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

function figure(label, value, id, title) {
  return el('div', { class: 'figure', title: title || label },
    el('span', { class: 'value', 'data-testid': `stat-${id}` }, String(value)),
    el('span', { class: 'label' }, label));
}

function fmt(x) {
  if (!Number.isFinite(x)) return '0';
  if (x === 0) return '0';
  if (x < 10) return x.toFixed(1);
  return Math.round(x).toLocaleString();
}

const SVG = 'http://www.w3.org/2000/svg';

/** Messages/s over the last two minutes, oldest on the left, scaled to the peak. */
function sparkline(rates) {
  const w = 240;
  const h = 40;
  const series = [...new Array(Math.max(0, HISTORY - rates.length)).fill(0), ...rates];
  const peak = Math.max(...series);
  const scale = Math.max(1, peak);
  const step = w / (HISTORY - 1);
  const pts = series.map((r, i) => `${(i * step).toFixed(1)},${(h - 1 - (r / scale) * (h - 6)).toFixed(1)}`);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('class', 'spark');
  const area = document.createElementNS(SVG, 'polygon');
  area.setAttribute('points', `0,${h} ${pts.join(' ')} ${w},${h}`);
  area.setAttribute('class', 'spark-area');
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', pts.join(' '));
  line.setAttribute('class', 'spark-line');
  svg.append(area, line);
  return el('figure', { class: 'trend' }, svg,
    el('figcaption', { class: 'muted' }, `messages/s, last 2 min · peak ${fmt(peak)}`));
}
