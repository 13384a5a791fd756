// Share groups (KIP-932): the form, the panel's cards and share-partition ruler, the picture's
// edges from one partition to every member, and a crash leaving records locked, then redelivered.
import path from 'node:path';
import { test, expect, openFresh } from './fixtures.mjs';
import { advance, advanceUntil, clockMs, liveConsumers, openMenu } from './helpers.mjs';

async function closeMenu(page, testid) {
  await page.getByTestId(testid).locator('summary').click();
}

/** A one-partition topic `jobs` with a producer (50 records/s), from the forms. */
async function jobsWithProducer(page) {
  await openMenu(page, 'menu-topic');
  await page.locator('#topic-name').fill('jobs');
  await page.locator('#topic-partitions').fill('1');
  await page.getByRole('button', { name: 'Create topic' }).click();
  await expect(page.locator('[data-testid="topic"][data-topic="jobs"]')).toBeVisible();
  await closeMenu(page, 'menu-topic');
  await openMenu(page, 'menu-producer');
  await page.locator('#producer-topic').selectOption('jobs');
  await page.locator('#producer-rate').fill('50');
  await page.getByRole('button', { name: 'Start producer' }).click();
  await closeMenu(page, 'menu-producer');
}

/** `data-*` numbers of each consumer card of the share group, by client id. */
async function counts(page, group) {
  return page.$$eval(`[data-testid="consumer-card"][data-group="${group}"]`, (els) => Object.fromEntries(els.map((e) => {
    const c = e.querySelector('[data-testid="share-counts"]').dataset;
    return [e.dataset.clientId, { processed: Number(c.processed), locked: Number(c.locked), lockMs: c.lockMs === '' ? null : Number(c.lockMs) }];
  })));
}

test('three share consumers read one partition together; a crashed one keeps its records locked until the lock expires, then they are redelivered', async ({ page }) => {
  test.setTimeout(180_000);
  await openFresh(page);
  await jobsWithProducer(page);

  await openMenu(page, 'menu-share-group');
  await page.locator('#share-group-id').fill('work');
  await page.locator('#share-group-topic').selectOption('jobs');
  await expect(page.locator('#share-lock')).toHaveValue('30000');
  await expect(page.locator('#share-limit')).toHaveValue('5');
  await expect(page.locator('#share-failing-keys')).toHaveCount(0); // an explicit-mode setting
  await page.locator('#share-max-poll').fill('10');
  await page.locator('#share-processing').fill('100');
  // Kafka's bound comes back from the engine, under its field; nothing is created.
  await page.locator('#share-lock').fill('1000');
  await page.getByRole('button', { name: 'Create share group' }).click();
  await expect(page.getByTestId('share-lock-error')).toContainText('group.share.min.record.lock.duration.ms (15000)');
  await expect(page.getByTestId('share-group-panel')).toHaveCount(0);
  await page.locator('#share-lock').fill('30000');
  await page.getByRole('button', { name: 'Create share group' }).click();
  const panel = page.locator('[data-testid="share-group-panel"][data-group="work"]');
  await expect(panel).toBeVisible();
  await closeMenu(page, 'menu-share-group');
  await expect(panel.getByTestId('share-settings')).toContainText('share.record.lock.duration.ms 30000');
  await expect(panel.getByTestId('share-settings')).toContainText('max.poll.records 10');

  for (let i = 0; i < 3; i++) await panel.getByRole('button', { name: 'Add consumer to work' }).click();
  await expect(panel.getByTestId('consumer-card')).toHaveCount(3);
  const clients = await liveConsumers(page, 'work');
  expect(clients).toHaveLength(3);

  // All three process records of the one partition, and the picture has an edge from it to each.
  await advanceUntil(page, async () => Object.values(await counts(page, 'work')).every((c) => c.processed > 0), 'all three consumers processing', 30);
  await expect(panel).toHaveAttribute('data-state', 'Stable');
  await expect(page.locator('[data-testid="topology-group"][data-group="work"]')).toHaveAttribute('data-kind', 'share');
  const edges = () => page.$$eval('[data-testid="topology"] [data-testid^="share-edge-work-jobs-0-"]', (els) => els.map((e) => e.dataset.owner).sort());
  expect(await edges()).toEqual([...clients].sort());
  // The topic's record strip can show how many times the share group processed each record.
  await expect(page.getByTestId('record-colour').locator('option[value="processed:work"]')).toHaveCount(1);
  const ruler = panel.locator('[data-testid="share-partition"][data-partition="jobs-0"]');
  await expect(ruler).toBeVisible();
  // An acquired range says who holds it, its delivery count and its lock on hover.
  const title = await ruler.locator('[data-testid="in-flight"][data-state="ACQUIRED"]').first().getAttribute('title');
  expect(title).toMatch(/ACQUIRED by consumer-work-\d · delivery count 1 of 5 · acquisition lock expires in \d+\.\d s/);

  // Crash a consumer while it holds records.
  let victim;
  await advanceUntil(page, async () => {
    victim = Object.entries(await counts(page, 'work')).find(([, c]) => c.locked > 0)?.[0];
    return victim !== undefined;
  }, 'a consumer holding records', 10);
  const held = ruler.locator(`[data-testid="in-flight"][data-state="ACQUIRED"][data-client-id="${victim}"]`);
  const heldFirst = Number(await held.first().getAttribute('data-delivery-count'));
  expect(heldFirst).toBe(1);
  await page.getByRole('button', { name: `Crash consumer ${victim}` }).click();
  const crashedAt = await clockMs(page);
  const card = panel.locator(`[data-testid="consumer-card"][data-client-id="${victim}"]`);
  await expect(card).toHaveAttribute('data-status', 'crashed');
  const lockBefore = (await counts(page, 'work'))[victim].lockMs;
  expect(lockBefore).toBeGreaterThan(20_000);
  const processedBefore = Number(await panel.getByTestId('share-delivery').getAttribute('data-processed'));

  // Still locked to the crashed consumer: its edge faded, the lock counting down, the others going on.
  await advance(page, 5);
  expect(await held.count()).toBeGreaterThan(0);
  expect((await counts(page, 'work'))[victim].lockMs).toBeLessThanOrEqual(lockBefore - 5_000);
  await expect(page.getByTestId(`share-edge-work-jobs-0-${victim}`)).toHaveClass(/orphan/);
  expect(Number(await panel.getByTestId('share-delivery').getAttribute('data-processed'))).toBeGreaterThan(processedBefore);

  // The lock expires (share.record.lock.duration.ms after the fetch): the records go to the others.
  await advanceUntil(page, async () => (await held.count()) === 0, 'the crashed consumer\'s locks expire', 40);
  expect((await clockMs(page)) - crashedAt).toBeGreaterThan(lockBefore - 2_000);
  await advanceUntil(page, async () => Number(await panel.getByTestId('share-delivery').getAttribute('data-duplicates')) > 0
    || (await ruler.locator('[data-testid="in-flight"]:not([data-delivery-count="1"])').count()) > 0, 'redelivered to a survivor', 10);
  expect((await counts(page, 'work'))[victim].locked).toBe(0);

  // The coordinator fences the member after share.session.timeout.ms (45 s): its edge goes.
  await advanceUntil(page, async () => (await edges()).length === 2, 'the crashed member fenced', 30);
  expect(await edges()).not.toContain(victim);
});

