// `npm run demo`, as a newcomer runs it: its own Temporal dev server, local cluster and
// worker pools, the example repository bootstrapped, every object Ready within a bounded
// time, the `get all` table printed; Ctrl-C then stops everything it started.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../../local/process.js';

const run = promisify(execFile);
const readyWithinMs = 300_000;

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

describe('npm run demo', () => {
  let demo: ChildProcess | undefined;
  let output = '';
  let temporalPort = 0;
  let stateDir = '';

  /** Ctrl-C in a terminal: SIGINT to the whole process group. */
  const interrupt = () => process.kill(-demo!.pid!, 'SIGINT');

  afterAll(() => {
    if (demo && demo.exitCode === null) interrupt();
  });

  it('bootstraps the example fleet and shows every object Ready', async () => {
    temporalPort = await freePort();
    const uiPort = await freePort();
    stateDir = mkdtempSync(join(tmpdir(), 'kimbernetes-demo-'));
    // What `npm run demo` runs, in a process group of its own as a terminal would start it.
    const args = ['--import', 'tsx', 'demo/main.ts', '--state-dir', stateDir, '--temporal-port', String(temporalPort), '--ui-port', String(uiPort), '--nodes', '2'];
    demo = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    demo.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the demo did not finish within ${readyWithinMs / 1000}s:\n${output.slice(-4000)}`)), readyWithinMs);
      const check = setInterval(() => {
        if (output.includes('Press Ctrl-C to stop.')) {
          clearInterval(check);
          clearTimeout(timer);
          resolve();
        }
      }, 500);
      demo!.on('exit', (code) => {
        clearInterval(check);
        clearTimeout(timer);
        reject(new Error(`the demo exited with ${code} before it was ready:\n${output.slice(-4000)}`));
      });
    });
    expect(output).toMatch(/all \d+ objects Ready/);
    // The `get all` table: the source and the five Kustomizations of cluster/dev, all Ready.
    for (const name of ['flux-system', 'loadbalancer', 'infrastructure', 'applications', 'site']) {
      expect(output).toMatch(new RegExp(`kustomization/${name}\\s.*True`, 'm'));
    }
    expect(output).toMatch(/gitrepository\/flux-system\s.*True/m);
    expect(output).toContain(`Temporal Web UI:  http://127.0.0.1:${uiPort}`);
    expect(await listening(temporalPort)).toBe(true);
  }, readyWithinMs + 30_000);

  it('stops everything on Ctrl-C', async () => {
    expect(demo).toBeDefined();
    const exited = new Promise<number | null>((resolve) => demo!.on('exit', (code) => resolve(code)));
    interrupt();
    expect(await exited).toBe(0);
    expect(await listening(temporalPort)).toBe(false);
    // Nothing it started (dev server, etcd, API server, controllers, kwok) is left running.
    const { stdout } = await run('ps', ['-eo', 'args']);
    expect(stdout.split('\n').filter((line) => line.includes(stateDir))).toEqual([]);
  }, 90_000);
});
