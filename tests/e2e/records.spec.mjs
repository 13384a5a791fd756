// Each record on a partition ruler is coloured by its key (or producer): the strip is a canvas
// under the ruler, drawn from the leader's log.
import { test, expect, openFresh } from './fixtures.mjs';

/** Painted columns of each partition's record strip, and the colours seen. */
async function strips(page) {
  return page.$$eval('[data-testid="record-strip"]', (canvases) => canvases.map((c) => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, 1).data;
    let painted = 0;
    const colours = new Set();
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 0) { painted++; colours.add(`${data[i]},${data[i + 1]},${data[i + 2]}`); }
    }
    return { painted, colours: colours.size };
  }));
}

test('records are coloured by key, by producer, or not at all', async ({ page }) => {
  await openFresh(page);
  await expect(page.getByTestId('record-strip')).toHaveCount(6);
  for (let i = 0; i < 5; i++) await page.getByRole('button', { name: 'Advance 1 s' }).click();
  await expect.poll(async () => (await strips(page)).reduce((n, s) => n + s.painted, 0)).toBeGreaterThan(0);
  // Ten keys over six partitions: some partition holds records of more than one key.
  await expect.poll(async () => Math.max(...(await strips(page)).map((s) => s.colours))).toBeGreaterThan(1);

  await page.getByTestId('record-colour').selectOption('producer');
  // One producer: every painted column of every partition has the same colour.
  await expect.poll(async () => Math.max(...(await strips(page)).map((s) => s.colours))).toBe(1);

  await page.getByTestId('record-colour').selectOption('off');
  await expect.poll(async () => (await strips(page)).reduce((n, s) => n + s.painted, 0)).toBe(0);
});

test('after a crash, the records the group processed twice are marked on the rulers', async ({ page }) => {
  await openFresh(page);
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Add consumer' }).first().click();
  for (let i = 0; i < 14; i++) await page.getByRole('button', { name: 'Advance 1 s' }).click();
  await page.getByRole('button', { name: 'Crash consumer consumer-my-group-2' }).click();
  for (let i = 0; i < 52; i++) await page.getByRole('button', { name: 'Advance 1 s' }).click();
  await expect(page.getByTestId('group-panel').first()).toContainText(/processed twice or more: [1-9]/);
  await page.getByTestId('record-colour').selectOption('processed:my-group');
  const orange = () => page.$$eval('[data-testid="record-strip"]', (canvases) => canvases.reduce((n, c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, 1).data;
    for (let i = 0; i < d.length; i += 4) if (d[i] === 213 && d[i + 1] === 94 && d[i + 2] === 0 && d[i + 3] > 0) n++;
    return n;
  }, 0));
  await expect.poll(orange).toBeGreaterThan(0);
  // Before the crash nothing was processed twice: rewind and the orange is gone.
  await page.getByTestId('scrubber').fill('10000');
  await expect.poll(orange).toBe(0);
});
