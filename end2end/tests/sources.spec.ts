import { expect, test } from '@playwright/test';
import { hydrated, PASSWORD, shot, signUp, uniqueEmail } from './helpers';

// Demo mode: every platform is the built-in sandbox, so connecting needs no credentials.
test('connect two platforms through the consent modal, see them healthy, revoke one', async ({ page }) => {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Your name').fill('Sam Sources');
  await page.getByLabel('E-mail').fill(uniqueEmail('sources'));
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);

  await page.getByRole('link', { name: 'Sources' }).click();
  await expect(page).toHaveURL(/\/sources$/);
  await expect(page.getByTestId('demo-banner')).toBeVisible();
  await expect(page.getByText('No accounts connected yet')).toBeVisible();
  await hydrated(page);

  for (const [name, label] of [['X (Twitter)', 'X'], ['Mastodon', 'Mastodon']]) {
    await page.getByRole('link', { name: `Connect ${name}` }).click();
    const modal = page.getByRole('dialog');
    await expect(modal).toBeVisible();
    const go = modal.getByRole('button', { name: new RegExp(`Continue to ${name.replace(/[()]/g, '\\$&')}`) });
    await expect(go).toBeDisabled();
    if (name.startsWith('X')) {
      await expect(modal.getByTestId('permissions')).toContainText('tweet.write');
      await shot(page, 'consent-modal');
    }
    await modal.getByLabel(/I allow Covalynce/).check();
    await expect(go).toBeEnabled();
    await go.click();
    // The sandbox's own consent screen.
    await expect(page.getByText(`${label}: allow Covalynce to use your account?`)).toBeVisible();
    await page.getByLabel('Sign in to the sandbox as').fill('sam_posts');
    await page.getByRole('button', { name: 'Authorize app' }).click();
    await expect(page).toHaveURL(/\/sources$/);
    await expect(page.getByRole('status').first()).toContainText('Connected Sam Posts');
    await hydrated(page);
  }

  const cards = page.getByTestId('connected').getByRole('listitem').filter({ has: page.getByTestId('health') });
  await expect(cards).toHaveCount(2);
  for (const p of ['x', 'mastodon']) {
    await expect(page.getByTestId(`card-${p}`).getByTestId('health')).toHaveText('Healthy');
  }
  await shot(page, 'sources');

  await page.getByTestId('card-x').getByRole('button', { name: /Revoke consent and disconnect/ }).click();
  await expect(page).toHaveURL(/\/sources$/);
  await expect(page.getByRole('status').first()).toContainText('consent withdrawn');
  await expect(page.getByTestId('card-x')).toHaveCount(0);
  await expect(page.getByTestId('card-mastodon')).toBeVisible();
});

test('a Facebook login with two Pages asks which to connect', async ({ page }) => {
  await signUp(page, 'Fay Pages', 'pages');
  await page.goto('/sources');
  await hydrated(page);
  await page.getByRole('link', { name: 'Connect Facebook Pages' }).click();
  const modal = page.getByRole('dialog');
  await modal.getByLabel(/I allow Covalynce/).check();
  await modal.getByRole('button', { name: /Continue to Facebook/ }).click();
  await page.getByLabel('Sign in to the sandbox as').fill('fay_pages');
  await page.getByRole('button', { name: 'Authorize app' }).click();

  await expect(page).toHaveURL(/\/sources\/choose\//);
  await expect(page.getByRole('heading', { name: 'Which Facebook Pages should Covalynce post to?' })).toBeVisible();
  const boxes = page.getByTestId('pick-list').getByRole('checkbox');
  await expect(boxes).toHaveCount(2);
  await hydrated(page);
  await shot(page, 'choose-pages');
  // Nothing ticked: told so, still on the chooser.
  await page.getByRole('button', { name: 'Connect the ticked Facebook Pages' }).click();
  await expect(page.getByText('Tick at least one of the Facebook Pages to connect.')).toBeVisible();
  await page.getByLabel(/Shop/).check();
  await page.getByRole('button', { name: 'Connect the ticked Facebook Pages' }).click();
  await expect(page).toHaveURL(/\/sources$/);
  await expect(page.getByRole('status').first()).toContainText('Shop (Facebook Pages)');
  await expect(page.getByTestId('card-facebook')).toHaveCount(1);
  await expect(page.getByTestId('card-facebook')).toContainText('Shop');
});
