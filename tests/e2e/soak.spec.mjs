// A seeded random-action soak: clicks on every control, keyboard shortcuts, scrubbing, imports
// (good and damaged files), terminal lines. It must end with no console error (the fixture) and
// a flat JS heap. The default run lasts GROUPLAB_SOAK_MS (30 s); the five-minute soak is
// GROUPLAB_SOAK_MS=300000. GROUPLAB_SOAK_SEED replays a failure.
import { test, expect, openFresh } from './fixtures.mjs';

const SOAK_MS = Number(process.env.GROUPLAB_SOAK_MS || 30_000);
const SEED = Number(process.env.GROUPLAB_SOAK_SEED || 20261201);

/** mulberry32: a small seeded PRNG. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = [' ', 'ArrowRight', 'ArrowLeft', 'a', 'p', 'c', '+', '-', 't', 'g', '?', 'Escape'];
const LINES = [
  'kafka-consumer-groups.sh --bootstrap-server localhost:9092 --list',
  'kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe --group my-group',
  'kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe --group my-group --members --verbose',
  'kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe --group my-group --state',
  'kafka-consumer-groups.sh --bootstrap-server localhost:9092 --reset-offsets --group my-group --topic orders --to-earliest --execute',
  'kafka-consumer-groups.sh --bootstrap-server localhost:9092 --reset-offsets --group my-group --all-topics --shift-by -5 --dry-run',
  'kafka-topics.sh --bootstrap-server localhost:9092 --describe',
  'kafka-consumer-groups.sh --bogus',
  'help',
  'ls -la',
];

async function heapMb(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize / 1e6;
}

test(`random-action soak for ${SOAK_MS / 1000} s (seed ${SEED}): no console error, flat JS heap`, async ({ page }) => {
  test.setTimeout(SOAK_MS + 180_000);
  await openFresh(page);
  const cdp = await page.context().newCDPSession(page);
  const random = rng(SEED);
  const pick = (xs) => xs[Math.floor(random() * xs.length)];
  const actions = { click: 0, key: 0, seek: 0, import: 0, terminal: 0 };
  let baseline = null;
  const heap = [];
  const start = Date.now();
  let i = 0;
  while (Date.now() - start < SOAK_MS) {
    i++;
    const r = random();
    if (r < 0.5) {
      // Any visible, enabled button except the file download (a real download per click).
      const buttons = await page.locator('button:visible:not([disabled]):not([data-testid="export"])').all();
      if (buttons.length) {
        await pick(buttons).click({ timeout: 2_000 }).catch(() => {});
        actions.click++;
      }
    } else if (r < 0.65) {
      await page.locator('body').press(pick(KEYS)).catch(() => {});
      actions.key++;
    } else if (r < 0.75) {
      await page.getByTestId('scrubber').evaluate((el, f) => {
        el.value = String(Math.floor(Number(el.max || 0) * f));
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }, random()).catch(() => {});
      actions.seek++;
    } else if (r < 0.82) {
      const exported = random() < 0.6
        ? JSON.stringify({ format: 'grouplab-simulation', version: 1, seed: 7, scenario: { name: 's', description: '', config: { seed: 7, brokers: 3 }, commands: [
          { at_ms: 0, command: { type: 'create_topic', name: 'orders', partitions: 4, replication_factor: 3 } },
          { at_ms: 0, command: { type: 'create_group', group_id: 'my-group', topics: ['orders'] } },
          { at_ms: 0, command: { type: 'add_consumer', group_id: 'my-group' } }] }, applied: [], now_ms: 0 })
        : pick(['{', '{"format":"grouplab-simulation","version":1}', '[]', '{"format":"x"}']);
      await page.getByTestId('import').setInputFiles({ name: 'soak.json', mimeType: 'application/json', buffer: Buffer.from(exported) }).catch(() => {});
      actions.import++;
    } else {
      const input = page.getByTestId('terminal-input');
      if (await input.count()) {
        await input.fill(pick(LINES));
        await input.press('Enter');
        actions.terminal++;
      }
    }
    if (i % 40 === 0) {
      // Pause so the simulation's own growth (a longer timeline) does not read as a leak.
      if (await page.getByRole('button', { name: 'Pause', exact: true }).count()) await page.getByRole('button', { name: 'Pause', exact: true }).click();
      const mb = await heapMb(cdp);
      heap.push(mb);
      if (baseline === null && Date.now() - start > SOAK_MS / 4) baseline = mb;
    }
  }
  const end = await heapMb(cdp);
  console.log(`SOAK seed=${SEED} actions=${i} ${JSON.stringify(actions)} heap MB: ${heap.map((h) => h.toFixed(1)).join(' ')} end ${end.toFixed(1)}`);
  await expect(page.getByTestId('app-ready')).toBeAttached();
  expect(actions.click).toBeGreaterThan(0);
  // Flat: the JS heap at the end is within 50 % (+5 MB) of its size a quarter of the way in.
  const reference = baseline ?? heap[0] ?? end;
  expect(end).toBeLessThan(reference * 1.5 + 5);
});
