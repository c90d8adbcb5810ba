// The dashboard end to end in a real browser (playwright-core driving Debian's Chromium)
// against a running suite at BASE_URL: dev sign-in; build "total_spend > 10000 AND
// visits <= 3"; the size shown equals the API's preview; save; launch a campaign from it;
// its history row reaches final counts equal to the stats API without a reload; the
// campaign page's log filtered to FAILED. With SHOP_ORDERS_FILE (a Shopify orders export):
// the import screen's dry run, the import through the page, its summary against the imports
// API, a buyer's spend on their customer page against SHOP_BUYER_SPEND (the plain-Python
// reference), then undo from the page. Then axe on the main pages and screenshots at 1280
// and 390 px. Prints one JSON line of measurements; exits 1 on the first failure.
import AxeBuilder from '@axe-core/playwright';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { BASE, api, check, digits, launchBrowser, settledSize, signIn } from './lib.mjs';

const SHOTS = process.env.SCREENSHOTS_DIR ?? '';
const SHOP = process.env.SHOP_ORDERS_FILE
  ? {
      file: process.env.SHOP_ORDERS_FILE,
      email: process.env.SHOP_BUYER_EMAIL ?? '',
      spend: process.env.SHOP_BUYER_SPEND ?? '',
      visits: Number(process.env.SHOP_BUYER_VISITS ?? NaN),
    }
  : null;
const DEMO_CUSTOMER = process.env.DEMO_CUSTOMER_ID ?? 'CUST-000001';
const FINISH_TIMEOUT = Number(process.env.E2E_FINISH_TIMEOUT_MS ?? 120_000);
const results = {};

async function buildAudience(page) {
  await page.getByLabel('Audience name').fill('Big spenders, few visits');
  const first = page.locator('.rule').nth(0);
  await first.locator('.rule-value').fill('10000');
  await page.getByRole('button', { name: '+ Rule' }).first().click();
  const second = page.locator('.rule').nth(1);
  await second.locator('.rule-fields').selectOption('visits');
  await second.locator('.rule-operators').selectOption('<=');
  // Time, inside the page, from the last keystroke to the settled size on screen.
  await page.evaluate(() => {
    window.__lastInput = 0;
    window.__sizeShown = [];
    document.addEventListener('input', () => (window.__lastInput = performance.now()), true);
    const el = document.querySelector('[data-testid="audience-size"]');
    new MutationObserver(() => {
      if (el.dataset.current === 'true') window.__sizeShown.push({ at: performance.now(), text: el.textContent });
    }).observe(el, { attributes: true, characterData: true, childList: true, subtree: true });
  });
  await second.locator('.rule-value').fill('3');
  const shown = await settledSize(page);
  results.audience_size_on_screen_ms = await page.evaluate(() => {
    const after = window.__sizeShown.filter((e) => e.at >= window.__lastInput);
    return after.length ? Math.round(after[0].at - window.__lastInput) : null;
  });
  const rules = {
    combinator: 'and',
    rules: [
      { field: 'total_spend', operator: '>', value: 10000 },
      { field: 'visits', operator: '<=', value: 3 },
    ],
  };
  const preview = await api(page, '/api/v1/segments/preview', { method: 'POST', body: JSON.stringify({ rules }) });
  check(preview.status === 200, `preview answered ${preview.status}`);
  check(shown === preview.body.size, `audience size on screen ${shown} != API preview ${preview.body.size}`);
  check(shown > 0, 'the seed rule matches nobody: load data first');
  results.audience_size = shown;
  results.preview_took_ms = preview.body.took_ms;

  await page.getByRole('button', { name: 'Save audience' }).click();
  await page.waitForURL(/\/audiences\/\d+$/);
  return shown;
}

