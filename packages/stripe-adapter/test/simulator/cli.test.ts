import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/simulator/cli.ts', import.meta.url));

/** Start the CLI as `pnpm stripe-sim` does and wait for the URL it prints. */
function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; output: string[] }> {
  const child = spawn(
    process.execPath,
    ['--conditions=@memberpay/source', '--import', 'tsx', CLI, ...args],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];

  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output.push(chunk.toString('utf8'));
      const match = /listening on (http:\/\/\S+)/.exec(output.join(''));
      if (match?.[1] !== undefined) {
        resolve({ child, url: match[1], output });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.once('exit', (code) => reject(new Error(`CLI exited with ${code}: ${output.join('')}`)));
  });
}

describe('pnpm stripe-sim', () => {
  let child: ChildProcess | undefined;

  afterEach(() => {
    child?.kill('SIGTERM');
  });

  test('prints the URL it listens on, serves the API, and stops on SIGTERM', async () => {
    const started = await startCli(['--port', '0', '--forward-to', 'http://127.0.0.1:9/hooks']);
    child = started.child;

    const response = await fetch(`${started.url}/v1/customers`, {
      headers: { Authorization: 'Bearer sk_test_cli' },
    });
    const exited = new Promise<number | null>((resolve) => started.child.once('exit', resolve));
    started.child.kill('SIGTERM');

    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(response.status).toBe(200);
    expect(started.output.join('')).toMatch(/STRIPE_WEBHOOK_SECRET=whsec_\w+,whsec_\w+/);
    expect(await exited).toBe(0);
  });
});
