// Every bundled lesson played to the end as a learner: pick an answer, perform the asked action
// with the ordinary controls, let simulated time run, check the revealed answer is one of the
// choices, click Next, and finish in the free playground. Any console error fails the test.
import { test, expect, openFresh } from './fixtures.mjs';

const LESSONS = ['consumer-groups', 'several-groups', 'failover', 'offsets', 'what-consumers-see', 'cardinality', 'multi-threaded', 'eager-vs-cooperative', 'static-membership', 'max-poll-interval', 'broker-crash', 'classic-figure', 'reset-offsets', 'consumer-protocol', 'share-groups'];

const panel = (page) => page.getByTestId('lesson-panel');

/** Performs the command the step asks for through the UI, like a learner. */
async function perform(page, action) {
  const cmd = JSON.parse(action);
  if (cmd.type === 'crash_consumer') {
    await page.getByRole('button', { name: `Crash consumer ${cmd.client_id}` }).click();
  } else if (cmd.type === 'add_consumer') {
    await page.locator(`[data-testid="group-panel"][data-group="${cmd.group_id}"]`)
      .getByRole('button', { name: 'Add consumer' }).click();
  } else if (cmd.type === 'close_consumer') {
    await page.getByRole('button', { name: `Close consumer ${cmd.client_id}` }).click();
  } else if (cmd.type === 'restart_consumer') {
    await page.getByRole('button', { name: `Restart consumer ${cmd.client_id}` }).click();
  } else if (cmd.type === 'alter_consumer_group_offsets') {
    // The hint gives the command line; the learner types it into the terminal.
    const hint = await page.getByTestId('lesson-hint').textContent();
    const line = hint.split('Type in the terminal: ')[1];
    expect(line, 'the hint gives the line').toBeTruthy();
    await page.getByTestId('terminal-input').fill(line.trim());
    await page.getByTestId('terminal-input').press('Enter');
  } else {
    throw new Error(`the e2e learner cannot perform ${action}`);
  }
}

async function playLesson(page, id) {
  await openFresh(page);
  await page.locator(`[data-testid="lesson-item"][data-lesson="${id}"]`).getByRole('button', { name: /^Start lesson/ }).click();
  await expect(panel(page)).toHaveAttribute('data-lesson', id);
  const total = Number(await panel(page).getAttribute('data-total'));
  expect(total).toBeGreaterThan(1);
  for (let n = 1; n <= total; n++) {
    await expect(panel(page)).toHaveAttribute('data-step', String(n));
    await expect(page).toHaveURL(new RegExp(`#lesson=${id}&step=${n}$`));
    await expect(page.getByTestId('lesson-narration')).not.toBeEmpty();
    const question = page.getByTestId('lesson-question');
    const asked = (await question.count()) > 0;
    const choices = asked ? await question.getByRole('group', { name: 'Choices' }).getByRole('button').allInnerTexts() : [];
    if (asked) await question.getByRole('button', { name: choices[0], exact: true }).click();
    const action = await panel(page).getAttribute('data-action');
    if (action) {
      await expect(panel(page)).toHaveAttribute('data-done', 'false');
      await page.getByRole('button', { name: 'Hint' }).click();
      await expect(page.getByTestId('lesson-hint')).not.toBeEmpty();
      await perform(page, action);
    }
    const play = page.getByTestId('lesson-play');
    if (await play.count()) await play.click();
    await expect(panel(page)).toHaveAttribute('data-done', 'true');
    if (asked) {
      const answer = await page.getByTestId('lesson-answer').getAttribute('data-answer');
      expect(choices, `step ${n}: the engine's answer is one of the choices`).toContain(answer);
    }
    if (n < total) await page.getByTestId('lesson-next').click();
  }
  await page.getByTestId('lesson-finish').click();
  await expect(panel(page)).toHaveCount(0);
  await expect(page.getByTestId('lesson-picker')).toBeVisible();
  // The playground keeps the lesson's setup.
  await expect(page.locator('[data-testid="partition"]').first()).toBeVisible();
}

for (const id of LESSONS) {
  test(`lesson ${id} plays to the end and leaves a playground`, async ({ page }) => {
    await playLesson(page, id);
  });
}

