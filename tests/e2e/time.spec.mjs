// Time travel and keyboard: rewind with the scrubber, act in the past to fork the timeline,
// and every common action from the keyboard.
import { test, expect, openFresh } from './fixtures.mjs';
import { advance, clockMs, liveConsumers } from './helpers.mjs';

const cards = (page) => page.locator('[data-testid="consumer-card"]');

test('rewind replays the same past; acting in the past discards the future', async ({ page }) => {
  await openFresh(page);
  await page.getByRole('button', { name: 'Add consumer to my-group' }).click();
  await advance(page, 10);
  await page.getByRole('button', { name: 'Add consumer to my-group' }).click();
  await advance(page, 10);
  await expect(cards(page)).toHaveCount(2);
  const endMs = await clockMs(page);
  const hwAtEnd = await page.locator('[data-testid="partition"]').first().getAttribute('data-hw');

  await page.getByTestId('scrubber').fill('5000');
  await expect(page.getByTestId('clock')).toHaveText('5.000 s');
  await expect(cards(page)).toHaveCount(1);
  await expect(page.getByTestId('past-banner')).toBeVisible();

  // Forward again on the same timeline: the second consumer comes back, same HW as before.
  await page.getByTestId('scrubber').fill(String(endMs));
  await expect(cards(page)).toHaveCount(2);
  await expect(page.locator('[data-testid="partition"]').first()).toHaveAttribute('data-hw', hwAtEnd);

  // Rewind and act: the future is gone.
  await page.getByTestId('scrubber').fill('5000');
  await page.getByRole('button', { name: 'Produce 10 records to orders' }).click();
  await expect(page.getByTestId('past-banner')).toHaveCount(0);
  await expect(page.getByTestId('status')).toContainText('end 5.000 s');
  await advance(page, 10);
  await expect(cards(page)).toHaveCount(1);
});

test('clicking an event line moves the timeline to it', async ({ page }) => {
  await openFresh(page);
  await page.getByRole('button', { name: 'Add consumer to my-group' }).click();
  await advance(page, 6);
  const line = page.getByTestId('log-line').last();
  const at = Number(await line.getAttribute('data-at'));
  await line.click();
  expect(await clockMs(page)).toBe(at);
});

test('keyboard shortcuts', async ({ page }) => {
  await openFresh(page);
  await page.locator('body').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press('?');
  await expect(page.getByTestId('help')).toBeVisible();
  await expect(page.getByTestId('help')).toContainText('Crash the selected consumer');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('help')).toHaveCount(0);
  await page.keyboard.press('/');
  await expect(page.getByTestId('terminal-input')).toBeFocused();
  await expect(page.getByTestId('terminal-input')).toHaveValue('');
  await page.keyboard.press('Escape');
  await page.locator('body').click({ position: { x: 5, y: 300 } });

  await page.keyboard.press('a');
  await page.keyboard.press('a');
  await expect(cards(page)).toHaveCount(2);

  const leoSum = () => page.$$eval('[data-testid="partition"]', (els) => els.reduce((s, e) => s + Number(e.dataset.leo), 0));
  const before = await leoSum();
  await page.keyboard.press('p');
  await expect.poll(leoSum).toBeGreaterThanOrEqual(before + 10);

  const t0 = await clockMs(page);
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => clockMs(page)).toBeGreaterThan(t0);

  await page.keyboard.press(' ');
  await expect(page.getByRole('button', { name: 'Pause', exact: true })).toBeVisible();
  await page.keyboard.press(' ');
  await expect(page.getByRole('button', { name: 'Play', exact: true })).toBeVisible();

  await page.keyboard.press('t');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.keyboard.press('t');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');

  await page.keyboard.press('+');
  await expect(page.getByTestId('speed-value')).toHaveText('20×');

  const victim = (await liveConsumers(page, 'my-group'))[0];
  await page.locator(`[data-testid="consumer-card"][data-client-id="${victim}"] .mid`).click();
  await page.keyboard.press('c');
  await expect(page.locator(`[data-testid="consumer-card"][data-client-id="${victim}"]`)).toHaveAttribute('data-status', 'crashed');

  await page.keyboard.press('g');
  await expect(page.getByTestId('glossary')).toBeVisible();
  await expect(page.getByTestId('glossary')).toContainText('session.timeout.ms (45000)');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('glossary')).toHaveCount(0);
});

test('fast-forward runs to a time with a progress bar, to the next rebalance, and can be cancelled', async ({ page }) => {
  await openFresh(page);
  await page.getByRole('button', { name: 'Add consumer to my-group' }).click();
  // To a time: the clock lands exactly there and the status says so.
  await page.getByTestId('ff-seconds').fill('120');
  await page.getByTestId('ff-seconds').press('Enter');
  await expect(page.getByTestId('ff-end')).toHaveText('⏩ fast-forwarded to 120.000 s');
  expect(await clockMs(page)).toBe(120_000);
  // To the next rebalance: a second consumer joins, the fast-forward stops just after.
  await page.getByRole('button', { name: 'Add consumer to my-group' }).click();
  await page.getByTestId('ff-rebalance').click();
  await expect(page.getByTestId('ff-end')).toContainText('a rebalance started');
  const at = await clockMs(page);
  expect(at).toBeGreaterThanOrEqual(120_000);
  expect(at).toBeLessThan(121_000);
  // A long one shows its progress and stops where it is on Cancel (or Esc).
  await page.getByTestId('ff-seconds').fill('86400');
  await page.getByTestId('ff-seconds').press('Enter');
  await expect(page.getByTestId('ff-progress')).toBeVisible();
  await page.getByTestId('ff-cancel').click();
  await expect(page.getByTestId('ff-end')).toContainText('cancelled at');
  const stopped = await clockMs(page);
  expect(stopped).toBeGreaterThan(at);
  expect(stopped).toBeLessThan(86_400_000);
  // A time not ahead of now is refused with a message; the state is kept.
  await page.getByTestId('ff-seconds').fill('1');
  await page.getByTestId('ff-seconds').press('Enter');
  await expect(page.getByRole('alert')).toContainText('is not ahead of now');
  expect(await clockMs(page)).toBe(stopped);
});