async function launch(page, size) {
  await page.getByRole('link', { name: 'New campaign to this audience' }).click();
  await page.waitForURL(/\/campaigns\/new\?segment=/);
  await page.getByLabel('Campaign name').fill(`10% off for big spenders · ${new Date().toISOString().slice(11, 19)}`);
  check((await settledSize(page)) === size, 'new-campaign page shows another audience size');
  await page.locator('.bubble').first().waitFor(); // the rendered preview for real customers
  await page.getByRole('button', { name: 'Launch…' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  const heading = await dialog.getByRole('heading').textContent();
  check(digits(heading) === size, `confirm says "${heading}", expected ${size}`);
  await dialog.getByRole('button', { name: /^Send to/ }).click();
  await page.waitForURL(/\/campaigns\?launched=/);
  return new URL(page.url()).searchParams.get('launched');
}

async function watchHistory(page, id) {
  await page.evaluate(() => {
    window.__noReload = true;
  });
  const row = page.locator(`[data-testid="campaign-row"][data-campaign-id="${id}"]`);
  await row.waitFor();
  // Time each change of the row's numbers as the screen shows it.
  await page.evaluate((cid) => {
    const el = document.querySelector(`[data-campaign-id="${cid}"]`);
    window.__changes = [];
    new MutationObserver(() => {
      window.__changes.push({ at: Date.now(), text: el?.textContent ?? '' });
    }).observe(el, { subtree: true, characterData: true, childList: true });
  }, id);
  await page.waitForFunction(
    (cid) => {
      const row = document.querySelector(`[data-campaign-id="${cid}"]`);
      const n = (tid) => Number((row?.querySelector(`[data-testid="${tid}"]`)?.textContent ?? '').replace(/[^0-9]/g, '') || NaN);
      return n('stat-audience') > 0 && n('stat-sent') + n('stat-failed') === n('stat-audience');
    },
    id,
    { timeout: FINISH_TIMEOUT, polling: 100 },
  );
  const finishedOnScreen = Date.now();
  check(await page.evaluate(() => window.__noReload === true), 'the history page reloaded');
  const shown = {
    audience: digits(await row.getByTestId('stat-audience').textContent()),
    sent: digits(await row.getByTestId('stat-sent').textContent()),
    failed: digits(await row.getByTestId('stat-failed').textContent()),
  };
  const stats = await api(page, `/api/v1/stats/campaigns/${id}`);
  check(stats.status === 200, `stats answered ${stats.status}`);
  for (const key of ['audience', 'sent', 'failed']) {
    const apiValue = key === 'audience' ? stats.body.audience_size : stats.body[key];
    check(shown[key] === apiValue, `row ${key} ${shown[key]} != stats API ${apiValue}`);
  }
  await row.getByTestId('campaign-status').filter({ hasText: 'Completed' }).waitFor({ timeout: 10_000 });
  results.final = shown;
  // When the final numbers appeared (the row's last change, timed in the page), against when
  // the stats service committed them and when delivery applied the last receipt.
  const changes = await page.evaluate(() => window.__changes);
  const onScreen = changes.length ? changes[changes.length - 1].at : finishedOnScreen;
  results.stats_commit_to_screen_ms = onScreen - Date.parse(stats.body.updated_at);
  const log = await api(page, `/api/v1/communications?campaign_id=${id}&limit=1000`);
  const applied = Math.max(...log.body.items.map((m) => Date.parse(m.updated_at)));
  results.last_receipt_applied_to_screen_ms = onScreen - applied;
  return shown;
}

/** A campaign launched through the API (as the CLI or another person would) shows up. */
async function launchedElsewhere(page, segmentId) {
  const created = await api(page, '/api/v1/campaigns', {
    method: 'POST',
    body: JSON.stringify({ name: `Free delivery weekend (sent by the API) · ${new Date().toISOString().slice(11, 19)}`, segment_id: segmentId, message: 'Hi {first_name}, delivery is free this weekend!' }),
  });
  check(created.status === 201, `API launch answered ${created.status}: ${JSON.stringify(created.body)}`);
  const started = Date.now();
  await page.locator(`[data-testid="campaign-row"][data-campaign-id="${created.body.id}"]`).waitFor({ timeout: 30_000 });
  check(await page.evaluate(() => window.__noReload === true), 'the history page reloaded');
  results.launched_elsewhere_row_after_ms = Date.now() - started;
}

async function failedLog(page, id, failed) {
  await page.locator(`[data-campaign-id="${id}"] a`).first().click();
  await page.waitForURL(new RegExp(`/campaigns/${id}$`));
  await page.getByLabel('Status').selectOption('FAILED');
  await page.waitForURL(/status=FAILED/);
  if (failed > 0) {
    // The filtered page replaces the unfiltered one: wait for rows that are all FAILED.
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="communication-row"]')];
      return rows.length > 0 && rows.every((r) => r.dataset.status === 'FAILED');
    });
    const statuses = await page.getByTestId('communication-row').evaluateAll((rows) => rows.map((r) => r.dataset.status));
    check(statuses.every((s) => s === 'FAILED'), `log shows ${statuses.join(',')}`);
    check(statuses.length === Math.min(failed, 25), `log shows ${statuses.length} FAILED rows, stats say ${failed}`);
    results.failed_rows_shown = statuses.length;
  }
}


/** Rupees as shown ("₹1,23,456.50") in paise, so amounts compare exactly. */
function paise(text) {
  const clean = (text ?? '').replace(/[^0-9.]/g, '');
  return clean === '' ? null : Math.round(Number(clean) * 100);
}

const SUMMARY = ['new', 'updated', 'unchanged', 'merged', 'stale', 'erased', 'bad'];

async function chooseShopFile(page) {
  await page.getByRole('radio', { name: 'Orders' }).check();
  await page.getByRole('radio', { name: 'Shopify' }).check();
  await page.getByLabel('File to import').setInputFiles(SHOP.file);
  await page.getByTestId('dry-run-counts').waitFor({ timeout: 60_000 });
}

