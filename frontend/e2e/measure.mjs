// The dashboard benchmark's browser side (bench/dashboard.py starts the suite and reads the
// numbers): against a running suite at BASE_URL, signed in with the dev form,
//
// 1. audience size: on /audiences/new with "total_spend > X AND visits <= 3", MEASURE_EDITS
//    times retypes X (a new value each time, typed key by key MEASURE_KEY_DELAY_MS apart)
//    and times, inside the page, from the last keystroke's input event to the audience size
//    showing the count for the rules on screen (data-current="true"); each shown size must
//    equal the API's preview for the same rules;
// 2. receipts: with /campaigns open and its stats WebSocket live, launches a campaign to
//    segment MEASURE_RECEIPT_SEGMENT through the API and records, with the page's clock
//    (Date.now(), the machine's clock), every change of that row's sent + failed until it
//    reaches the audience size. The caller pairs those with the delivery log;
// 3. log rows: meanwhile the campaign's page (a second tab) times each log row's first
//    final status, which the caller pairs with that message's receipt.
//
// Prints one JSON line; exits 1 on the first failure.
import { BASE, api, check, digits, launchBrowser, settledSize, signIn } from './lib.mjs';

const EDITS = Number(process.env.MEASURE_EDITS ?? 20);
const KEY_DELAY = Number(process.env.MEASURE_KEY_DELAY_MS ?? 30);
const SEGMENT = process.env.MEASURE_RECEIPT_SEGMENT ?? '';
const FINISH_TIMEOUT = Number(process.env.MEASURE_FINISH_TIMEOUT_MS ?? 180_000);
const results = { edits: [] };

function rulesFor(spend) {
  return {
    combinator: 'and',
    rules: [
      { field: 'total_spend', operator: '>', value: spend },
      { field: 'visits', operator: '<=', value: 3 },
    ],
  };
}

