// What the demo still waits for: objects not Ready yet, and Kustomizations that an applied
// inventory names but that do not exist yet (the layers the root is about to create).
import { findCondition, type Condition } from '../domain/conditions.js';

export interface FluxObjectState {
  kind: string;
  metadata: { name: string; namespace?: string };
  status?: { conditions?: Condition[]; inventory?: { entries?: { id: string }[] } };
}

/** `Kind ns/name: message` for every object not Ready, or announced and not yet there. */
export function pendingObjects(objects: readonly FluxObjectState[]): string[] {
  const present = new Set(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`));
  const pending: string[] = [];
  for (const object of objects) {
    const ready = findCondition(object.status?.conditions, 'Ready');
    if (ready?.status !== 'True') pending.push(`${object.kind} ${object.metadata.namespace}/${object.metadata.name}: ${ready?.message ?? 'not reconciled yet'}`);
    for (const { id } of object.status?.inventory?.entries ?? []) {
      // Inventory IDs are <namespace>_<name>_<group>_<kind>.
      const [namespace, name, group, kind] = id.split('_');
      if (group === 'kustomize.toolkit.fluxcd.io' && kind === 'Kustomization' && !present.has(`Kustomization/${namespace}/${name}`)) {
        pending.push(`Kustomization ${namespace}/${name}: not created yet`);
      }
    }
  }
  return pending;
}
