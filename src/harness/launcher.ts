// Headless Chrome launcher shared by tests, bench and the CLI: finds a system Chrome/Chromium (puppeteer never
// downloads one here), picks WebGPU flags for a real GPU or for SwiftShader, serves the code through vite's
// dev server, and opens the harness page, whose exported modules Node then calls with `session.call`.
import { existsSync, readdirSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type LaunchOptions, type Page } from 'puppeteer';
import { createServer, type ViteDevServer } from 'vite';
import { SWIFTSHADER_NO_ROBUSTNESS_TOGGLE, SWIFTSHADER_ZERO_INIT_TOGGLE, type AdapterReport } from '../runtime/device';
import { decode, encode } from './codec';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const CHROME_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome'];

export type GpuMode = 'swiftshader' | 'hardware';

export function findChrome(): string {
  const fromEnv = process.env.ONELAYER_CHROME ?? process.env.PUPPETEER_EXECUTABLE_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`ONELAYER_CHROME=${fromEnv}: no such file`);
    return fromEnv;
  }
  const found = CHROME_CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `no Chrome/Chromium found (looked for ${CHROME_CANDIDATES.join(', ')}). Install one ` +
        `(Debian/Ubuntu: sudo apt-get install -y chromium) or set ONELAYER_CHROME to its path.`,
    );
  }
  return found;
}

/** 'hardware' when a GPU device node exists, else SwiftShader; ONELAYER_GPU=swiftshader|hardware overrides. */
export function chooseGpuMode(): GpuMode {
  const env = process.env.ONELAYER_GPU;
  if (env === 'swiftshader' || env === 'hardware') return env;
  if (env) throw new Error(`ONELAYER_GPU=${env}: allowed values are swiftshader, hardware`);
  const hasNvidia = existsSync('/dev/nvidia0');
  const hasDri = existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
  return hasNvidia || hasDri ? 'hardware' : 'swiftshader';
}

export function chromeFlags(mode: GpuMode): string[] {
  const common = [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-dev-shm-usage',
    '--enable-unsafe-webgpu',
    // Full-resolution timestamp queries (Chrome quantizes them to 100 µs otherwise).
    '--enable-webgpu-developer-features',
  ];
  return mode === 'swiftshader'
    ? [
      ...common, '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader',
      `--disable-dawn-features=${SWIFTSHADER_ZERO_INIT_TOGGLE}`, `--enable-dawn-features=${SWIFTSHADER_NO_ROBUSTNESS_TOGGLE}`,
    ]
    : [...common, '--enable-features=Vulkan', '--use-angle=vulkan', '--disable-vulkan-surface'];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startDevServer(): Promise<{ server: ViteDevServer; url: string }> {
  const port = await freePort();
  const server = await createServer({
    root: projectRoot,
    configFile: join(projectRoot, 'vite.config.ts'),
    logLevel: 'warn',
    clearScreen: false,
    server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
    // Every dependency is ESM already; discovering and pre-bundling them at run time would make vite reload
    // the page in the middle of a test or a training run.
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  await server.listen();
  return { server, url: `http://127.0.0.1:${port}` };
}

/** `extra` lets a driver own the signals (the CLI stops training cleanly on Ctrl-C) or use a pipe. */
export async function launchChrome(mode: GpuMode = chooseGpuMode(), extra: LaunchOptions = {}): Promise<Browser> {
  return puppeteer.launch({
    executablePath: findChrome(),
    headless: true,
    args: chromeFlags(mode),
    // Training and benchmark calls run inside one page.evaluate for minutes on SwiftShader.
    protocolTimeout: 24 * 3600 * 1000,
    ...extra,
  });
}

export class RemoteError extends Error {
  constructor(name: string, message: string, readonly remoteStack: string) {
    super(message);
    this.name = name;
  }
}

export class HarnessSession {
  private reportHandler: ((event: Record<string, unknown>) => void) | null = null;

  private constructor(readonly page: Page) {}

  static async open(browser: Browser, baseUrl: string): Promise<HarnessSession> {
    const page = await browser.newPage();
    const session = new HarnessSession(page);
    page.on('pageerror', (e) => process.stderr.write(`[page error] ${(e as Error).message}\n`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warn') process.stderr.write(`[page ${msg.type()}] ${msg.text()}\n`);
    });
    await page.exposeFunction('onelayerReport', (event: unknown) => session.reportHandler?.(decode(event) as Record<string, unknown>));
    await page.goto(`${baseUrl}/src/harness/page.html`, { waitUntil: 'load' });
    await page.waitForFunction(() => (globalThis as unknown as { onelayer?: { ready: boolean } }).onelayer?.ready === true, {
      timeout: 120_000,
    });
    return session;
  }

  onReport(handler: ((event: Record<string, unknown>) => void) | null): void {
    this.reportHandler = handler;
  }

  async adapter(): Promise<AdapterReport> {
    const r = (await this.call('/src/harness/adapter.ts', 'adapterReport', {})) as AdapterReport;
    return r;
  }

  /**
   * Runs `exportName(args, io)` from `modulePath` (a path from the project root, e.g. '/bench/page.ts') in
   * the page; `callId` names the call for `stop`.
   */
  async call<T = unknown>(modulePath: string, exportName: string, args: unknown = {}, callId?: string): Promise<T> {
    const res = (await this.page.evaluate(
      (m, f, a, id) =>
        (globalThis as unknown as { onelayer: { call: (m: string, f: string, a: unknown, id?: string) => Promise<unknown> } }).onelayer.call(m, f, a, id ?? undefined),
      modulePath,
      exportName,
      encode(args) as object,
      callId ?? null,
    )) as { ok?: unknown; error?: { name: string; message: string; stack: string } };
    if (res.error) throw new RemoteError(res.error.name, res.error.message, res.error.stack);
    return decode(res.ok) as T;
  }

  /** Sets the stop flag of a running call (a training job stops at its next chunk boundary). */
  async stop(callId: string): Promise<boolean> {
    return this.page.evaluate((id) => (globalThis as unknown as { onelayer: { stop: (id: string) => boolean } }).onelayer.stop(id), callId);
  }

  async close(): Promise<void> {
    await this.page.close().catch(() => {});
  }
}

export interface Harness {
  browser: Browser;
  server: ViteDevServer;
  url: string;
  session: HarnessSession;
  adapter: AdapterReport;
  mode: GpuMode;
  close(): Promise<void>;
}

/** Starts vite + Chrome and opens the harness page. Throws NoAdapterError-style messages when WebGPU is missing. */
export async function openHarness(mode: GpuMode = chooseGpuMode(), extra: LaunchOptions = {}): Promise<Harness> {
  // The browser starts while vite does (about 0.3 s of a run's start-up on this machine).
  const [served, launched] = await Promise.allSettled([startDevServer(), launchChrome(mode, extra)]);
  if (served.status === 'rejected' || launched.status === 'rejected') {
    if (launched.status === 'fulfilled') await launched.value.close().catch(() => {});
    if (served.status === 'fulfilled') await served.value.server.close();
    throw served.status === 'rejected' ? served.reason : (launched as PromiseRejectedResult).reason;
  }
  const { server, url } = served.value;
  const browser = launched.value;
  try {
    const session = await HarnessSession.open(browser, url);
    const adapter = await session.adapter();
    return {
      browser, server, url, session, adapter, mode,
      async close() {
        await browser.close().catch(() => {});
        await server.close();
      },
    };
  } catch (e) {
    await browser.close().catch(() => {});
    await server.close();
    throw e;
  }
}
