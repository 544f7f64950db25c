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