/** The Shopify export through the page: dry run, nothing sent, import, progress, summary. */
async function importShopOrders(page) {
  await page.goto(`${BASE}/imports`);
  await page.getByRole('heading', { name: 'Imports so far' }).waitFor();
  const before = await api(page, '/api/v1/imports?limit=1000');
  check(before.status === 200, `imports list answered ${before.status}`);
  const started = Date.now();
  await chooseShopFile(page);
  results.dry_run_ms = Date.now() - started;
  const counts = page.getByTestId('dry-run-counts');
  const dry = {
    records: digits(await counts.getByTestId('count-records').textContent()),
    good: digits(await counts.getByTestId('count-good').textContent()),
    bad: digits(await counts.getByTestId('count-bad').textContent()),
  };
  check(dry.records > 0 && dry.good + dry.bad === dry.records, `dry run counts ${JSON.stringify(dry)}`);
  check((await page.getByTestId('preview-row').count()) > 0, 'the dry run shows no rows as read');
  const after = await api(page, '/api/v1/imports?limit=1000');
  check(after.body.items.length === before.body.items.length, 'the dry run made an import');
  await audit(page, [['import-dry-run', null]]);

  await page.getByRole('button', { name: /^Import [\d,]+ orders$/ }).click();
  const summary = page.getByTestId('import-summary');
  await summary.waitFor({ timeout: 120_000 });
  const shown = {};
  for (const key of SUMMARY) shown[key] = digits(await summary.getByTestId(`summary-${key}`).textContent());
  const list = await api(page, '/api/v1/imports?limit=1');
  const job = list.body.items[0];
  check(job && job.file_name === SHOP.file.split('/').pop() && job.status === 'done', `newest import ${JSON.stringify(job)}`);
  for (const key of SUMMARY) {
    const value = key === 'bad' ? job.bad : job.counts[key];
    check(shown[key] === value, `summary ${key} ${shown[key]} != imports API ${value}`);
  }
  check(job.sent === dry.good && job.bad === dry.bad, `sent ${job.sent}/${job.bad} != dry run ${dry.good}/${dry.bad}`);
  check(shown.new === dry.good, `${shown.new} new orders, the dry run said ${dry.good} good (a fresh shop)`);
  results.import = { id: job.import_id, dry_run: dry, summary: shown, no_customer: job.counts.no_customer };
  return job;
}

/** The buyer's spend (and visits) on their customer page equals the reference. */
async function buyerOnCustomerPage(page) {
  const url = `${BASE}/customers/${encodeURIComponent(SHOP.email)}`;
  const want = paise(SHOP.spend);
  const deadline = Date.now() + 60_000;
  let shown = null;
  let visits = null;
  for (;;) {
    await page.goto(url);
    const spend = page.getByTestId('profile-spend');
    try {
      await spend.and(page.locator(':not([data-value=""])')).waitFor({ timeout: 10_000 });
      shown = paise(await spend.textContent());
      visits = digits(await page.getByTestId('profile-visits').textContent());
    } catch {
      shown = null; // not found yet: asked again below
    }
    if ((shown === want && visits === SHOP.visits) || Date.now() > deadline) break;
    await page.waitForTimeout(1_000); // the profile is projected a moment after the import
  }
  check(shown === want, `${SHOP.email}: spend on the page ${shown / 100} != reference ${SHOP.spend}`);
  check(visits === SHOP.visits, `${SHOP.email}: visits on the page ${visits} != reference ${SHOP.visits}`);
  check((await page.getByTestId('order-row').count()) > 0, 'the customer page lists no orders');
  results.buyer = { email: SHOP.email, spend: shown / 100, visits };
}

