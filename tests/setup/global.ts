// Starts one vite dev server and one headless Chromium for the whole test run, and prints the adapter once.
// If no WebGPU adapter can be had, the reason is handed to every GPU test, which then fails with it.
import type { TestProject } from 'vitest/node';
import { adapterLine } from '../../src/runtime/device';
import { chooseGpuMode, HarnessSession, launchChrome, startDevServer } from '../../src/harness/launcher';

declare module 'vitest' {
  export interface ProvidedContext {
    onelayerBrowser: string;
    onelayerUrl: string;
    onelayerGpuError: string;
  }
}

export default async function setup(project: TestProject) {
  const { server, url } = await startDevServer();
  const mode = chooseGpuMode();
  let browser: Awaited<ReturnType<typeof launchChrome>> | null = null;
  let gpuError = '';
  try {
    browser = await launchChrome(mode);
    const session = await HarnessSession.open(browser, url);
    const adapter = await session.adapter();
    await session.close();
    console.log(`\n[onelayer] WebGPU adapter: ${adapterLine(adapter)}; chrome flags for ${mode}\n`);
  } catch (e) {
    gpuError = `GPU tests need a WebGPU adapter in headless Chrome (${mode} mode) and none could be had: ${(e as Error).message}`;
    console.error(`\n[onelayer] ${gpuError}\n`);
  }
  project.provide('onelayerBrowser', browser?.wsEndpoint() ?? '');
  project.provide('onelayerUrl', url);
  project.provide('onelayerGpuError', gpuError);
  return async () => {
    await browser?.close().catch(() => {});
    await server.close();
  };
}
