// The page served at /: the cluster dashboard and a chat panel. Signing in takes a development
// token from /api/dev-token when the node allows it (auth.devTokens), or a pasted one.
import { Chat } from './chat.js';
import { ChatView } from './chat-view.js';
import { PhoenixClient } from './client.js';
import { Dashboard } from './dashboard.js';
import { randomId } from './protocol.js';

const $ = (id) => document.querySelector(`[data-testid=${id}]`);
const STATES = { connecting: 'connecting…', online: 'online', offline: 'offline, reconnecting', ended: 'signed out' };

let info = { webSocketPath: '/socket', devTokens: false };
let session = null; // { client, chat }
const view = new ChatView($('session'));

function banner(text) {
  $('banner').hidden = !text;
  $('banner').textContent = text || '';
}

/** This tab's device id: kept across reloads of the tab, so a reload replaces its session. */
function resourceId() {
  let id = sessionStorage.getItem('phoenix.resource');
  if (!id) {
    id = randomId('web-');
    sessionStorage.setItem('phoenix.resource', id);
  }
  return id;
}

async function loadInfo() {
  try {
    const res = await fetch('/api/info', { cache: 'no-store' });
    if (res.ok) info = await res.json();
  } catch {
    // the dashboard shows the node as unreachable
  }
  document.querySelector('.signin .token').hidden = info.devTokens;
  // "any eid" only where the node signs development tokens for anyone (auth.devTokens)
  $('signin-hint').textContent = info.devTokens
    ? 'Sign in as any eid to send messages through this node over WebSocket.'
    : 'Sign in with a token for your eid (java -jar phoenix.jar token EID) to send messages through this node over WebSocket.';
}

async function devToken(eid) {
  const res = await fetch(`/api/dev-token?eid=${encodeURIComponent(eid)}`, { cache: 'no-store' });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body.token;
}

/**
 * Signs in as `eid` with `token`. With development tokens, every Hello after the first (or
 * every one, without `token`) takes a fresh token: a session ended by its token's expiry comes
 * back, and so does a reloaded tab whose saved token has expired.
 */
function signIn(eid, token) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  let first = token;
  const tokens = !info.devTokens ? token : async () => {
    const t = first || await devToken(eid);
    first = null;
    return t;
  };
  const client = new PhoenixClient({ url: `${scheme}://${location.host}${info.webSocketPath}`, token: tokens, resource: resourceId() });
  const chat = new Chat(client, eid);
  session = { client, chat };
  view.attach(chat);
  client.addEventListener('state', (e) => {
    const { state, reason } = e.detail;
    $('state').textContent = STATES[state] + (reason && state !== 'online' ? ` — ${reason}` : '');
    $('state').dataset.state = state;
    if (state === 'ended' && reason !== 'signed out') {
      signOut();
      $('signin-error').textContent = reason;
    }
  });
  client.addEventListener('rtt', (e) => { $('rtt').textContent = `rtt ${e.detail.millis} ms`; });
  $('me').textContent = eid;
  $('signin').hidden = true;
  $('session').hidden = false;
  sessionStorage.setItem('phoenix.signin', JSON.stringify({ eid, token }));
  client.start();
}

function signOut() {
  if (session) session.client.stop();
  session = null;
  sessionStorage.removeItem('phoenix.signin');
  $('session').hidden = true;
  $('signin').hidden = false;
}

$('signin').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = e.target;
  const eid = form.elements.eid.value.trim();
  const pasted = form.elements.token.value.trim();
  $('signin-error').textContent = '';
  if (!eid) return;
  try {
    signIn(eid, info.devTokens ? await devToken(eid) : pasted || await devToken(eid));
  } catch (err) {
    $('signin-error').textContent = err.message;
  }
});
$('signout').addEventListener('click', signOut);

new Dashboard(document, { onError: banner }).start();
await loadInfo();
const saved = JSON.parse(sessionStorage.getItem('phoenix.signin') || 'null');
if (saved) signIn(saved.eid, info.devTokens ? null : saved.token);
