import { defineConfig } from '@playwright/test';
import * as os from 'os';
import * as path from 'path';

// The server under test: a fresh SQLite database per run, on its own port.
const PORT = Number(process.env.E2E_PORT ?? 3217);
const BASE = `http://127.0.0.1:${PORT}`;
const DATA = path.join(os.tmpdir(), `covalynce-e2e-${Date.now()}`);
const BIN = process.env.E2E_BIN ?? `${os.homedir()}/.cache/covalynce-target/debug/covalynce`;

const chromium = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  reporter: [['list']],
  outputDir: '../target/e2e-results',
  use: { baseURL: BASE, trace: 'retain-on-failure', launchOptions: chromium },
  projects: [
    { name: 'hydrated', testIgnore: /nojs/ },
    { name: 'no-javascript', testMatch: /nojs/, use: { javaScriptEnabled: false } },
  ],
  webServer: {
    command: `${BIN} serve --demo`,
    url: `${BASE}/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      PORT: String(PORT),
      BASE_URL: BASE,
      DATA_DIR: DATA,
      SITE_ROOT: process.env.SITE_ROOT ?? `${os.homedir()}/.cache/covalynce-target/site`,
      RUST_LOG: 'warn',
      // Every spec signs up from 127.0.0.1; the production default is 5 an hour.
      LIMIT_SIGNUP_PER_IP_HOUR: '1000',
      // Numbers are pulled by "Refresh now" in the specs; the background sync (every 30 s,
      // due at once after publishing) would add a snapshot whenever its tick fell inside a
      // spec and make the chart's point count depend on timing.
      ANALYTICS_WORKER: '0',
      // A Google sign-in button to click. Its issuer is a path here that does not exist, so
      // the server's start answers "unavailable" without the internet.
      AUTH_GOOGLE_CLIENT_ID: 'e2e-google',
      AUTH_GOOGLE_ISSUER: `${BASE}/no-such-issuer`,
    },
  },
});
