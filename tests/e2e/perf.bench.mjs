// Frame-time benchmark (not part of `cargo xtask test`): plays 1,000 partitions × 200 consumers
// × 3 groups at 10× in headless Chromium and reports frame-time percentiles and the time from
// navigation to first render.
//
//   cargo xtask dist && (cd dist && python3 -m http.server 8091 --bind 127.0.0.1) &
//   node tests/e2e/perf.bench.mjs http://127.0.0.1:8091/ [seconds]
import { chromium } from '@playwright/test';

const base = process.argv[2] || 'http://127.0.0.1:8091/';
const seconds = Number(process.argv[3] || 10);

function b64url(text) {
  return Buffer.from(text, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const commands = [
  { at_ms: 0, command: { type: 'create_topic', name: 'big', partitions: 1000, replication_factor: 3 } },
  { at_ms: 0, command: { type: 'add_producer', topic: 'big', rate_per_sec: 1000, keys: { random: { count: 1000 } } } },
];
for (const g of ['g1', 'g2', 'g3']) {
  commands.push({ at_ms: 0, command: { type: 'create_group', group_id: g, topics: ['big'] } });
  for (let i = 0; i < 200; i++) commands.push({ at_ms: 0, command: { type: 'add_consumer', group_id: g } });
}
const saved = {
  format: 'grouplab-simulation', version: 1, seed: 1, now_ms: 0, applied: [],
  scenario: { name: 'bench', description: '1000 partitions x 200 consumers x 3 groups', config: { seed: 1, brokers: 3 }, commands },
};

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));

let t0 = Date.now();
await page.goto(`${base}?fresh=1`);
await page.getByTestId('app-ready').waitFor();
const firstRenderMs = Date.now() - t0;

t0 = Date.now();
await page.goto(`${base}?fresh=1#s=${b64url(JSON.stringify(saved))}`);
await page.reload();
await page.getByTestId('app-ready').waitFor();
await page.getByTestId('clock').waitFor();
const loadBigMs = Date.now() - t0;

await page.getByTestId('speed').fill('1'); // 10^1 = 10×
await page.getByTestId('play').click();
const frames = await page.evaluate((ms) => new Promise((resolve) => {
  const deltas = [];
  let last = performance.now();
  const end = last + ms;
  function frame(now) {
    deltas.push(now - last);
    last = now;
    if (now < end) requestAnimationFrame(frame); else resolve(deltas);
  }
  requestAnimationFrame(frame);
}), seconds * 1000);
const clock = await page.getByTestId('clock').textContent();
await browser.close();

frames.sort((a, b) => a - b);
const pct = (p) => frames[Math.min(frames.length - 1, Math.floor(p / 100 * frames.length))].toFixed(1);
console.log(JSON.stringify({
  first_render_ms: firstRenderMs, load_big_ms: loadBigMs, frames: frames.length,
  p50_ms: pct(50), p95_ms: pct(95), p99_ms: pct(99), max_ms: frames[frames.length - 1].toFixed(1),
  simulated_clock_after: clock, errors,
}, null, 1));
