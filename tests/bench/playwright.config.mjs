// Timed runs in headless Chromium (`cargo xtask bench`): not part of `cargo xtask test`.
import { defineConfig } from '@playwright/test';
import base from '../e2e/playwright.config.mjs';

export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: /.*\.bench\.mjs$/,
  timeout: 300_000,
});
