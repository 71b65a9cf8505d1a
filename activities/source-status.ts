// Writing a source's outcome, the same for every source kind: the status its domain
// module decided, the event, and what the loop learns (ready, revision, whether the
// stored artifact changed, so consumers hear of it at once).
import type { Artifact } from '../artifacts/store.js';
import { findCondition, type Condition } from '../domain/conditions.js';
import type { StatusEvent } from '../domain/gitrepository-status.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import type { FluxObjects } from '../kube/flux-objects.js';
import type { SourceFinalStatus } from '../workflows/source-loop.js';

interface SourceStatus {
  conditions?: Condition[];
  artifact?: Artifact;
}

type Outcome = { outcome: 'stored'; artifact: Artifact } | { outcome: 'unchanged' } | { outcome: 'failed'; message: string };

/**
 * Decides the status with `next` from the live object's and writes it (through
 * `patchOf`, for fields a merge patch must remove, given the previous status too);
 * undefined when the object is gone.
 */
export async function writeSourceStatus<S extends SourceStatus>(
  objects: FluxObjects,
  ref: FluxObjectRef,
  result: Outcome,
  next: (previous: S) => { status: S; event?: StatusEvent },
  patchOf: (status: S, previous: S) => Record<string, unknown> = (status) => ({ ...(status as Record<string, unknown>) }),
): Promise<SourceFinalStatus | undefined> {
  const object = await objects.get(ref);
  if (!object) return undefined;
  const previous = (object.status ?? {}) as S;
  const { status, event } = next(previous);
  await objects.patchStatus(ref, patchOf(status, previous));
  if (event) await objects.recordEvent(object, event, 'source-controller');
  const ready = result.outcome !== 'failed';
  return {
    ready,
    revision: status.artifact?.revision,
    message: result.outcome === 'failed' ? result.message : findCondition(status.conditions, 'Ready')!.message,
    newRevision: result.outcome === 'stored' && artifactChanged(previous.artifact, result.artifact),
  };
}

/**
 * A merge patch that turns the map `previous` into `next` (a merge patch merges maps, so
 * keys only the previous one has are sent as null); null when there is no next one.
 */
export function replacingMap(previous: Record<string, unknown> | undefined, next: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (!next) return null;
  return { ...Object.fromEntries(Object.keys(previous ?? {}).map((key) => [key, null])), ...next };
}

function artifactChanged(before: Artifact | undefined, after: Artifact): boolean {
  return before?.revision !== after.revision || before.digest !== after.digest || before.url !== after.url;
}
