// Helpers shared by the end-to-end specs (read state from data-* attributes, move time).
import { expect } from './fixtures.mjs';

/** Simulated time in ms, read from the clock ("12.345 s"). */
export async function clockMs(page) {
  const text = await page.getByTestId('clock').textContent();
  return Math.round(parseFloat(text) * 1000);
}

/** Map partition -> owner client id (or '') for one group. */
export async function owners(page, group) {
  return page.$$eval(`[data-testid="partition-owner"][data-group="${group}"]`, (els) =>
    Object.fromEntries(els.map((e) => [e.dataset.partition, e.dataset.owner || ''])));
}

/** Client ids of the consumer cards of a group that are not crashed or closed. */
export async function liveConsumers(page, group) {
  return page.$$eval(`[data-testid="consumer-card"][data-group="${group}"]`, (els) =>
    els.filter((e) => e.dataset.status !== 'crashed' && e.dataset.status !== 'closed').map((e) => e.dataset.clientId));
}

export async function advance(page, seconds = 1) {
  for (let i = 0; i < seconds; i++) await page.getByRole('button', { name: 'Advance 1 s' }).click();
}

/** Advances 1 s at a time until `predicate` holds (bounded). */
export async function advanceUntil(page, predicate, what, maxSeconds = 120) {
  for (let i = 0; i < maxSeconds; i++) {
    if (await predicate()) return;
    await advance(page);
  }
  throw new Error(`never reached: ${what}`);
}

export async function openMenu(page, testid) {
  const menu = page.getByTestId(testid);
  if (!(await menu.evaluate((d) => d.open))) await menu.locator('summary').click();
}

/** Creates a group subscribed to `orders` with the given strategy through the form. */
export async function createGroup(page, id, strategy) {
  await openMenu(page, 'menu-group');
  await page.locator('#group-id').fill(id);
  await page.locator('#group-strategy').selectOption(strategy);
  await page.getByRole('button', { name: 'Create group' }).click();
  await expect(page.locator(`[data-testid="group-panel"][data-group="${id}"]`)).toBeVisible();
  await page.getByTestId('menu-group').locator('summary').click();
}
