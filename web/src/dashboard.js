// Live cluster figures: polls /api/cluster, turns the cumulative counters into rates (from the
// difference between two polls of the same node) and draws one card per member.
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
      h = { last: null, rates: [], accepted: 0, delivered: 0 };
      this.nodes.set(m.node, h);
    }
    if (m.reachable) {
      if (h.last && m.time > h.last.time) {
        const secs = (m.time - h.last.time) / 1000;
        // a restarted node starts its counters again from 0
        h.accepted = Math.max(0, m.accepted - h.last.accepted) / secs;
        h.delivered = Math.max(0, m.delivered - h.last.delivered) / secs;
        h.rates.push(h.accepted);
        if (h.rates.length > HISTORY) h.rates.shift();
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

    this.root.querySelector('[data-testid=this-node]').textContent = cluster.node;
    this.root.querySelector('[data-testid=member-count]').textContent =
      `${members.length} member${members.length === 1 ? '' : 's'}`;
    this.root.querySelector('[data-testid=updated]').textContent =
      `updated ${new Date(cluster.time).toLocaleTimeString()}`;
    const totals = this.root.querySelector('[data-testid=totals]');
    totals.replaceChildren(
      figure('Connections', sum((m) => m.connections), 'total-connections'),
      figure('Sessions', sum((m) => m.sessions), 'total-sessions'),
      figure('Messages/s', fmt(rate), 'total-rate'),
      figure('p99 send→ACCEPTED', `${fmt(p99)} ms`, 'total-p99', 'highest of the members'),
    );
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
        ` · ${m.clusterMembers} in cluster`));
  }
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
