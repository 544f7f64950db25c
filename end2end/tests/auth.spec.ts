import { expect, test } from '@playwright/test';
import { hydrated, PASSWORD, shot, uniqueEmail } from './helpers';

test('hydration: the sign-up page becomes interactive', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto('/signup');
  await hydrated(page);
  const rules = page.getByTestId('password-rules');
  await expect(rules.getByText('At least 10 characters')).toHaveAttribute('data-ok', 'false');
  await page.getByLabel('Password', { exact: true }).fill('abc');
  await expect(rules.getByText('A letter')).toHaveAttribute('data-ok', 'true');
  await expect(rules.getByText('At least 10 characters')).toHaveAttribute('data-ok', 'false');
  await page.getByLabel('Password', { exact: true }).fill('abcdefghij 1');
  await expect(rules.getByText('At least 10 characters')).toHaveAttribute('data-ok', 'true');
  await expect(rules.getByText('A number or a symbol')).toHaveAttribute('data-ok', 'true');
  await shot(page, 'signup');
  expect(errors, `console errors: ${errors.join('\n')}`).toEqual([]);
});

test('sign up → log out → sign in → wrong password → lockout', async ({ page }) => {
  const email = uniqueEmail('e2e');
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Your name').fill('Ada Lovelace');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('welcome')).toHaveText('Welcome, Ada!');
  await hydrated(page);
  await shot(page, 'dashboard');

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('status')).toContainText('You are signed out.');

  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);

  await hydrated(page);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('not my password 1');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('That e-mail and password do not match');
  await expect(page.getByLabel('E-mail')).toHaveValue(email);
  await shot(page, 'login-error');

  for (let i = 0; i < 4; i++) {
    await page.getByLabel('Password', { exact: true }).fill('not my password 1');
    // Each attempt must reach the server before the next (a click on the busy button is lost).
    const answered = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await answered;
    await expect(page.getByRole('alert')).toBeVisible();
  }
  await expect(page.getByRole('alert')).toContainText('Too many failed attempts');
  await expect(page.getByRole('alert')).toContainText('locked for 1 minute');
});

test('settings: profile saves with a toast, sessions are listed', async ({ page }) => {
  const email = uniqueEmail('settings');
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Your name').fill('Grace Hopper');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await hydrated(page);
  await expect(page.getByTestId('sessions')).toContainText('This device');
  await page.getByLabel('Name').fill('Rear Admiral Hopper');
  await page.getByLabel('Time zone').selectOption('America/New_York');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Profile saved.' })).toBeVisible();
  await expect(page.getByTestId('user-name')).toHaveText('Rear Admiral Hopper');
  await shot(page, 'settings');

  await page.getByRole('button', { name: 'Log out everywhere' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/login\?next=%2Fdashboard$/);
});

test('"Continue with Google" is handled by the server, not the client router', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await shot(page, 'login-with-google');
  const start = page.waitForRequest((r) => new URL(r.url()).pathname === '/auth/google/start');
  await page.getByRole('link', { name: 'Continue with Google' }).click();
  await start;
  // The issuer is unreachable here: the server sends the person back to sign in with a reason.
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByText('We could not find that page')).toHaveCount(0);
  await expect(page.getByTestId('flash')).toContainText('Google');
});
