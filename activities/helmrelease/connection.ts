// How helm reaches a HelmRelease's cluster: spec.kubeConfig's Secret (else the worker's
// own kubeconfig), as spec.serviceAccountName. Install, upgrade and the uninstall on
// deletion all go through here, so a remote release is uninstalled where it lives.
import type { HelmReleaseSpec } from '../../domain/helmrelease-spec.js';
import { HelmFailure, writeKubeconfig, type HelmConnection } from '../../helm/helm-cli.js';
import type { HelmReleaseContext } from './work.js';

/** The kubeconfig Secret spec.kubeConfig names does not exist (a deletion lets the release go then, as Flux does). */
export class KubeconfigSecretMissing extends HelmFailure {}

/** The kubeconfig of the release's cluster; a HelmFailure naming the Secret when it has none. */
export async function releaseKubeconfig(context: Pick<HelmReleaseContext, 'objects' | 'kubeconfig'>, namespace: string, spec: Pick<HelmReleaseSpec, 'kubeConfig'>): Promise<string> {
  const reference = spec.kubeConfig?.secretRef;
  if (!reference) return context.kubeconfig;
  const data = await context.objects.getSecretData(namespace, reference.name);
  const key = reference.key ?? (data?.['value'] !== undefined ? 'value' : 'value.yaml');
  const text = data?.[key];
  const message = `could not find kubeconfig Secret '${namespace}/${reference.name}' with key '${key}'`;
  if (data === undefined) throw new KubeconfigSecretMissing(message);
  if (!text) throw new HelmFailure(message);
  return text;
}

/** helm's connection from a kubeconfig, its file and Helm's home written under `dir`. */
export async function releaseConnection(dir: string, kubeconfig: string, namespace: string, spec: Pick<HelmReleaseSpec, 'serviceAccountName'>): Promise<HelmConnection> {
  return {
    kubeconfigPath: await writeKubeconfig(dir, kubeconfig),
    impersonate: spec.serviceAccountName ? `system:serviceaccount:${namespace}:${spec.serviceAccountName}` : undefined,
    home: `${dir}/helm`,
  };
}
