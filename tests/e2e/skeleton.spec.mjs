// Walking skeleton: add three consumers to a 6-partition topic, crash one, and check that every
// partition ends with exactly one owner among the survivors.
import { test, expect, openFresh } from './fixtures.mjs';

/** Map partition -> owner client id (or '') for one group, read from the DOM. */
async function owners(page, group) {
  return page.$$eval(`[data-testid="partition-owner"][data-group="${group}"]`, (els) =>
    Object.fromEntries(els.map((e) => [e.dataset.partition, e.dataset.owner || ''])));
}

async function consumers(page, group) {
  return page.$$eval(`[data-testid="consumer-card"][data-group="${group}"]`, (els) =>
    els.filter((e) => e.dataset.status !== 'crashed' && e.dataset.status !== 'closed')
      .map((e) => e.dataset.clientId));
}

/** Advances simulated time until `predicate` holds (bounded). */
async function advanceUntil(page, predicate, what) {
  for (let i = 0; i < 120; i++) {
    if (await predicate()) return;
    await page.getByRole('button', { name: 'Advance 1 s' }).click();
  }
  throw new Error(`never reached: ${what}`);
}

test('three consumers share six partitions; a crash moves the partitions to the survivors', async ({ page }) => {
  await openFresh(page);
  const group = await page.getByTestId('group-panel').first().getAttribute('data-group');
  await expect(page.locator('[data-testid="partition-owner"]')).not.toHaveCount(0);
  const partitions = Object.keys(await owners(page, group));
  expect(partitions.length).toBe(6);

  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Add consumer' }).first().click();
  await expect.poll(() => consumers(page, group).then((c) => c.length)).toBe(3);
  const all = await consumers(page, group);

  const ownedOnce = async (alive) => {
    const o = await owners(page, group);
    return partitions.every((p) => alive.includes(o[p]));
  };
  await advanceUntil(page, () => ownedOnce(all), 'every partition owned by one of three consumers');
  // Range over 6 partitions and 3 members: two each.
  const counts = Object.values(await owners(page, group)).reduce((m, c) => ({ ...m, [c]: (m[c] || 0) + 1 }), {});
  expect(Object.values(counts).sort()).toEqual([2, 2, 2]);

  const victim = all[1];
  await page.getByRole('button', { name: `Crash consumer ${victim}` }).click();
  const survivors = all.filter((c) => c !== victim);
  // The coordinator notices only when the session times out (session.timeout.ms = 45 s).
  const before = await owners(page, group);
  for (let i = 0; i < 40; i++) await page.getByRole('button', { name: 'Advance 1 s' }).click();
  expect(await owners(page, group)).toEqual(before);
  await advanceUntil(page, () => ownedOnce(survivors), 'every partition owned by a survivor');
  const final = await owners(page, group);
  for (const p of partitions) expect(survivors).toContain(final[p]);
  expect(Object.values(final)).not.toContain(victim);
});
