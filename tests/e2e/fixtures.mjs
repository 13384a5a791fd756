// Shared fixture: every end-to-end test fails on any console error or uncaught page error.
import { test as base, expect } from '@playwright/test';

export const test = base.extend({
  page: async ({ page }, use) => {
    const errors = [];
    page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
    page.on('pageerror', (err) => errors.push(String(err)));
    await use(page);
    expect(errors, 'console errors').toEqual([]);
  },
});
export { expect };

/** Opens the app with a fresh state and waits for the first render. */
export async function openFresh(page, query = '') {
  await page.goto(`./?fresh=1${query}`);
  await expect(page.getByTestId('app-ready')).toBeAttached();
}
