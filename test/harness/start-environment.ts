// Starts one Temporal dev server and one kwok cluster for the whole integration run, on
// free loopback ports, and bundles the workflows once. A component that cannot start
// fails the run: integration tests never skip themselves.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalEnvironment, type LocalEnvironment } from '../../local/environment.js';
import { installCrds } from '../../local/crds.js';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sharedEnvironmentVariable, type SharedEnvironment } from './shared-environment.js';

declare global {
  var kimbernetesTestEnvironment: { environment: LocalEnvironment; stateDir: string } | undefined;
}

const bundleScript = fileURLToPath(new URL('../../workers/bundle-workflows.ts', import.meta.url));

export async function startEnvironment(): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'kimbernetes-test-'));
  const started = Date.now();
  const environment = await startLocalEnvironment({
    stateDir,
    clusterName: `kimbernetes-test-${process.pid}`,
    nodes: 2,
    temporal: { headless: true, startTimeoutMs: 120_000 },
  });
  globalThis.kimbernetesTestEnvironment = { environment, stateDir };
  try {
    await installCrds(environment.cluster.kubeconfigPath);
    // In a child process: webpack leaves handles behind that would hold Jest open.
    const workflowBundlePath = join(stateDir, 'workflow-bundle.js');
    await promisify(execFile)(process.execPath, ['--import', 'tsx', bundleScript, workflowBundlePath]);
    const shared: SharedEnvironment = {
      temporalAddress: environment.temporal.address,
      temporalNamespace: environment.temporal.namespace,
      kubeconfigPath: environment.cluster.kubeconfigPath,
      workflowBundlePath,
    };
    const file = join(stateDir, 'environment.json');
    writeFileSync(file, JSON.stringify(shared));
    process.env[sharedEnvironmentVariable] = file;
  } catch (error) {
    await environment.stop();
    throw error;
  }
  process.stderr.write(`\nintegration environment ready in ${((Date.now() - started) / 1000).toFixed(1)}s (state in ${stateDir})\n`);
}
