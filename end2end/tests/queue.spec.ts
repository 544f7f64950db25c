import { expect, test } from '@playwright/test';
import { connectX, hydrated, shot, signUp } from './helpers';

test.use({ timezoneId: 'Europe/Berlin' });

test('set posting times, then add a draft to the queue and see it take the next one', async ({ page }) => {
  await signUp(page, 'Quinn Queue', 'queue');
  // Without an account there is nothing to give a queue.
  await page.goto('/queue');
  await expect(page.getByRole('link', { name: 'Connect an account' })).toBeVisible();

  await connectX(page, 'quinn_queues');

  await page.goto('/queue');
  await hydrated(page);
  const card = page.getByTestId('queue-account');
  await expect(card).toContainText('@quinn_queues');
  await expect(card.getByTestId('no-times')).toBeVisible();
  await expect(page.getByTestId('queue-timezone')).toHaveText('Europe/Berlin');

  // Every day at 09:30, and Saturday at 14:00.
  await card.getByLabel('Days', { exact: true }).selectOption('daily');
  await card.getByLabel('Time', { exact: true }).fill('09:30');
  await card.getByRole('button', { name: 'Add time' }).click();
  await expect(page.getByText('Added 09:30 on 7 days.')).toBeVisible();
  await expect(card.getByRole('button', { name: /^Remove .* 09:30$/ })).toHaveCount(7);
  await card.getByLabel('Days', { exact: true }).selectOption({ label: 'Saturday' });
  await card.getByLabel('Time', { exact: true }).fill('14:00');
  await card.getByRole('button', { name: 'Add time' }).click();
  await expect(card.getByRole('button', { name: 'Remove Saturday 14:00' })).toBeVisible();
  // The same time again changes nothing and says so.
  await card.getByLabel('Days', { exact: true }).selectOption('daily');
  await card.getByLabel('Time', { exact: true }).fill('09:30');
  await card.getByRole('button', { name: 'Add time' }).click();
  await expect(page.getByText('09:30 is already a posting time on those days.')).toBeVisible();
  // Remove one with the keyboard.
  await card.getByRole('button', { name: 'Remove Sunday 09:30' }).focus();
  await page.keyboard.press('Enter');
  await expect(card.getByRole('button', { name: /^Remove .* 09:30$/ })).toHaveCount(6);
  await shot(page, 'queue-times');

  await page.goto('/editor');
  await hydrated(page);
  await page.getByLabel('Idea').fill(`Queue me up: a calmer way to post ${Date.now()}.`);
  await page.getByTestId('generate').click();
  await expect(page.getByTestId('variant')).toHaveValue(/Queue me up/);
  await expect(page.getByTestId('save-state')).toContainText('Saved');
  await page.getByTestId('publish-open').click();
  const dialog = page.getByTestId('publish-dialog');
  await dialog.getByTestId('queue-radio').check();
  await expect(dialog.getByTestId('publish-submit')).toHaveText(/Add to queue for 1 account/);
  await dialog.getByTestId('publish-submit').click();
  const row = dialog.getByTestId('publish-progress').getByRole('listitem');
  await expect(row).toHaveAttribute('data-post-status', 'pending');
  // The next free time is a 09:30 or a Saturday 14:00, never a Sunday 09:30.
  await expect(row).toContainText(/(09:30|14:00)/);

  await page.goto('/queue');
  await hydrated(page);
  await expect(card).toContainText('1 post queued');
  await expect(card.getByTestId('queue-upcoming')).toContainText('Queue me up');
  await shot(page, 'queue-upcoming');
});
