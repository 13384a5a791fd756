// The cluster picture: ownership edges, consumers, message tokens and the sequence diagram.
import { test, expect, openFresh } from './fixtures.mjs';
import { advance, advanceUntil, liveConsumers } from './helpers.mjs';

/** Map edge test id -> owner client id ('' while revoked) for one group, read from the picture. */
async function edges(page, group) {
  return page.$$eval(`[data-testid="topology"] [data-testid^="edge-${group}-"]`, (els) =>
    Object.fromEntries(els.map((e) => [e.dataset.testid, e.dataset.owner || ''])));
}

async function groupOf(page) {
  return page.getByTestId('group-panel').first().getAttribute('data-group');
}

test('the picture draws one edge per partition to its owner, and follows a crash only after the session timeout', async ({ page }) => {
  await openFresh(page);
  const group = await groupOf(page);
  await expect(page.getByTestId('topology')).toBeVisible();
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: `Add consumer to ${group}` }).click();
  await expect.poll(() => liveConsumers(page, group).then((c) => c.length)).toBe(3);
  const all = await liveConsumers(page, group);
  await advanceUntil(page, async () => {
    const e = await edges(page, group);
    const owners = Object.values(e);
    return owners.length === 6 && owners.every((o) => all.includes(o)) && all.every((c) => owners.includes(c));
  }, 'six edges spread over the three consumers');
  const before = await edges(page, group);
  expect(Object.keys(before).sort()).toEqual([0, 1, 2, 3, 4, 5].map((p) => `edge-${group}-orders-${p}`).sort());

  const victim = all[1];
  const theirs = Object.keys(before).filter((k) => before[k] === victim);
  expect(theirs.length).toBeGreaterThan(0);
  await page.getByRole('button', { name: `Crash consumer ${victim}` }).click();
  const node = page.locator(`[data-testid="topology-consumer"][data-client-id="${victim}"]`);
  await expect(node).toHaveAttribute('data-status', 'crashed');
  // The session timer still runs on the coordinator: 45 s (session.timeout.ms) counting down.
  const left = async () => Number(await node.getByTestId('session-left').getAttribute('data-ms'));
  const first = await left();
  expect(first).toBeGreaterThan(30_000);
  await advance(page, 10);
  expect(await left()).toBeLessThan(first - 9_000);
  // Until the session expires no survivor takes the victim's partitions: their edges are faded, unowned.
  let after = await edges(page, group);
  for (const k of theirs) expect(after[k], k).toBe('');
  for (const k of theirs) await expect(page.getByTestId(k)).toHaveClass(/orphan/);
  await advanceUntil(page, async () => {
    const e = await edges(page, group);
    return theirs.every((k) => e[k] !== '' && e[k] !== victim);
  }, 'the victim\'s partitions owned by survivors', 60);
  const moved = await clockSeconds(page);
  expect(moved).toBeGreaterThan(45);
  after = await edges(page, group);
  expect(Object.values(after).every((o) => o !== victim && o !== '')).toBe(true);
});

async function clockSeconds(page) {
  return parseFloat(await page.getByTestId('clock').textContent());
}

test('tokens appear during a rebalance, labelled with their API, errors on the reply, fields on hover', async ({ page }) => {
  await openFresh(page);
  const group = await groupOf(page);
  await page.getByRole('button', { name: `Add consumer to ${group}` }).click();
  const kinds = new Set();
  const errors = new Set();
  const step = page.getByRole('button', { name: 'Step' });
  for (let i = 0; i < 600 && !(kinds.has('SyncGroup') && errors.has('MEMBER_ID_REQUIRED')); i++) {
    await step.click();
    const tokens = await page.$$eval('[data-testid="topology"] [data-testid="message"]', (els) => els.map((e) => [e.dataset.kind, e.dataset.error]));
    for (const [kind, error] of tokens) {
      kinds.add(kind);
      if (error) errors.add(error);
    }
  }
  expect([...kinds]).toEqual(expect.arrayContaining(['FindCoordinator', 'JoinGroup', 'SyncGroup']));
  expect([...errors]).toContain('MEMBER_ID_REQUIRED');
  // A token's tooltip carries its fields.
  await advanceUntil(page, async () => (await page.locator('[data-testid="topology"] [data-testid^="message"]').count()) > 0, 'a token', 10);
  const title = await page.locator('[data-testid="topology"] [data-testid^="message"] title').first().textContent();
  expect(title).toMatch(/(request|response) · .+ → .+ · correlation id \d+ · sent \d+ ms/);
});

test('a rebalance line of the event log opens its sequence diagram', async ({ page }) => {
  await openFresh(page);
  const group = await groupOf(page);
  await page.getByRole('button', { name: `Add consumer to ${group}` }).click();
  await page.getByRole('button', { name: `Add consumer to ${group}` }).click();
  await advance(page, 8);
  await page.getByTestId('open-sequence').first().click();
  const seq = page.getByTestId('sequence');
  await expect(seq).toBeVisible();
  await expect(seq.getByTestId('sequence-lane')).toHaveCount(3);
  await expect(seq.getByTestId('sequence-lane').first()).toHaveAttribute('data-lane', /^broker \d+$/);
  const kinds = await seq.getByTestId('sequence-message').evaluateAll((els) => els.map((e) => e.dataset.kind + (e.dataset.response === 'true' ? '<' : '>')));
  expect(kinds).toEqual(expect.arrayContaining(['JoinGroup>', 'JoinGroup<', 'SyncGroup>', 'SyncGroup<']));
  expect(kinds.indexOf('JoinGroup<')).toBeLessThan(kinds.indexOf('SyncGroup>'));
  await seq.getByRole('button', { name: 'Close the sequence diagram' }).click();
  await expect(seq).toHaveCount(0);
});

