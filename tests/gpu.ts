// Test-side access to the shared headless Chromium: `const gpu = useGpu()` in a describe block opens a page
// before its tests and closes it after; `gpu().call(module, export, args)` runs code in the page.
import puppeteer, { type Browser } from 'puppeteer';
import { afterAll, beforeAll, inject } from 'vitest';
import { HarnessSession } from '../src/harness/launcher';

export function useGpu(): () => HarnessSession {
  let browser: Browser | null = null;
  let session: HarnessSession | null = null;
  beforeAll(async () => {
    const error = inject('onelayerGpuError');
    if (error) throw new Error(error); // never skip: a GPU test without an adapter fails with the reason
    browser = await puppeteer.connect({ browserWSEndpoint: inject('onelayerBrowser'), protocolTimeout: 24 * 3600 * 1000 });
    session = await HarnessSession.open(browser, inject('onelayerUrl'));
  });
  afterAll(async () => {
    await session?.close();
    await browser?.disconnect();
  });
  return () => {
    if (!session) throw new Error('GPU session not open (beforeAll failed)');
    return session;
  };
}
