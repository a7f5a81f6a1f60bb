// The headless Chromium the browser tests drive. Debian's /usr/bin/chromium when it is there;
// otherwise the one that arrives with `npm ci` (@sparticuz/chromium unpacks a headless build to
// the temp folder on first use), so `npm ci && npm test` needs nothing from apt.
// KPSIM_TEST_CHROMIUM=npm forces the npm one (to test that path on a machine that has both);
// KPSIM_TEST_CHROMIUM=/path/to/chrome uses that binary.
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ChromiumChoice {
  executablePath: string;
  /** Where it came from, for messages: "system", "npm" or "KPSIM_TEST_CHROMIUM". */
  source: string;
}

export async function findChromium(env = process.env): Promise<ChromiumChoice> {
  const wanted = env.KPSIM_TEST_CHROMIUM;
  if (wanted && wanted !== 'npm') {
    if (!existsSync(wanted)) throw new Error(`KPSIM_TEST_CHROMIUM=${wanted}: no such file`);
    return { executablePath: wanted, source: 'KPSIM_TEST_CHROMIUM' };
  }
  if (wanted !== 'npm' && existsSync(SYSTEM_CHROMIUM)) return { executablePath: SYSTEM_CHROMIUM, source: 'system' };
  const { default: sparticuz } = await import('@sparticuz/chromium');
  return { executablePath: await sparticuz.executablePath(), source: 'npm' };
}

export async function launchChromium(): Promise<{ browser: Browser; choice: ChromiumChoice }> {
  const choice = await findChromium();
  return { browser: await chromium.launch({ executablePath: choice.executablePath, args: ARGS }), choice };
}
