import { expect, test } from '@playwright/test';
import { connectX, hydrated, shot, signUp } from './helpers';

/** The number a card shows ("12,345" → 12345; "—" → NaN). */
async function cardValue(page, testid: string): Promise<number> {
  const text = await page.getByTestId(testid).getByTestId('value').innerText();
  return Number(text.replace(/,/g, ''));
}

test('the dashboard starts empty, then shows published posts with numbers and a chart', async ({ page }) => {
  await signUp(page, 'Dana Dash', 'dashboard');
  // Nothing connected yet: the empty state points to Sources.
  await expect(page.getByRole('link', { name: 'Connect an account' })).toBeVisible();
  await expect(page.getByTestId('card-views').getByTestId('value')).toHaveText('—');
  await shot(page, 'dashboard-empty');

  // Connect X through the sandbox's consent screen, and Bluesky with its app password.
  await connectX(page, 'dana_dash');
  const bsky = await page.request.post('/integrations/bluesky/connect', {
    data: { identifier: 'dana.bsky.social', app_password: 'sand-box0-app0-pass', consent: true },
  });
  expect(bsky.ok()).toBeTruthy();

  // Connected, nothing published: the next step is the editor.
  await page.goto('/dashboard');
  await expect(page.getByRole('link', { name: 'Write your first post' })).toBeVisible();

  const list = await (await page.request.get('/integrations/list')).json();
  const ids = list.integrations.map((i) => i.id);
  const published = await page.request.post('/api/posts/publish', {
    data: { connection_ids: ids, text: `Launch notes are live: faster pages, calmer colours. ${Date.now()}` },
  });
  expect(published.status()).toBe(201);
  const posts = (await published.json()).posts;
  for (const p of posts) {
    await expect.poll(async () => (await (await page.request.get(`/api/posts/${p.id}`)).json()).status, { timeout: 15_000 }).toBe('posted');
  }
  const xPost = posts.find((p) => p.platform === 'x').id;

  // Two hours pass on the sandbox's clock: the posts gather views, likes and comments.
  expect((await page.request.post('/sandbox/_control/advance', { data: { secs: 7200 } })).ok()).toBeTruthy();

  // "Refresh now" on the post's page pulls the numbers at once.
  await page.goto(`/dashboard/post/${xPost}`);
  await hydrated(page);
  await page.getByTestId('refresh-now').click();
  await expect(page.getByText('Numbers refreshed.')).toBeVisible();
  const xSeries = page.locator('[data-testid="post-series"][data-platform="x"]');
  await expect(xSeries.getByTestId('post-rate')).toHaveText(/%$/);
  await expect(xSeries.getByTestId('chart-point').first()).toBeVisible();
  // Bluesky reports no views: the page says so instead of drawing zeros.
  await expect(page.locator('[data-testid="post-series"][data-platform="bluesky"]').getByTestId('metric-missing')).toContainText(
    'Bluesky does not report views',
  );
  // A second pull later draws a line between two points.
  await page.request.post('/sandbox/_control/advance', { data: { secs: 3600 } });
  await page.getByTestId('refresh-now').click();
  await expect(xSeries.getByTestId('chart-point')).toHaveCount(2);
  await xSeries.getByTestId('chart-point').last().hover();
  await expect(xSeries.getByTestId('chart-tooltip')).toContainText('Views');
  await shot(page, 'post-analytics');

  // The dashboard: non-zero totals, a per-platform table, top posts and the chart.
  await page.goto('/dashboard?range=7d');
  await hydrated(page);
  expect(await cardValue(page, 'card-views')).toBeGreaterThan(0);
  expect(await cardValue(page, 'card-likes')).toBeGreaterThan(0);
  expect(await cardValue(page, 'card-followers')).toBeGreaterThan(0);
  await expect(page.getByTestId('card-rate').getByTestId('value')).toHaveText(/^\d+\.\d%$/);
  await expect(page.getByTestId('platform-table').locator('tr[data-platform]')).toHaveCount(2);
  await expect(page.getByTestId('top-posts').getByRole('listitem')).toHaveCount(2);
  const chart = page.getByTestId('engagement-chart');
  await expect(chart.locator('rect.fill-indigo-400')).toHaveCount(1);
  // Hover (or keyboard focus) shows a guide and the day's numbers.
  await chart.getByTestId('chart-point').last().hover();
  await expect(chart.getByTestId('chart-guide')).toHaveCount(1);
  await expect(chart.getByTestId('chart-tooltip')).toContainText('Likes');
  await shot(page, 'dashboard');
  await chart.getByTestId('chart-point').first().focus();
  await expect(chart.getByTestId('chart-tooltip')).toBeVisible();

  // Every table downloads as CSV.
  const csv = await page.request.get((await page.getByTestId('csv-trends').getAttribute('href')) ?? '');
  expect(csv.headers()['content-type']).toContain('text/csv');
  expect((await csv.text()).split('\r\n')[0]).toBe('date,views,likes,comments,shares,engagement_rate_pct');

  // The platform filter is a plain GET form.
  await page.getByLabel('Platform', { exact: true }).selectOption('bluesky');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/platform=bluesky/);
  await expect(page.getByTestId('card-views').getByTestId('value')).toHaveText('—');
  await expect(page.getByTestId('platform-table').locator('tr[data-platform]')).toHaveCount(1);
});
