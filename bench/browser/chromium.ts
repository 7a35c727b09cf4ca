/**
 * Headless Chromium for the browser benchmarks (`bench/browser/run.ts`) and the playground's
 * browser test (`test/playground/`), driven by playwright-core with the system's browser: never a
 * browser download. The default flags give a WebGPU adapter (SwiftShader, a CPU emulation) and
 * WebGL2 without a GPU, as measured on Debian's chromium 156 (issue 14).
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** The browser binary: `INTERN_S1_CHROMIUM`, else Debian's `/usr/bin/chromium`. */
export function chromiumPath(): string {
  return process.env.INTERN_S1_CHROMIUM ?? '/usr/bin/chromium';
}

/**
 * Flags: headless, no sandbox (root in CI), WebGPU enabled; SwiftShader (software WebGPU and WebGL)
 * unless `INTERN_S1_CHROMIUM_GPU=1`, which lets Chromium use the machine's GPU (for GPU figures).
 */
export function chromiumFlags(): string[] {
  const base = ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu'];
  return process.env.INTERN_S1_CHROMIUM_GPU === '1' ? base : [...base, '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader'];
}

/** Start headless Chromium; an Error saying how to install it when the binary is missing. */
export async function launchChromium(): Promise<Browser> {
  const bin = chromiumPath();
  if (!existsSync(bin)) {
    throw new Error(`no Chromium at ${bin}: install it (Debian/Ubuntu: 'apt-get install -y chromium') or point INTERN_S1_CHROMIUM at a Chromium or Chrome binary; playwright-core drives it, nothing is downloaded`);
  }
  return chromium.launch({ executablePath: bin, args: chromiumFlags() });
}
