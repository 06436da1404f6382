import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { BrowserContext } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`), which the browser tests drive. */
export const CHROMIUM_PATH = process.env.HWNAS_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a quiet headless Chromium that runs as root and makes no network calls of its own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/**
 * Whether Chromium is installed. Outside CI a missing browser lets the browser tests skip with a
 * reason; under CI (`CI` set) it is an error, since CI installs it.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI) throw new Error(`Chromium not found at ${CHROMIUM_PATH}; CI installs Debian's chromium package (apt-get install -y chromium)`);
  return false;
}

/** A headless Chromium with a fresh profile directory (removed on dispose). */
export interface Chromium extends AsyncDisposable {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches {@link CHROMIUM_PATH} through playwright-core with {@link CHROMIUM_ARGS} and a fresh user-data-dir. */
export async function launchChromium(viewport = { width: 1400, height: 900 }): Promise<Chromium> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(path.join(tmpdir(), 'hwnas-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS], viewport });
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    })());
  return { context, close, [Symbol.asyncDispose]: close };
}
