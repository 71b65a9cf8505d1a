// Installs the Flux-compatible CRDs of schemas/ into a cluster and waits until the API
// server serves them; lists them for `kimbernetes check`. CRDs a Flux repository applied
// (Flux's own, applied by the kustomize-controller field manager) are replaced whole:
// their fields are taken over first, so the apply drops what ours do not have.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { requireBinary } from '../tools/paths.js';
import { projectFile } from '../common/project-files.js';
import { fieldManager, installFieldManager } from '../apply/target.js';
import { createKubeClient, loadKubeConfig } from '../kube/client.js';
import { ownershipTakeover } from '../kube/managed-fields.js';

export const schemasDir = projectFile('schemas') + '/';

/** `kubeconfigPath` and `context` default to kubectl's own (KUBECONFIG, ~/.kube/config, the current context). */
export async function installCrds(kubeconfigPath: string | undefined, options: { context?: string } = {}): Promise<void> {
  const kubectl = requireBinary('kubectl');
  const connection = [...(kubeconfigPath ? ['--kubeconfig', kubeconfigPath] : []), ...(options.context ? ['--context', options.context] : [])];
  const run = (...args: string[]) => promisify(execFile)(kubectl, [...connection, ...args]);
  await takeOverFluxCrds(kubeconfigPath, options.context);
  await run('apply', '--server-side', '--force-conflicts', '--field-manager', installFieldManager, '-f', schemasDir);
  await run('wait', '--for', 'condition=Established', '--timeout', '60s', 'crd', '--all');
  // Established comes a moment before the API server serves the new kinds: until then a
  // list answers "storage is (re)initializing". Return once every kind lists.
  const kinds = bundledCrds().map((crd) => crd.name).join(',');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await run('get', kinds, '--all-namespaces', '--output', 'name', '--request-timeout', '10s');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Hands the kustomize-controller's fields of our CRDs, where it applied them, to the install's field manager. */
async function takeOverFluxCrds(kubeconfigPath: string | undefined, context: string | undefined): Promise<void> {
  const config = loadKubeConfig(kubeconfigPath);
  if (context) config.setCurrentContext(context);
  const kube = createKubeClient(config);
  for (const { name } of bundledCrds()) {
    const ref = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name };
    const live = await kube.get(ref);
    const takeover = live && ownershipTakeover(live, installFieldManager, { appliers: [fieldManager] });
    if (takeover) await kube.setManagedFields(ref, takeover, live.metadata.resourceVersion, installFieldManager);
  }
}

export interface BundledCrd {
  /** `gitrepositories.source.toolkit.fluxcd.io` */
  name: string;
  storageVersion: string;
  servedVersions: string[];
}

/** The CRDs of schemas/, as `install` applies them. */
export function bundledCrds(): BundledCrd[] {
  return readdirSync(schemasDir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const crd = parse(readFileSync(join(schemasDir, file), 'utf8')) as { metadata: { name: string }; spec: { versions: { name: string; served: boolean; storage: boolean }[] } };
      return {
        name: crd.metadata.name,
        storageVersion: crd.spec.versions.find((version) => version.storage)!.name,
        servedVersions: crd.spec.versions.filter((version) => version.served).map((version) => version.name),
      };
    });
}