test('a lesson step in the URL is restored, and Back / any step can be revisited', async ({ page }) => {
  await page.goto('./?fresh=1#lesson=broker-crash&step=3');
  await expect(panel(page)).toHaveAttribute('data-step', '3');
  await expect(page.getByTestId('lesson-narration')).toContainText('Broker 0 took over');
  await page.getByRole('button', { name: '◀ Back' }).click();
  await expect(panel(page)).toHaveAttribute('data-step', '2');
  await expect(page).toHaveURL(/#lesson=broker-crash&step=2$/);
  await page.getByRole('button', { name: 'Go to step 5' }).click();
  await expect(panel(page)).toHaveAttribute('data-step', '5');
  // Browser history: Back returns to the previous step's URL and state.
  await page.goBack();
  await expect(panel(page)).toHaveAttribute('data-step', '2');
  await page.getByRole('button', { name: 'Leave the lesson' }).click();
  await expect(page.getByTestId('lesson-picker')).toBeVisible();
});

test('a bad imported lesson is refused naming the file, the step and the problem; nothing is lost', async ({ page }) => {
  await openFresh(page);
  const partitions = await page.locator('[data-testid="partition"]').count();
  const bad = JSON.stringify({ name: 'b', title: 'Broken', concept: 'c', steps: [{ narration: 'a', advance: 'next' }, { narration: 'b', advance: 'soon' }] });
  await page.getByTestId('lesson-import').setInputFiles({ name: 'broken-lesson.json', mimeType: 'application/json', buffer: Buffer.from(bad) });
  await expect(page.getByTestId('lesson-error')).toContainText('broken-lesson.json: step 2:');
  await expect(page.getByTestId('lesson-error')).toContainText('soon');
  await expect(page.locator('[data-testid="partition"]')).toHaveCount(partitions);
  await expect(page.getByTestId('lesson-item')).toHaveCount(LESSONS.length);
  // A good file is accepted and started.
  const good = JSON.stringify({ name: 'g', title: 'Tiny', concept: 'c', commands: [{ at_ms: 0, command: { type: 'create_topic', name: 'tiny', partitions: 2, replication_factor: 1 } }],
    steps: [{ narration: 'Two partitions.', advance: 'next', expect: [{ high_watermark: { topic: 'tiny', partition: 0, eq: 0 } }] }, { narration: 'Your playground.', advance: 'next' }] });
  await page.getByTestId('lesson-import').setInputFiles({ name: 'tiny.json', mimeType: 'application/json', buffer: Buffer.from(good) });
  await expect(panel(page)).toHaveAttribute('data-lesson', 'tiny');
});

test('a bundled lesson file that cannot be loaded is reported and the lab is kept', async ({ page }) => {
  // Lesson files are fetched from scenarios/ when a lesson starts; serve a broken one.
  await page.route('**/scenarios/failover.json', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: '{ "title": ' }));
  await openFresh(page);
  const partitions = await page.locator('[data-testid="partition"]').count();
  await page.locator('[data-testid="lesson-item"][data-lesson="failover"]').getByRole('button', { name: /^Start lesson/ }).click();
  await expect(page.getByTestId('lesson-error')).toContainText('failover.json');
  await expect(page.getByTestId('lesson-picker')).toBeVisible();
  await expect(page.locator('[data-testid="partition"]')).toHaveCount(partitions);
  // Another lesson still starts.
  await page.locator('[data-testid="lesson-item"][data-lesson="offsets"]').getByRole('button', { name: /^Start lesson/ }).click();
  await expect(panel(page)).toHaveAttribute('data-lesson', 'offsets');
});

test('a "your turn" step shows its hint by itself after 20 s', async ({ page }) => {
  await page.clock.install();
  await page.goto('./?fresh=1#lesson=consumer-groups&step=3');
  await expect(panel(page)).toHaveAttribute('data-step', '3');
  await expect(panel(page)).toHaveAttribute('data-done', 'false');
  await expect(page.getByTestId('lesson-hint')).toHaveCount(0);
  await page.clock.runFor(19_000);
  await expect(page.getByTestId('lesson-hint')).toHaveCount(0);
  await page.clock.runFor(2_000);
  await expect(page.getByTestId('lesson-hint')).not.toBeEmpty();
});
