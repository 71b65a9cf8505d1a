// The dependsOn check of Kustomizations and HelmReleases, read from the API server: the
// graph from the waiting object is followed (across kinds) to name a cycle, then each
// dependency is checked by Flux's rule (domain/depends-on.ts). Beyond Flux, an entry may
// say `kind: HelmRelease` in a Kustomization, or `kind: Kustomization` in a HelmRelease;
// without it a dependency is of the dependent's own kind, as in Flux.
import { compileReadyExpressions, dependencyNotReady, findCycle, type DependsOnKind } from '../domain/depends-on.js';
import type { FluxObjects } from '../kube/flux-objects.js';
import type { KubernetesObject } from '../kube/objects.js';
import type { DependencyReference } from '../schemas/types.js';

export interface DependsOnQuestion {
  self: { kind: DependsOnKind; namespace: string; name: string };
  dependsOn: readonly DependencyReference[];
  /** the dependent's source and its current revision: a dependency on it must have applied it */
  source?: { id: string; revision?: string };
  /** Flux's AdditiveCELDependencyCheck feature gate */
  additive: boolean;
}

export type DependsOnVerdict =
  /** a readyExpr that does not compile: a configuration error */
  | { failure: 'invalid'; message: string }
  | { failure: 'cycle'; message: string }
  /** the dependent itself is gone since its reconcile began */
  | { failure: 'gone'; message: string }
  | { failure: 'waiting'; message: string };

/** How deep a chain of dependencies is followed looking for a cycle. */
const maxDepth = 50;

/** Why `self` must wait for its dependencies, or undefined when they are all ready. */
export async function checkDependsOn(objects: FluxObjects, question: DependsOnQuestion): Promise<DependsOnVerdict | undefined> {
  const { self, dependsOn } = question;
  const expressions = compileReadyExpressions(dependsOn);
  if (!expressions.ok) return { failure: 'invalid', message: expressions.message };
  const idOf = (kind: DependsOnKind, namespace: string, name: string) => `${kind}/${namespace}/${name}`;
  const entriesOf = (kind: DependsOnKind, object: KubernetesObject | undefined, namespace: string) =>
    (((object?.spec as { dependsOn?: DependencyReference[] } | undefined)?.dependsOn ?? []) as DependencyReference[]).map((entry) => ({
      kind: dependencyKind(entry, kind),
      namespace: entry.namespace || namespace,
      name: entry.name,
    }));
  // Follow dependsOn from here; a path that comes back here is a cycle.
  const graph = new Map<string, string[]>();
  const found = new Map<string, KubernetesObject | undefined>();
  const load = async (kind: DependsOnKind, namespace: string, name: string, depth: number): Promise<void> => {
    const id = idOf(kind, namespace, name);
    if (graph.has(id) || depth > maxDepth) return;
    const object = await objects.get({ kind, namespace, name });
    found.set(id, object);
    const next = entriesOf(kind, object, namespace);
    graph.set(id, next.map((entry) => idOf(entry.kind, entry.namespace, entry.name)));
    for (const entry of next) await load(entry.kind, entry.namespace, entry.name, depth + 1);
  };
  const selfId = idOf(self.kind, self.namespace, self.name);
  await load(self.kind, self.namespace, self.name, 0);
  // Named as Flux names a dependency (`namespace/name`), the kind added when it differs.
  const shown = (id: string) => (id.startsWith(`${self.kind}/`) ? id.slice(self.kind.length + 1) : id);
  const cycle = findCycle(selfId, (id) => graph.get(id) ?? []);
  if (cycle) return { failure: 'cycle', message: `dependency cycle: ${cycle.map(shown).join(' -> ')}` };
  const object = found.get(selfId);
  if (!object) return { failure: 'gone', message: `${self.kind} ${self.namespace}/${self.name} not found` };
  for (const [index, entry] of dependsOn.entries()) {
    const kind = dependencyKind(entry, self.kind);
    const namespace = entry.namespace || self.namespace;
    const id = idOf(kind, namespace, entry.name);
    // Read while following the graph, unless the spec changed since the reconcile began.
    const dependency = found.has(id) ? found.get(id) : await objects.get({ kind, namespace, name: entry.name });
    const expression = expressions.expressions[index];
    const waiting = dependencyNotReady({
      name: shown(id),
      kind,
      dependent: self.kind,
      object: dependency,
      source: question.source,
      readyExpr: expression ? { expression, self: object } : undefined,
      additive: question.additive,
    });
    if (waiting) return { failure: 'waiting', message: waiting };
  }
  return undefined;
}

function dependencyKind(entry: DependencyReference, ownKind: DependsOnKind): DependsOnKind {
  return entry.kind === 'HelmRelease' || entry.kind === 'Kustomization' ? entry.kind : ownKind;
}
