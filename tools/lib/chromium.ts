/**
 * Headless Chromium through playwright-core — never a browser download: the system's Chromium or
 * Chrome ($CHROMIUM_PATH; Debian's and Ubuntu's packages; the macOS app bundles; a `chromium`,
 * `chromium-browser`, `google-chrome` on PATH), started without any background networking so that
 * nothing but the pages' own requests leaves the process.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
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

/** Where Chromium or Chrome is installed on Debian, Ubuntu (snap) and macOS, in the order tried. */
export function chromiumCandidates(env: NodeJS.ProcessEnv = process.env, platform = process.platform, home = homedir()): string[] {
  const names = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
  const onPath = (env.PATH ?? '').split(delimiter).filter(Boolean).flatMap((d) => names.map((n) => join(d, n)));
  const mac = ['/Applications', join(home, 'Applications')].flatMap((d) => [
    join(d, 'Chromium.app', 'Contents', 'MacOS', 'Chromium'),
    join(d, 'Google Chrome.app', 'Contents', 'MacOS', 'Google Chrome'),
  ]);
  const linux = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium', '/usr/lib/chromium/chromium', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/opt/google/chrome/chrome'];
  return [...(platform === 'darwin' ? [...mac, ...linux] : [...linux, ...mac]), ...onPath];
}

function isFile(p: string): boolean {
  try { return statSync(p).isFile(); } catch { return false; }
}

/** $CHROMIUM_PATH when set (it must exist), else the first Chromium or Chrome found. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string | undefined {
  if (env.CHROMIUM_PATH) return existsSync(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
  return chromiumCandidates(env, platform).find(isFile);
}

export class NoChromiumError extends Error {
  constructor() {
    super(process.env.CHROMIUM_PATH
      ? `CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist`
      : 'no Chromium or Chrome found (Debian/Ubuntu: apt-get install chromium; macOS: Google Chrome or Chromium in /Applications; or set CHROMIUM_PATH)');
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
