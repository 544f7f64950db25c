import { expect, test } from '@playwright/test';
import { connectX, hydrated, shot, signUp } from './helpers';

// The profile's zone comes from the browser at sign-up: Berlin, so "local" really is local.
test.use({ timezoneId: 'Europe/Berlin' });

test('schedule a post two seconds ahead and watch it turn posted', async ({ page }) => {
  await signUp(page, 'Pia Publish', 'publish');
  // Connect X through the sandbox's consent screen.
  await connectX(page, 'pia_posts');

  await page.goto('/editor');
  await hydrated(page);
  await page.getByLabel('Idea').fill(`Release notes are out. Smaller, calmer, faster ${Date.now()}.`);
  await page.getByTestId('generate').click();
  await expect(page.getByTestId('variant')).toHaveValue(/Release notes are out/);
  await expect(page.getByTestId('save-state')).toContainText('Saved');

  await page.getByTestId('publish-open').click();
  const dialog = page.getByTestId('publish-dialog');
  await expect(dialog.locator('[data-account="x"]')).toBeChecked();
  await dialog.getByTestId('schedule-radio').check();
  const at = new Date(Date.now() + 3_000).toLocaleString('sv-SE', { timeZone: 'Europe/Berlin' }).replace(' ', 'T');
  await dialog.getByTestId('publish-when').fill(at);
  await expect(dialog).toContainText('Time zone: Europe/Berlin');
  await shot(page, 'publish-dialog');
  await dialog.getByTestId('publish-submit').click();

  const row = dialog.getByTestId('publish-progress').getByRole('listitem');
  await expect(row).toHaveAttribute('data-post-status', 'pending');
  await expect(row).toContainText('Scheduled');
  // Live progress, no reload: it turns Posted on its own, with a link to the post.
  await expect(row).toHaveAttribute('data-post-status', 'posted', { timeout: 15_000 });
  await expect(row.getByRole('link', { name: /View post/ })).toBeVisible();
  await shot(page, 'publish-progress');

  // The library card shows X as published and leads to the post's analytics.
  await page.goto('/library');
  const card = page.getByTestId('library-card').first();
  await expect(card.locator('[data-platform="x"]')).toHaveAttribute('aria-label', /Published/);
  await shot(page, 'library-published');
  await card.getByTestId('card-analytics').click();
  await expect(page).toHaveURL(/\/dashboard\/post\//);
  await expect(page.locator('[data-testid="post-series"][data-platform="x"]')).toBeVisible();
});
