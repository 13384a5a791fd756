// State outside the page: export → import round trip, shared links, bad files and links
// rejected with a message while the current simulation stays, invalid topic names rejected.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect, openFresh } from './fixtures.mjs';
import { advance, clockMs, openMenu } from './helpers.mjs';

const cards = (page) => page.locator('[data-testid="consumer-card"]');

test('export to a JSON file and import it back', async ({ page }) => {
  await openFresh(page);
  await page.getByRole('button', { name: 'Add consumer to my-group' }).click();
  await advance(page, 4);
  await page.getByRole('button', { name: 'Add consumer to my-group' }).click();
  await advance(page, 3);
  const exportedAt = await clockMs(page);
  await openMenu(page, 'menu-file');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
  const file = await download.path();
  const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  expect(saved.format).toBe('grouplab-simulation');
  expect(saved.applied.length).toBe(2);
  expect(saved.seed).toBe(7);

  await page.getByRole('button', { name: 'Add consumer to my-group' }).click();
  await advance(page, 5);
  await expect(cards(page)).toHaveCount(3);

  await page.getByTestId('import').setInputFiles(file);
  await expect(page.getByTestId('clock')).toHaveText(`${(exportedAt / 1000).toFixed(3)} s`);
  await expect(cards(page)).toHaveCount(2);
  await expect(page.getByTestId('error')).toHaveCount(0);
});

test('a malformed file is rejected with a message and the state is kept', async ({ page }) => {
  await openFresh(page);
  await page.getByRole('button', { name: 'Add consumer to my-group' }).click();
  await advance(page, 2);
  const bad = path.join(os.tmpdir(), 'grouplab-bad.json');
  fs.writeFileSync(bad, '{"format":"grouplab-simulation","version":1,"seed":1}');
  await page.getByTestId('import').setInputFiles(bad);
  await expect(page.getByTestId('error')).toContainText('missing field');
  await expect(page.getByTestId('error')).toContainText('grouplab-bad.json');
  await expect(cards(page)).toHaveCount(1);
  await expect(page.getByTestId('clock')).toHaveText('2.000 s');
});

test('a shared link restores the simulation; a tampered one shows an error and keeps state', async ({ page }) => {
  await openFresh(page);
  await page.getByRole('button', { name: 'Add consumer to my-group' }).click();
  await advance(page, 3);
  await openMenu(page, 'menu-file');
  await page.getByTestId('share').click();
  const link = await page.getByTestId('share-link').inputValue();
  expect(link).toContain('#s=');

  const other = await page.context().newPage();
  await other.goto(link.replace('?fresh=1', ''));
  await expect(other.getByTestId('clock')).toHaveText('3.000 s');
  await expect(other.locator('[data-testid="consumer-card"]')).toHaveCount(1);
  await other.close();

  await page.evaluate(() => { window.location.hash = 's=eyJmb3JtYXQiOi$$$'; });
  await expect(page.getByTestId('error')).toContainText('shared link is damaged');
  await expect(cards(page)).toHaveCount(1);
  await expect(page.getByTestId('clock')).toHaveText('3.000 s');
});

test('opening a tampered link shows what is wrong', async ({ page }) => {
  await openFresh(page, '#s=bm90IGpzb24');
  await expect(page.getByTestId('error')).toContainText('not a GroupLab simulation file');
  await expect(page.locator('[data-testid="partition"]')).toHaveCount(6);
});

test('the last simulation is restored on reload, unless ?fresh=1', async ({ page }) => {
  await openFresh(page);
  await page.getByRole('button', { name: 'Add consumer to my-group' }).click();
  await advance(page, 2);
  await page.goto('./');
  await expect(page.getByTestId('app-ready')).toBeAttached();
  await expect(cards(page)).toHaveCount(1);
  await openFresh(page);
  await expect(cards(page)).toHaveCount(0);
});

test('an invalid topic name is rejected next to the field and nothing changes', async ({ page }) => {
  await openFresh(page);
  await openMenu(page, 'menu-topic');
  await page.locator('#topic-name').fill('bad name!');
  await expect(page.getByTestId('topic-name-error')).toContainText('Topic name is invalid');
  await page.getByRole('button', { name: 'Create topic' }).click();
  await expect(page.getByTestId('topic-name-error')).toBeVisible();
  await expect(page.getByTestId('topic')).toHaveCount(1);
  await page.locator('#topic-name').fill('orders');
  await page.getByRole('button', { name: 'Create topic' }).click();
  await expect(page.getByTestId('topic-name-error')).toContainText('already exists');
  await expect(page.getByTestId('topic')).toHaveCount(1);
  await page.locator('#topic-name').fill('payments');
  await page.getByRole('button', { name: 'Create topic' }).click();
  await expect(page.getByTestId('topic')).toHaveCount(2);
});

test('axe-core finds no serious or critical accessibility violation', async ({ page }) => {
  await openFresh(page);
  await page.getByRole('button', { name: 'Add consumer to my-group' }).click();
  await advance(page, 5);
  await page.addScriptTag({ path: path.resolve('node_modules/axe-core/axe.min.js') });
  for (const theme of ['light', 'dark']) {
    if (theme === 'dark') await page.getByTestId('theme').click();
    const result = await page.evaluate(() => window.axe.run());
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${theme}: ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')})`);
    expect(bad).toEqual([]);
  }
});
