// Flux's own controllers in a build. A repository bootstrapped by Flux lists
// gotk-components.yaml, which deploys them; applied unchanged, they would reconcile the
// same objects as Kimbernetes, each undoing the other's status writes. The apply goes
// ahead (it is what the repository says) and the user is told, plainly, once.
import type { KubernetesObject } from '../kube/objects.js';

const controllers = ['source-controller', 'kustomize-controller', 'helm-controller', 'notification-controller', 'image-reflector-controller', 'image-automation-controller'];

function isFlux(object: KubernetesObject): boolean {
  if (object.metadata.labels?.['app.kubernetes.io/part-of'] === 'flux') return true;
  const containers = ((object.spec as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined)?.template?.spec?.containers ?? []);
  return containers.some((container) => /^(ghcr\.io\/fluxcd|(docker\.io\/)?fluxcd)\//.test(container.image ?? ''));
}

/** The Flux controllers a build deploys, by Deployment name. */
export function fluxControllersIn(objects: readonly KubernetesObject[]): string[] {
  return objects
    .filter((object) => object.kind === 'Deployment' && object.apiVersion === 'apps/v1' && controllers.includes(object.metadata.name) && isFlux(object))
    .map((object) => `${object.metadata.namespace ?? ''}/${object.metadata.name}`)
    .sort();
}

/** What the status and a Warning event say about them. */
export function fluxControllersNotice(deployed: readonly string[]): string {
  return (
    `this revision also deploys Flux's own controllers (${deployed.join(', ')}), which would reconcile the same objects as Kimbernetes: ` +
    'take gotk-components.yaml out of the repository as docs/migrating-from-flux.md describes'
  );
}
