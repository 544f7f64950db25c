import { expect, test } from '@playwright/test';
import { connectX, hydrated, shot, signUp } from './helpers';

// The profile's zone comes from the browser at sign-up: Berlin, so "local" really is local.
test.use({ timezoneId: 'Europe/Berlin' });

/** `YYYY-MM-DD` in Berlin, `days` from now. */
function berlinDate(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toLocaleDateString('sv-SE', { timeZone: 'Europe/Berlin' });
}

function shiftDate(date: string, days: number): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}


test('bulk-import a CSV (a bad row refuses it all), see the posts on the calendar, drag one to another day', async ({ page }) => {
  await signUp(page, 'Cal Endar', 'schedule');
  await connectX(page, 'cal_posts');

  await page.goto('/calendar');
  await hydrated(page);
  await expect(page.getByTestId('calendar')).toHaveAttribute('data-view', 'month');
  await expect(page.getByTestId('calendar-empty')).toContainText('Nothing scheduled yet');
  await expect(page.locator('[data-testid="day"] [aria-current="date"]')).toHaveCount(1);

  const day = berlinDate(2);
  const rows = (third: string) =>
    `date,time,accounts,text,image_url\n${day},09:00,x,Calendar launch post,\n${day},10:30,x,"Second post, same day",\n${day},${third},x,Third post,\n`;

  await page.getByTestId('bulk-open').click();
  const panel = page.getByTestId('bulk-import');
  await expect(panel).toBeVisible();
  await expect(panel.getByTestId('bulk-template')).toHaveAttribute('href', '/api/schedule/bulk/template.csv');
  await panel.getByTestId('bulk-file').setInputFiles({ name: 'posts.csv', mimeType: 'text/csv', buffer: Buffer.from(rows('25:00')) });
  const errors = panel.getByTestId('bulk-errors');
  await expect(errors).toContainText('Nothing was imported');
  await expect(errors.locator('tr[data-row="4"][data-column="time"]')).toContainText('"25:00" is not a time');
  await expect(errors.locator('tbody tr')).toHaveCount(1);
  await shot(page, 'calendar-import-errors');
  // Nothing went in: the calendar is still empty.
  await expect(page.getByTestId('chip')).toHaveCount(0);

  await panel.getByTestId('bulk-file').setInputFiles({ name: 'posts.csv', mimeType: 'text/csv', buffer: Buffer.from(rows('11:45')) });
  await expect(page.getByRole('status').filter({ hasText: 'Imported 3 posts.' })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`view=month&date=${day}`));
  await expect(errors).toHaveCount(0);
  const cell = page.locator(`[data-testid="day"][data-date="${day}"]`);
  await expect(cell.getByTestId('chip')).toHaveCount(3);
  await expect(cell.getByTestId('chip').first()).toContainText('09:00');
  await expect(cell.getByTestId('chip').first()).toHaveAttribute('data-status', 'pending');
  await expect(page.getByTestId('calendar-empty')).toHaveCount(0);
  await page.getByTestId('bulk-open').click();
  await page.getByRole('status').filter({ hasText: 'Imported 3 posts.' }).getByRole('button', { name: 'Dismiss' }).click();
  await shot(page, 'calendar');

  // The week view, then drag the 09:00 post to a neighbouring day of the same week.
  await page.goto(`/calendar?view=week&date=${day}`);
  await hydrated(page);
  await expect(page.getByTestId('calendar')).toHaveAttribute('data-view', 'week');
  const isMonday = new Date(`${day}T12:00:00Z`).getUTCDay() === 1;
  const target = shiftDate(day, isMonday ? 1 : -1);
  const chip = page.locator(`[data-testid="day"][data-date="${day}"] [data-testid="chip"]`).filter({ hasText: '09:00' });
  await expect(chip).toContainText('Calendar launch post');
  await chip.dragTo(page.locator(`[data-testid="day"][data-date="${target}"]`));
  await expect(page.getByRole('status').filter({ hasText: /Moved to .*09:00/ })).toBeVisible();
  const moved = page.locator(`[data-testid="day"][data-date="${target}"] [data-testid="chip"]`);
  await expect(moved).toHaveCount(1);
  await expect(moved).toContainText('09:00');
  await shot(page, 'calendar-week');
  await page.reload();
  await hydrated(page);
  await expect(page.locator(`[data-testid="day"][data-date="${target}"] [data-testid="chip"]`)).toContainText('Calendar launch post');

  // The keyboard way: open the post, "Move to" its old day.
  const back = page.locator(`[data-testid="day"][data-date="${target}"] [data-testid="chip"]`);
  await back.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByTestId('post-dialog');
  await expect(dialog).toContainText('(Europe/Berlin)');
  await dialog.getByLabel('Move to').fill(day);
  await dialog.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(page.locator(`[data-testid="day"][data-date="${day}"] [data-testid="chip"]`)).toHaveCount(3);
  await expect(page.locator(`[data-testid="day"][data-date="${target}"] [data-testid="chip"]`)).toHaveCount(0);
});
