/**
 * Headless Chromium through playwright-core — never a browser download: the system's Chromium
 * (Debian's `chromium` package at /usr/bin/chromium, or $CHROMIUM_PATH), started without any
 * background networking so that nothing but the pages' own requests leaves the process.
 */
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

export function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((c): c is string => !!c);
  return candidates.find((c) => existsSync(c));
}

export class NoChromiumError extends Error {
  constructor() {
    super('no Chromium found: install Debian\'s `chromium` package (apt-get install chromium) or set CHROMIUM_PATH');
    this.name = 'NoChromiumError';
  }
}

export interface Launched { browser: Browser; context: BrowserContext; close(): Promise<void> }

/** Launch the system Chromium (a fresh temporary profile) with one context. */
export async function launchChromium(opts: { viewport?: { width: number; height: number } } = {}): Promise<Launched> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new NoChromiumError();
  // Loaded on first use: the command-line tools start faster without it.
  const { chromium } = await import('playwright-core');
  // playwright gives a plain launch a fresh temporary profile of its own.
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1100, height: 900 } });
  return {
    browser,
    context,
    async close() {
      await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
    },
  };
}
