import { expect, Page } from '@playwright/test';
import * as path from 'path';

export const PASSWORD = 'correct horse battery 9';

export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Waits until the WASM bundle has hydrated the page (frontend sets the marker). */
export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.resolve(__dirname, '..', '..', 'target', 'screenshots', `${name}.png`), fullPage: true });
}

/** Signs a new user up through the form and waits for the dashboard. */
export async function signUp(page: Page, name: string, tag: string) {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('E-mail').fill(uniqueEmail(tag));
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
}

/** Connects X as `username` through the sandbox's consent screen, as a person would. */
export async function connectX(page: Page, username: string) {
  await connectPlatform(page, 'X (Twitter)', 'X', username);
}

/** Connects a platform through Sources and the sandbox's consent screen. */
export async function connectPlatform(page: Page, name: string, short: string, username: string) {
  await page.goto('/sources');
  await hydrated(page);
  await page.getByRole('link', { name: `Connect ${name}` }).click();
  const modal = page.getByRole('dialog');
  await modal.getByLabel(/I allow Covalynce/).check();
  await modal.getByRole('button', { name: new RegExp(`Continue to ${short}`) }).click();
  await page.getByLabel('Sign in to the sandbox as').fill(username);
  await page.getByRole('button', { name: 'Authorize app' }).click();
  await expect(page).toHaveURL(/\/sources$/);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A real RGB PNG with a gradient, made here so the test needs no fixture file. */
export function makePng(w: number, h: number): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const zlib = require('zlib');
  const rows: Buffer[] = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) row.set([(x * 255) / w, (y * 255) / h, 200], 1 + x * 3);
    rows.push(row);
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
