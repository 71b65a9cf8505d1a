// Installs the Flux-compatible CRDs of schemas/ into a cluster and waits until the API
// server serves them.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireBinary } from '../tools/paths.js';

export const schemasDir = fileURLToPath(new URL('../schemas/', import.meta.url));

export async function installCrds(kubeconfigPath: string): Promise<void> {
  const kubectl = requireBinary('kubectl');
  const run = (...args: string[]) => promisify(execFile)(kubectl, ['--kubeconfig', kubeconfigPath, ...args]);
  await run('apply', '--server-side', '--field-manager', 'kimbernetes', '-f', schemasDir);
  await run('wait', '--for', 'condition=Established', '--timeout', '60s', 'crd', '--all');
}