test('lag in seconds grows while the only consumer is stalled', async ({ page }) => {
  await openFresh(page);
  const group = await groupOf(page);
  await page.getByRole('button', { name: `Add consumer to ${group}` }).click();
  const lag = page.locator(`[data-testid="group-panel"][data-group="${group}"] [data-testid="lag-seconds"]`);
  const ms = async () => Number(await lag.getAttribute('data-ms'));
  await advanceUntil(page, async () => (await lag.getAttribute('data-ms')) !== '', 'a first commit', 30);
  await advance(page, 5);
  const steady = await ms();
  expect(steady).toBeLessThan(6_000); // auto commit every 5 s: the oldest uncommitted record is younger
  const client = (await liveConsumers(page, group))[0];
  await page.getByRole('button', { name: `Stall consumer ${client}` }).click();
  await advance(page, 10);
  const stalled = await ms();
  expect(stalled).toBeGreaterThan(9_000);
  await advance(page, 5);
  expect(await ms()).toBeGreaterThan(stalled + 4_000);
  await expect(lag).toContainText(/oldest unconsumed record waiting \d+\.\d s/);
  await expect(page.getByTestId('chart-lag-seconds')).toBeVisible();
});

test('a consumer-protocol group (KIP-848) from the form: ConsumerGroupHeartbeat tokens, epochs, the terminal shows its type', async ({ page }) => {
  await openFresh(page);
  await page.getByTestId('menu-group').locator('summary').click();
  await page.locator('#group-id').fill('kip848');
  await page.locator('#group-protocol').selectOption('consumer');
  await expect(page.locator('#group-strategy')).toHaveCount(0);
  await page.locator('#group-remote-assignor').selectOption('range');
  await page.getByRole('button', { name: 'Create group' }).click();
  const panel = page.locator('[data-testid="group-panel"][data-group="kip848"]');
  await expect(panel).toBeVisible();
  await expect(panel.getByTestId('group-type')).toHaveAttribute('data-type', 'Consumer');
  await page.getByTestId('menu-group').locator('summary').click();
  await panel.getByRole('button', { name: 'Add consumer to kip848' }).click();
  await panel.getByRole('button', { name: 'Add consumer to kip848' }).click();
  const kinds = new Set();
  const step = page.getByRole('button', { name: 'Step' });
  for (let i = 0; i < 200 && !kinds.has('ConsumerGroupHeartbeat'); i++) {
    await step.click();
    for (const k of await page.$$eval('[data-testid="topology"] [data-testid^="message"]', (els) => els.map((e) => e.dataset.kind))) kinds.add(k);
  }
  expect([...kinds]).toContain('ConsumerGroupHeartbeat');
  expect([...kinds]).not.toContain('JoinGroup');
  await advance(page, 12);
  await expect(panel).toHaveAttribute('data-state', 'Stable');
  const epochs = panel.getByTestId('group-epochs');
  await expect(epochs).toHaveAttribute('data-group-epoch', '2');
  await expect(epochs).toHaveAttribute('data-target-epoch', '2');
  const edges = await page.$$eval('[data-testid="topology"] [data-testid^="edge-kip848-"]', (els) => els.map((e) => e.dataset.owner));
  expect(edges.length).toBe(6);
  expect(edges.every((o) => o.startsWith('consumer-kip848-'))).toBe(true);
  await page.getByTestId('terminal-input').fill('kafka-consumer-groups.sh --bootstrap-server localhost:9092 --list --type');
  await page.getByTestId('terminal-input').press('Enter');
  await expect(page.getByTestId('terminal-stdout').last()).toContainText(/kip848\s+Consumer/);
  await expect(page.getByTestId('terminal-stdout').last()).toContainText(/my-group\s+Classic/);
});

test('switching group.protocol, then a drained restart, turns a classic group into a consumer group', async ({ page }) => {
  await openFresh(page);
  const group = await groupOf(page);
  const panel = page.locator(`[data-testid="group-panel"][data-group="${group}"]`);
  await panel.getByRole('button', { name: `Add consumer to ${group}` }).click();
  await advance(page, 6);
  await expect(panel.getByTestId('group-type')).toHaveCount(0);
  await panel.getByRole('button', { name: `group.protocol → consumer for restarts of ${group}` }).click();
  const [client] = await liveConsumers(page, group);
  await page.getByRole('button', { name: `Close consumer ${client}` }).click();
  await advance(page, 1);
  await expect(panel).toHaveAttribute('data-state', 'Empty');
  await page.getByRole('button', { name: `Restart consumer ${client}` }).click();
  await advance(page, 3);
  await expect(panel.getByTestId('group-type')).toHaveAttribute('data-type', 'Consumer');
  await expect(panel).toHaveAttribute('data-state', 'Stable');
  await expect(panel.getByRole('button', { name: `group.protocol → classic for restarts of ${group}` })).toBeVisible();
});
