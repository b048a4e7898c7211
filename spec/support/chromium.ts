import { chromium, type Browser } from 'playwright-core';
import { requireBinary } from './server-binaries.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether Debian's chromium is here (loud skip outside CI, failure under CI=true). */
export const chromiumAvailable = (): boolean => requireBinary(CHROMIUM, 'chromium').available;

/** Debian's Chromium, headless, with the flags this closed network needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
