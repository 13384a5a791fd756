// The terminal: Kafka's command lines against the simulation, in the browser. The golden
// transcripts are tests/data/terminal/golden.json, which engine/tests/terminal.rs checks natively:
// the browser prints exactly what the engine prints natively for the same scenario and time.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, openFresh } from './fixtures.mjs';
import { advance, advanceUntil, liveConsumers } from './helpers.mjs';

const dir = path.resolve('tests/data/terminal');
const golden = JSON.parse(fs.readFileSync(path.join(dir, 'golden.json'), 'utf8'));

/** Imports `scenario` as a saved simulation standing at `nowMs`. */
async function importAt(page, scenario, nowMs) {
  const lab = { format: 'grouplab-simulation', version: 1, seed: scenario.config.seed, scenario, applied: [], now_ms: nowMs };
  await page.getByTestId('import').setInputFiles({ name: 'lab.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(lab)) });
  await expect(page.getByTestId('clock')).toHaveText(`${(nowMs / 1000).toFixed(3)} s`);
}

async function type(page, line) {
  const input = page.getByTestId('terminal-input');
  await input.fill(line);
  await input.press('Enter');
  await expect(input).toHaveValue('');
}

/** stdout and stderr of the last terminal entry, exactly. */
async function lastEntry(page) {
  const entry = page.getByTestId('terminal-entry').last();
  const text = async (id) => (await entry.getByTestId(id).count()) ? entry.getByTestId(id).textContent() : '';
  return { stdout: await text('terminal-stdout'), stderr: await text('terminal-stderr') };
}

for (const session of golden.sessions) {
  test(`the terminal prints Kafka's text, as the engine does natively: ${session.scenario} at ${session.at_ms} ms`, async ({ page }) => {
    await openFresh(page);
    const scenario = JSON.parse(fs.readFileSync(path.join(dir, session.scenario), 'utf8'));
    await importAt(page, scenario, session.at_ms);
    for (const want of session.entries) {
      await type(page, want.line);
      expect(await lastEntry(page), want.line).toEqual({ stdout: want.stdout, stderr: want.stderr });
    }
  });
}

test('a reset is refused on a running group; executed on a stopped one it is an action the next consumers start from, and rewinds', async ({ page }) => {
  await openFresh(page);
  const group = 'my-group';
  await page.getByRole('button', { name: `Add consumer to ${group}` }).click();
  await advance(page, 12);
  const B = 'kafka-consumer-groups.sh --bootstrap-server localhost:9092';
  await type(page, `${B} --reset-offsets --group ${group} --topic orders --to-earliest --execute`);
  expect((await lastEntry(page)).stdout).toContain(`Error: Assignments can only be reset if the group '${group}' is inactive, but the current state is Stable.`);
  const [client] = await liveConsumers(page, group);
  await page.getByRole('button', { name: `Close consumer ${client}` }).click();
  await advanceUntil(page, async () => (await page.locator(`[data-testid="group-panel"][data-group="${group}"]`).getAttribute('data-state')) === 'Empty', 'the group Empty', 10);
  const processed = Number(await page.getByTestId('delivery').getAttribute('data-processed'));
  expect(processed).toBeGreaterThan(10);
  await type(page, `${B} --reset-offsets --group ${group} --topic orders --to-earliest`);
  let out = await lastEntry(page);
  expect(out.stderr).toContain('WARN: No action will be performed as the --execute option is missing.');
  expect(out.stdout).toMatch(/GROUP\s+TOPIC\s+PARTITION\s+NEW-OFFSET\n(my-group\s+orders\s+\d\s+0\s*\n){6}/);
  await type(page, `${B} --reset-offsets --group ${group} --topic orders --to-earliest --execute`);
  out = await lastEntry(page);
  expect(out.stderr).toBe('');
  expect(out.stdout).toMatch(/NEW-OFFSET\n(my-group\s+orders\s+\d\s+0\s*\n){6}/);
  // An action like any other: in the timeline's applied commands (rewind and share keep it).
  await advance(page, 1);
  await type(page, `${B} --describe --group ${group}`);
  out = await lastEntry(page);
  for (const row of out.stdout.trim().split('\n').slice(1)) expect(row).toMatch(/^my-group\s+orders\s+\d\s+0\s/);
  // Rewind before the reset: the old offsets; back to the end: the reset again (it is in the timeline).
  await page.getByRole('button', { name: 'Rewind 1 s' }).click();
  await page.getByRole('button', { name: 'Rewind 1 s' }).click();
  await type(page, `${B} --describe --group ${group}`);
  expect((await lastEntry(page)).stdout).toMatch(/^my-group\s+orders\s+\d\s+[1-9]/m);
  await page.getByRole('button', { name: 'Jump to the end of the timeline' }).click();
  await type(page, `${B} --describe --group ${group}`);
  for (const row of (await lastEntry(page)).stdout.trim().split('\n').slice(1)) expect(row).toMatch(/^my-group\s+orders\s+\d\s+0\s/);
  // The next consumer starts from the reset offsets: it processes everything again (duplicates).
  await page.getByRole('button', { name: `Restart consumer ${client}` }).click();
  await advanceUntil(page, async () => Number(await page.getByTestId('delivery').getAttribute('data-duplicates')) >= processed - 5, 'the records processed again', 30);
  // History: ↑ brings the last lines back.
  const input = page.getByTestId('terminal-input');
  await input.press('ArrowUp');
  await expect(input).toHaveValue(`${B} --describe --group ${group}`);
  await input.press('ArrowUp');
  await expect(input).toHaveValue(`${B} --reset-offsets --group ${group} --topic orders --to-earliest --execute`);
  await input.press('ArrowDown');
  await input.press('ArrowDown');
  await expect(input).toHaveValue('');
  await type(page, 'help');
  expect((await lastEntry(page)).stdout).toContain('kafka-consumer-groups.sh');
  await type(page, 'kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe --group my-group --frobnicate');
  expect((await lastEntry(page)).stderr).toContain('frobnicate is not a recognized option');
});
