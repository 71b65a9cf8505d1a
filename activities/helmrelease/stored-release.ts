// The latest release Helm has in storage for a HelmRelease, read as Flux reads it: helm
// names the latest revision (pending and failed ones included), and the release itself
// comes from its Secret, exactly as Helm stored it, so digests are those of the stored form.
import { helm, HelmFailure, type HelmConnection } from '../../helm/helm-cli.js';
import { decodeRelease, releaseSecretName } from '../../helm/release-storage.js';
import type { StoredRelease } from '../../domain/helmrelease-digest.js';
import type { HelmReleaseSpec } from '../../domain/helmrelease-spec.js';
import type { ClusterTargets } from '../../kube/targets.js';
import { cancellationSignal } from '../heartbeat.js';
import { releaseTarget } from './work.js';

export async function latestStoredRelease(clusters: ClusterTargets, connection: HelmConnection, namespace: string, spec: HelmReleaseSpec): Promise<StoredRelease | undefined> {
  let version: number;
  try {
    version = (JSON.parse(await helm(connection, ['status', spec.releaseName, '--namespace', spec.storageNamespace, '--output', 'json'], cancellationSignal())) as { version: number }).version;
  } catch (error) {
    if (error instanceof HelmFailure && error.notFound) return undefined;
    throw error;
  }
  const client = await clusters.clientFor(releaseTarget(namespace, spec));
  const secret = (await client.get({ apiVersion: 'v1', kind: 'Secret', namespace: spec.storageNamespace, name: releaseSecretName(spec.releaseName, version) })) as { data?: { release?: string } } | undefined;
  if (!secret?.data?.release) return undefined;
  return decodeRelease(Buffer.from(secret.data.release, 'base64').toString('utf8'));
}
