// The classic group protocol as a person sees it: a crashed consumer keeps its partitions until
// session.timeout.ms (45 s) runs out, then they move to the survivors; eager rebalances leave
// every partition without owner for a while, cooperative ones only the partitions that move.
import { test, expect, openFresh } from './fixtures.mjs';
import { advance, advanceUntil, clockMs, createGroup, liveConsumers, owners } from './helpers.mjs';

const SESSION_TIMEOUT_MS = 45_000;

test('a crashed consumer keeps its partitions until the session timeout, then they move', async ({ page }) => {
  await openFresh(page);
  const group = 'my-group';
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: `Add consumer to ${group}` }).click();
  await expect.poll(() => liveConsumers(page, group).then((c) => c.length)).toBe(3);
  const all = await liveConsumers(page, group);
  await advanceUntil(page, async () => {
    const o = await owners(page, group);
    return Object.keys(o).length === 6 && Object.values(o).every((c) => all.includes(c));
  }, 'three consumers own the six partitions');
  await expect(page.locator(`[data-testid="group-panel"][data-group="${group}"]`)).toHaveAttribute('data-state', 'Stable');

  const victim = all[1];
  const before = await owners(page, group);
  const victimPartitions = Object.keys(before).filter((p) => before[p] === victim);
  expect(victimPartitions.length).toBe(2);
  // Crash while the ruler shades records processed but not committed yet: those are the ones
  // the survivors will process a second time.
  const shaded = () => page.$$eval('[data-testid="partition"]', (rows, ps) =>
    rows.filter((r) => ps.includes(r.dataset.partition) && r.querySelector('.seg.reprocess')).length, victimPartitions);
  await advanceUntil(page, async () => (await shaded()) > 0, 'an uncommitted span on a partition of the victim', 20);
  const delivery = page.locator(`[data-testid="group-panel"][data-group="${group}"] [data-testid="delivery"]`);
  await expect(delivery).toHaveAttribute('data-duplicates', '0');
  await page.getByRole('button', { name: `Crash consumer ${victim}` }).click();
  const crashedAt = await clockMs(page);
  await expect(page.locator(`[data-testid="consumer-card"][data-client-id="${victim}"]`)).toHaveAttribute('data-status', 'crashed');

  // Not before the session timeout: the coordinator still believes the victim owns them.
  while ((await clockMs(page)) + 1000 < crashedAt + SESSION_TIMEOUT_MS) {
    await advance(page);
    const o = await owners(page, group);
    for (const p of victimPartitions) expect(o[p], `${p} at ${await clockMs(page)} ms`).toBe(victim);
  }
  // After it: every partition goes to a survivor.
  const survivors = all.filter((c) => c !== victim);
  await advanceUntil(page, async () => {
    const o = await owners(page, group);
    return Object.values(o).every((c) => survivors.includes(c));
  }, 'every partition owned by a survivor', 40);
  expect(await clockMs(page)).toBeGreaterThanOrEqual(crashedAt + SESSION_TIMEOUT_MS);
  // The event log says why: filter on the coordinator's heartbeat expiry.
  await page.getByTestId('filter-kind').selectOption('heartbeat_expired');
  await expect(page.getByTestId('log-line').first()).toContainText('heartbeat expired for member');
  await expect(page.getByTestId('log-line').first()).toContainText('session.timeout.ms=45000');
  // The shaded records are processed again by the new owner (at-least-once).
  await advanceUntil(page, async () => Number(await delivery.getAttribute('data-duplicates')) > 0, 'duplicates counted', 20);
});

async function gapsAfterThirdJoins(page, group) {
  const add = page.getByRole('button', { name: `Add consumer to ${group}` });
  await add.click();
  await add.click();
  await advanceUntil(page, async () => {
    const o = await owners(page, group);
    return Object.values(o).every((c) => c !== '');
  }, `${group}: two consumers own everything`);
  await advance(page, 3);
  await add.click();
  await advanceUntil(page, async () => new Set(Object.values(await owners(page, group))).size === 3, `${group}: three owners`);
  await advance(page, 5);
  await page.getByLabel('Group shown in the charts').selectOption(group);
  return Number(await page.getByTestId('ownership-gap').getAttribute('data-gaps'));
}

test('eager rebalances leave every partition without owner; cooperative only the moved ones', async ({ page }) => {
  await openFresh(page);
  await createGroup(page, 'eager', 'range');
  await createGroup(page, 'coop', 'cooperative-sticky');
  const eager = await gapsAfterThirdJoins(page, 'eager');
  const coop = await gapsAfterThirdJoins(page, 'coop');
  expect(eager).toBe(6);
  expect(coop).toBeGreaterThan(0);
  expect(coop).toBeLessThan(6);
});