async function audienceSize(page) {
  const first = page.locator('.rule').nth(0);
  await first.locator('.rule-value').fill('10000');
  await page.getByRole('button', { name: '+ Rule' }).first().click();
  const second = page.locator('.rule').nth(1);
  await second.locator('.rule-fields').selectOption('visits');
  await second.locator('.rule-operators').selectOption('<=');
  await second.locator('.rule-value').fill('3');
  await settledSize(page, 60_000);
  // Every input event and every change of the size element's state, timed in the page.
  await page.evaluate(() => {
    window.__lastInput = 0;
    window.__inputs = 0;
    window.__size = [];
    document.addEventListener(
      'input',
      () => {
        window.__lastInput = performance.now();
        window.__inputs += 1;
      },
      true,
    );
    let last = '';
    new MutationObserver(() => {
      const el = document.querySelector('[data-testid="audience-size"]');
      const state = el ? `${el.dataset.current}|${el.textContent}` : '';
      if (state === last) return;
      last = state;
      window.__size.push({ at: performance.now(), current: el?.dataset.current === 'true', text: el?.textContent ?? '' });
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-current'] });
  });
  const input = page.locator('.rule').nth(0).locator('.rule-value');
  for (let i = 0; i < EDITS; i += 1) {
    const spend = 5_000 + i * 1_117; // a new value each time: no cached answer
    await input.click();
    await input.press('ControlOrMeta+a');
    const mark = await page.evaluate(() => ({ size: window.__size.length, inputs: window.__inputs }));
    const keys = String(spend);
    await input.pressSequentially(keys, { delay: KEY_DELAY });
    // Only once every keystroke's input event was seen: a count shown between two slow
    // keystrokes is not the settled one.
    const handle = await page.waitForFunction(
      ([from, inputs]) => {
        if (window.__inputs < inputs) return null;
        const done = window.__size.slice(from).find((e) => e.at >= window.__lastInput && e.current);
        return done ? { ms: done.at - window.__lastInput, text: done.text } : null;
      },
      [mark.size, mark.inputs + keys.length],
      { timeout: 30_000, polling: 'raf' },
    );
    const seen = await handle.jsonValue();
    const preview = await api(page, '/api/v1/segments/preview', { method: 'POST', body: JSON.stringify({ rules: rulesFor(spend) }) });
    check(preview.status === 200, `preview answered ${preview.status}`);
    check(digits(seen.text) === preview.body.size, `edit ${i}: size on screen ${seen.text} != API preview ${preview.body.size}`);
    results.edits.push({ spend, ms: Math.round(seen.ms * 10) / 10, size: preview.body.size, took_ms: preview.body.took_ms, source: preview.body.source ?? null });
  }
}

async function receipts(page) {
  await page.goto(`${BASE}/campaigns`);
  await page.locator('[data-testid="connection-status"][data-state="live"]').waitFor({ timeout: 30_000 });
  await page.evaluate(() => {
    window.__noReload = true;
    window.__watch = null;
    window.__row = [];
    let last = -1;
    new MutationObserver(() => {
      if (!window.__watch) return;
      const row = document.querySelector(`[data-testid="campaign-row"][data-campaign-id="${window.__watch}"]`);
      if (!row) return;
      const n = (tid) => Number((row.querySelector(`[data-testid="${tid}"]`)?.textContent ?? '').replace(/[^0-9]/g, '') || 0);
      const done = n('stat-sent') + n('stat-failed');
      if (done === last) return;
      last = done;
      window.__row.push({ at: Date.now(), done, sent: n('stat-sent'), failed: n('stat-failed'), audience: n('stat-audience') });
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  const created = await api(page, '/api/v1/campaigns', {
    method: 'POST',
    body: JSON.stringify({ name: `Receipt latency · ${new Date().toISOString().slice(11, 19)}`, segment_id: SEGMENT, message: 'Hi {first_name}, a little thank-you from us.' }),
  });
  check(created.status === 201, `API launch answered ${created.status}: ${JSON.stringify(created.body)}`);
  const id = String(created.body.id);
  await page.evaluate((cid) => (window.__watch = cid), id);
  results.campaign_id = id;
  const logPage = await openLog(page, id);
  await page.waitForFunction(
    () => {
      const last = window.__row[window.__row.length - 1];
      return last && last.audience > 0 && last.done === last.audience;
    },
    null,
    { timeout: FINISH_TIMEOUT, polling: 200 },
  );
  check(await page.evaluate(() => window.__noReload === true), 'the history page reloaded');
  results.row = await page.evaluate(() => window.__row);
  // The log's first page: every row final on screen (the rest of the audience is paged).
  await logPage.waitForFunction(
    () => {
      const rows = [...document.querySelectorAll('[data-testid="log-row"]')];
      return rows.length > 0 && rows.every((r) => r.dataset.status === 'SENT' || r.dataset.status === 'FAILED');
    },
    null,
    { timeout: FINISH_TIMEOUT, polling: 200 },
  );
  check(await logPage.evaluate(() => window.__noReload === true), 'the campaign page reloaded');
  results.log = await logPage.evaluate(() => ({ ready_at: window.__logReady, finals: window.__finals }));
}

// 3. receipt -> log row: the campaign's page in a second tab, opened as soon as the campaign
// exists; every log row's first final status (SENT/FAILED) timed with the page's clock.
// Receipts that fell due before the page was watching are left out by the caller.
async function openLog(page, id) {
  const logPage = await page.context().newPage();
  await logPage.goto(`${BASE}/campaigns/${id}`);
  await logPage.locator('[data-testid="log-row"]').first().waitFor({ timeout: 30_000 });
  await logPage.locator('[data-testid="connection-status"][data-state="live"]').waitFor({ timeout: 30_000 });
  await logPage.evaluate(() => {
    window.__noReload = true;
    window.__finals = {};
    const scan = () => {
      for (const row of document.querySelectorAll('[data-testid="log-row"]')) {
        const mid = row.dataset.messageId;
        const status = row.dataset.status;
        if (mid && (status === 'SENT' || status === 'FAILED') && !(mid in window.__finals)) {
          window.__finals[mid] = { at: Date.now(), status };
        }
      }
    };
    new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
    scan();
    window.__logReady = Date.now();
  });
  return logPage;
}

const browser = await launchBrowser();
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await signIn(page, '/audiences/new');
  await audienceSize(page);
  if (SEGMENT) await receipts(page);
  await context.close();
} catch (error) {
  failed = true;
  console.error(error instanceof Error ? error.stack : error);
} finally {
  await browser.close();
}
console.log(JSON.stringify(results));
process.exit(failed ? 1 : 0);
