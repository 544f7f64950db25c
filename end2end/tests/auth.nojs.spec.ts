import { expect, test } from '@playwright/test';
import { PASSWORD, uniqueEmail } from './helpers';

// The same journeys with JavaScript disabled: plain forms, server redirects, flash messages.
test('without JavaScript: sign up, log out, wrong password, sign in', async ({ page }) => {
  const email = uniqueEmail('nojs');
  await page.goto('/signup');
  await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('Your name').fill('Alan Turing');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('welcome')).toHaveText('Welcome, Alan!');

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);

  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('wrong password 42');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('That e-mail and password do not match');

  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('user-name')).toHaveText('Alan Turing');
});
