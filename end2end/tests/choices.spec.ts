import { expect, test } from '@playwright/test';
import { connectPlatform, connectX, hydrated, shot, signUp } from './helpers';

test.use({ timezoneId: 'Europe/Berlin' });

test("TikTok's choices come from TikTok, privacy has no default, and each attempt is listed on the calendar", async ({ page }) => {
  await signUp(page, 'Tia Tok', 'choices');
  await connectX(page, 'tia_x');
  await connectPlatform(page, 'TikTok', 'TikTok', 'tia_tok');

  await page.goto('/editor');
  await hydrated(page);
  await page.getByLabel('Idea').fill(`Behind the scenes of our studio ${Date.now()}.`);
  await page.getByTestId('generate').click();
  await expect(page.getByTestId('save-state')).toContainText('Saved');
  await page.getByTestId('publish-open').click();
  const dialog = page.getByTestId('publish-dialog');
  const tiktok = dialog.locator('[data-account="tiktok"]');
  if (!(await tiktok.isChecked())) await tiktok.check();

  // Asked of TikTok (the sandbox's creator_info): who can see it, with nothing chosen yet.
  const choices = dialog.getByTestId('tiktok-choices');
  const privacy = choices.getByLabel('Who can see this post');
  await expect(privacy.locator('option')).toHaveText(['Choose…', 'Everyone', 'Friends', 'Only me']);
  await expect(privacy).toHaveValue('');
  await dialog.getByTestId('publish-submit').click();
  await expect(dialog.getByRole('alert')).toContainText('Choose who can see the TikTok post');

  // Branded content cannot be private: "Only me" is unavailable while it is ticked.
  await choices.getByTestId('tiktok-disclose').check();
  await choices.getByLabel(/Branded content/).check();
  await expect(privacy.locator('option', { hasText: 'Only me' })).toBeDisabled();
  await expect(choices).toContainText("TikTok's Branded Content Policy");
  await privacy.selectOption({ label: 'Friends' });
  await shot(page, 'publish-tiktok-choices');

  // X alone goes out now; its attempt is listed in the calendar's details.
  await tiktok.uncheck();
  await expect(choices).toHaveCount(0);
  await dialog.getByTestId('publish-submit').click();
  const row = dialog.getByTestId('publish-progress').getByRole('listitem');
  await expect(row).toHaveAttribute('data-post-status', 'posted', { timeout: 15_000 });

  await page.goto('/calendar');
  await hydrated(page);
  const chip = page.locator('[data-testid="chip"]').first();
  await chip.focus();
  await page.keyboard.press('Enter');
  const details = page.getByTestId('post-dialog');
  const log = details.getByTestId('attempt-log');
  await expect(log).toContainText('Attempts (1)');
  await log.locator('summary').click();
  await expect(log).toContainText('Attempt 1');
  await expect(log).toContainText('posted');
  await shot(page, 'calendar-attempt-log');
});