test('explicit acknowledgement: a failing key is released until share.delivery.count.limit, then archived; the panel passes axe', async ({ page }) => {
  await openFresh(page);
  await jobsWithProducer(page);
  await openMenu(page, 'menu-share-group');
  await page.locator('#share-group-id').fill('poison');
  await page.locator('#share-group-topic').selectOption('jobs');
  await page.locator('#share-limit').fill('2');
  await page.locator('#share-mode').selectOption('explicit');
  await page.locator('#share-failing-keys').fill('key-3');
  await page.getByRole('button', { name: 'Create share group' }).click();
  const panel = page.locator('[data-testid="share-group-panel"][data-group="poison"]');
  await expect(panel).toBeVisible();
  await closeMenu(page, 'menu-share-group');
  await expect(panel.getByTestId('share-settings')).toContainText('share.acknowledgement.mode explicit');
  await expect(panel.getByTestId('share-settings')).toContainText('failing keys key-3 → RELEASE');
  await panel.getByRole('button', { name: 'Add consumer to poison' }).click();
  await panel.getByRole('button', { name: 'Add consumer to poison' }).click();
  const delivery = panel.getByTestId('share-delivery');
  await advanceUntil(page, async () => (await delivery.textContent()).match(/archived: [1-9]/) !== null, 'a poison record archived', 30);
  expect(Number(await delivery.getAttribute('data-losses'))).toBe(0);

  await page.addScriptTag({ path: path.resolve('node_modules/axe-core/axe.min.js') });
  for (const theme of ['light', 'dark']) {
    if (theme === 'dark') await page.getByTestId('theme').click();
    const result = await page.evaluate(() => window.axe.run());
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${theme}: ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')})`);
    expect(bad).toEqual([]);
  }
});