/** Undo from the history row, through its confirmation; the row ends undone with the counts. */
async function undoFromPage(page, job) {
  await page.goto(`${BASE}/imports`);
  const row = page.locator(`[data-testid="import-row"][data-import-id="${job.import_id}"]`);
  await row.waitFor();
  await row.getByRole('button', { name: /^Undo / }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  const question = await dialog.getByTestId('undo-question').textContent();
  check(digits(question.split('created')[0]) === job.counts.new, `undo asks "${question}", the import created ${job.counts.new}`);
  await dialog.getByRole('button', { name: 'Undo the import' }).click();
  await page.locator(`[data-testid="import-row"][data-import-id="${job.import_id}"][data-status="undone"]`).waitFor({ timeout: 120_000 });
  const text = await row.getByTestId('undo-result').textContent();
  const undone = await api(page, `/api/v1/imports/${job.import_id}`);
  check(undone.body.status === 'undone', `import ${job.import_id} is ${undone.body.status}`);
  const removed = Number(/([\d,]+) removed/.exec(text)?.[1]?.replace(/,/g, ''));
  check(removed === undone.body.undo.removed, `the row says ${removed} removed, the API ${undone.body.undo.removed}`);
  check(undone.body.undo.removed >= job.counts.new, `undo removed ${undone.body.undo.removed} of ${job.counts.new} orders`);
  // The buyer's money leaves their profile with the orders.
  const deadline = Date.now() + 60_000;
  let profile;
  do {
    profile = await api(page, `/api/v1/segments/profiles/${encodeURIComponent(SHOP.email)}`);
    if (profile.status === 404 || Number(profile.body?.total_spend) === 0) break;
    await page.waitForTimeout(1_000);
  } while (Date.now() < deadline);
  check(profile.status === 404 || Number(profile.body?.total_spend) === 0, `after undo ${SHOP.email} still spends ${profile.body?.total_spend}`);
  results.undo = undone.body.undo;
}

const PAGES = [
  ['campaigns', '/campaigns'],
  ['campaign', null],
  ['new-campaign', '/campaigns/new'],
  ['audiences', '/audiences'],
  ['audience-builder', null],
  ['customers', '/customers'],
  ['customer', `/customers/${DEMO_CUSTOMER}`],
  ['imports', '/imports'],
];

async function audit(page, urls) {
  const serious = [];
  for (const [name, url] of urls) {
    if (url != null) await page.goto(`${BASE}${url}`); // null: the page as it is
    await page.waitForLoadState('networkidle');
    await page.locator('.skeleton').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
    const report = await new AxeBuilder({ page }).analyze();
    for (const v of report.violations) {
      if (v.impact === 'serious' || v.impact === 'critical') {
        serious.push(`${name}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
      }
    }
  }
  results.axe_pages = (results.axe_pages ?? 0) + urls.length;
  check(serious.length === 0, `axe: ${serious.join('\n')}`);
}

async function screenshots(browser, storage, urls) {
  await mkdir(SHOTS, { recursive: true });
  for (const [width, height, suffix] of [
    [1280, 860, 'desktop'],
    [390, 844, 'mobile'],
    [360, 740, null], // the narrowest width the brief asks for: checked, not kept
  ]) {
    const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1, storageState: storage });
    const page = await context.newPage();
    for (const [name, url] of [['signin', '/signin'], ...urls]) {
      if (name === 'signin') {
        const fresh = await browser.newContext({ viewport: { width, height } });
        const p = await fresh.newPage();
        await p.goto(`${BASE}/signin`);
        await p.getByLabel('Email').waitFor();
        if (suffix) await p.screenshot({ path: path.join(SHOTS, `${name}-${suffix}.png`) });
        await fresh.close();
        continue;
      }
      await page.goto(`${BASE}${url}`);
      await page.waitForLoadState('networkidle');
      await page.locator('.skeleton').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
      if (name === 'customers') {
        await page.locator('table.customers button.link').first().click();
        await page.getByText('Total spend').waitFor();
        await page.waitForLoadState('networkidle');
      }
      if (name === 'customer') {
        await page.getByTestId('profile-spend').and(page.locator(':not([data-value=""])')).waitFor({ timeout: 10_000 });
        await page.getByTestId('order-row').first().waitFor({ timeout: 10_000 });
      }
      if (name === 'imports' && SHOP) {
        await chooseShopFile(page); // the dry run of the shop's file, with the history below
        await page.waitForLoadState('networkidle');
      }
      if (name === 'audience-builder' || name === 'new-campaign') {
        await page.getByTestId('audience-size').and(page.locator('[data-current="true"]')).waitFor({ timeout: 10_000 }).catch(() => undefined);
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(overflow <= 0, `${name} at ${width} px scrolls sideways by ${overflow} px`);
      if (suffix) await page.screenshot({ path: path.join(SHOTS, `${name}-${suffix}.png`), fullPage: true });
    }
    await context.close();
  }
}

const browser = await launchBrowser();
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await signIn(page);
  const size = await buildAudience(page);
  const audienceUrl = new URL(page.url()).pathname;
  const id = await launch(page, size);
  results.campaign_id = id;
  const shown = await watchHistory(page, id);
  await launchedElsewhere(page, audienceUrl.split('/').pop());
  await failedLog(page, id, shown.failed);
  if (SHOP) {
    const job = await importShopOrders(page);
    await buyerOnCustomerPage(page);
    await undoFromPage(page, job);
  }
  const urls = PAGES.map(([name, url]) => [name, url ?? (name === 'campaign' ? `/campaigns/${id}` : audienceUrl)]);
  await audit(page, urls);
  if (SHOTS) await screenshots(browser, await context.storageState(), urls);
  await context.close();
} catch (error) {
  failed = true;
  console.error(error instanceof Error ? error.stack : error);
} finally {
  await browser.close();
}
console.log(JSON.stringify(results));
process.exit(failed ? 1 : 0);
