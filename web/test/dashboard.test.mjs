// Browser test of the page a node serves at /: two users chat through it (one of them offline
// for a while, then catching up) and the dashboard counts them. Run by DashboardBrowserIT
// against a node started with auth.devTokens on:
//
//   node test/dashboard.test.mjs http://127.0.0.1:PORT [screenshot.png]
//
// Chromium comes from the system (CHROMIUM, default /usr/bin/chromium) and runs headless with a
// fresh profile. Exits 0 when every step passed, 1 with the failing step otherwise.
import { chromium } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.argv[2];
const screenshot = process.argv[3] || 'dashboard.png';
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const STEP_MS = 20_000;
const OFFLINE_URL = 'ws://127.0.0.1:9/offline'; // where a page "offline" tries to reconnect
const TOTAL_MS = 100_000;

if (!base) {
  console.error('usage: node test/dashboard.test.mjs BASE_URL [SCREENSHOT]');
  process.exit(2);
}

const started = Date.now();
const log = (text) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${text}`);
const problems = [];

const profile = await mkdtemp(join(tmpdir(), 'phoenix-chromium-'));
let context;
const watchdog = setTimeout(async () => {
  console.error(`FAILED: the test did not finish within ${TOTAL_MS / 1000} s`);
  await context?.close().catch(() => {});
  process.exit(1);
}, TOTAL_MS);

/** A page signed in as `eid`; page errors and console errors fail the test. */
async function user(eid) {
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.on('pageerror', (e) => problems.push(`${eid}: page error: ${e.message}`));
  page.on('console', (m) => {
    // the reconnection attempts the test holds back on purpose fail loudly
    if (m.type() === 'error' && !m.text().includes(OFFLINE_URL)) problems.push(`${eid}: console error: ${m.text()}`);
  });
  page.on('requestfailed', (r) => problems.push(`${eid}: request failed: ${r.url()}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith(base.replace(/^http/, 'ws'))) {
      problems.push(`${eid}: request to another origin: ${r.url()}`);
    }
  });
  await page.goto(base);
  await page.getByTestId('node-card').first().waitFor();
  await page.getByTestId('signin-eid').fill(eid);
  await page.getByTestId('signin-button').click();
  await page.locator('[data-testid=state][data-state=online]').waitFor();
  log(`${eid} is online`);
  return page;
}

/** The message with `text` on `page` once it has one of the statuses. */
const mine = (page, text, ...statuses) => page
  .locator(statuses.map((s) => `[data-testid=message][data-status=${s}]`).join(', '))
  .filter({ hasText: text }).last();

let failed = null;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1360, height: 820 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  log(`chromium ${context.browser()?.version() ?? ''} started`);
  // lets the test cut a page's WebSocket and hold its reconnection (window.phoenixTest)
  await context.addInitScript((offlineUrl) => {
    const Native = window.WebSocket;
    const test = { sockets: [], offline: false };
    window.phoenixTest = test;
    window.WebSocket = class extends Native {
      constructor(url, protocols) {
        super(test.offline ? offlineUrl : url, protocols);
        test.sockets.push(this);
      }
    };
  }, OFFLINE_URL);

  // alice writes to bob while he is offline: stored and accepted (✓), not delivered
  const alice = await user('alice');
  await alice.getByTestId('peer-eid').fill('bob');
  await alice.getByTestId('open-conversation').click();
  await alice.getByTestId('composer-text').fill('Hello Bob, it is Alice');
  await alice.getByTestId('send').click();
  await mine(alice, 'Hello Bob, it is Alice', 'accepted').waitFor();
  log('alice: ✓ accepted while bob is offline');

  // bob signs in: SYNC and PULL_REQUEST bring the message; he has not opened it yet, so it is
  // delivered (✓✓) but not read
  const bob = await user('bob');
  const fromAlice = bob.locator('[data-testid=conversation-item][data-peer=alice]');
  await fromAlice.getByTestId('unread').waitFor();
  log(`bob: conversation with alice listed, unread ${await fromAlice.getByTestId('unread').textContent()}`);
  await mine(alice, 'Hello Bob', 'delivered').waitFor();
  log('alice: ✓✓ delivered');

  // bob opens the conversation: he sees the message, and alice sees it read
  await fromAlice.click();
  await mine(bob, 'Hello Bob, it is Alice', 'received').waitFor();
  log('bob: sees the message');
  await mine(alice, 'Hello Bob', 'read').waitFor();
  log('alice: read');
  await fromAlice.getByTestId('unread').waitFor({ state: 'detached' });

  // and back, live this time (pushed to alice, who has the conversation open)
  await bob.getByTestId('composer-text').fill('Hi Alice!');
  await bob.getByTestId('send').click();
  await mine(alice, 'Hi Alice!', 'received').waitFor();
  await mine(bob, 'Hi Alice!', 'read').waitFor();
  log('bob → alice: received and read');

  // bob loses his connection; meanwhile alice writes twice and bob writes once (pending …).
  // When he is back, SYNC and PULL_REQUEST bring him what he missed and his message goes out.
  await bob.evaluate(() => {
    window.phoenixTest.offline = true;
    window.phoenixTest.sockets.forEach((s) => s.close());
  });
  await bob.locator('[data-testid=state][data-state=offline]').waitFor();
  log('bob: offline');
  for (const text of ['Are you there?', 'Call me']) {
    await alice.getByTestId('composer-text').fill(text);
    await alice.getByTestId('send').click();
  }
  await mine(alice, 'Call me', 'accepted').waitFor();
  await bob.getByTestId('composer-text').fill('Back in a minute');
  await bob.getByTestId('send').click();
  await mine(bob, 'Back in a minute', 'pending').waitFor();
  await bob.evaluate(() => { window.phoenixTest.offline = false; });
  await bob.locator('[data-testid=state][data-state=online]').waitFor();
  log('bob: online again');
  await mine(bob, 'Are you there?', 'received').waitFor();
  await mine(bob, 'Call me', 'received').waitFor();
  await mine(alice, 'Call me', 'read').waitFor();
  await mine(alice, 'Back in a minute', 'received').waitFor();
  await mine(bob, 'Back in a minute', 'read').waitFor();
  log('bob caught up after reconnecting; his pending message was sent and read');

  // the dashboard counts both users and the messages (it polls every 2 s)
  const figures = await alice.waitForFunction(() => {
    const n = (id) => Number(document.querySelector(`[data-testid=${id}]`)?.textContent.replace(/,/g, ''));
    const f = { sessions: n('stat-sessions'), connections: n('stat-connections'), accepted: n('accepted') };
    return f.sessions >= 2 && f.connections >= 2 && f.accepted >= 5 && f;
  });
  log(`dashboard: ${JSON.stringify(await figures.jsonValue())}`);
  await alice.screenshot({ path: screenshot, fullPage: true });
  log(`screenshot: ${screenshot}`);
} catch (e) {
  failed = e;
} finally {
  clearTimeout(watchdog);
  await context?.close().catch(() => {});
  await rm(profile, { recursive: true, force: true }).catch(() => {});
}

if (failed || problems.length) {
  if (failed) console.error(`FAILED: ${failed.stack || failed}`);
  for (const p of problems) console.error(`FAILED: ${p}`);
  process.exit(1);
}
log('dashboard test passed');
