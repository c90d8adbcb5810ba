// What the end-to-end run (run.mjs) and the dashboard benchmark's browser side
// (measure.mjs) share: the browser launch, dev sign-in, the page's own API calls, and
// reading the live audience size.
import { chromium } from 'playwright-core';

export const BASE = process.env.BASE_URL ?? 'http://127.0.0.1:8080';
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const EMAIL = 'marketer@example.in';

export function digits(text) {
  const only = (text ?? '').replace(/[^0-9]/g, '');
  return only === '' ? null : Number(only);
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Debian's Chromium, headless, with nothing talking to the internet. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** JSON from the API with the page's own session (same origin, same token). */
export async function api(page, url, init) {
  // The token is the one the app stored; the app renews it (short-lived tokens in the e2e
  // run), so a 401 is asked again once the app has stored the next one.
  for (let attempt = 0; ; attempt += 1) {
    const answer = await page.evaluate(
      async ([u, i]) => {
        const session = JSON.parse(localStorage.getItem('beacon.session') ?? 'null');
        const headers = { 'content-type': 'application/json' };
        if (session?.accessToken) headers.authorization = `Bearer ${session.accessToken}`;
        const response = await fetch(u, { ...(i ?? {}), headers });
        return { status: response.status, body: await response.json().catch(() => null) };
      },
      [url, init],
    );
    if (answer.status !== 401 || attempt >= 3) return answer;
    await page.waitForTimeout(1_000);
  }
}

/** The audience size once it shows the count for the rules on screen. */
export async function settledSize(page, timeout = 15_000) {
  const size = page.getByTestId('audience-size');
  await size.and(page.locator('[data-current="true"]')).waitFor({ timeout });
  return digits(await size.textContent());
}

/** Dev sign-in on the way to `path`: the app sends us to sign-in, then back. */
export async function signIn(page, path = '/audiences/new') {
  await page.goto(`${BASE}${path}`);
  await page.waitForURL(/\/signin\?next=/);
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByRole('button', { name: 'Sign in (dev)' }).click();
  await page.waitForURL(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`));
}
