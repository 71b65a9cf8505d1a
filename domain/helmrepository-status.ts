// The one place a HelmRepository's status is decided, from what the last reconcile
// found, in Flux's words (source-controller helmrepository_controller.go): the stored
// index's artifact and `status.url`, Ready and ArtifactInStorage "stored artifact:
// revision '…'", FetchFailed or StorageOperationFailed on a failure with the last good
// artifact kept, observedGeneration only on success or a stall, and the event to record.
import type { Artifact } from '../artifacts/store.js';
import { findCondition, markReady, removeCondition, setCondition, type Condition } from './conditions.js';
import { failedSourceStatus } from './source-failure.js';
import type { StatusContext, StatusEvent } from './gitrepository-status.js';

export const HelmRepositoryReason = {
  /** the index could not be downloaded (Flux's generic reason) */
  Failed: 'Failed',
  IndexationFailed: 'IndexationFailed',
  AuthenticationFailed: 'AuthenticationFailed',
  URLInvalid: 'URLInvalid',
  InvalidSpec: 'InvalidSpec',
} as const;

export interface HelmRepositoryStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  artifact?: Artifact;
  /** the index's stable URL, `…/index.yaml` */
  url?: string;
  lastHandledReconcileAt?: string;
}

export type IndexResult =
  | { outcome: 'stored'; artifact: Artifact; url: string; fetchedFrom: string }
  | { outcome: 'unchanged'; artifact: Artifact; url?: string; fetchedFrom: string }
  /** `condition`: the negative condition the failure sets; FetchFailed when absent */
  | { outcome: 'failed'; reason: string; message: string; stalled: boolean; condition?: string };

const failureConditions = ['FetchFailed', 'StorageOperationFailed'];

export function storedIndexMessage(revision: string): string {
  return `stored artifact: revision '${revision}'`;
}

export function nextHelmRepositoryStatus(
  previous: HelmRepositoryStatus,
  result: IndexResult,
  context: Pick<StatusContext, 'now' | 'generation' | 'requestedAt'>,
): { status: HelmRepositoryStatus; event?: StatusEvent } {
  const conditions = previous.conditions ?? [];
  const base: HelmRepositoryStatus = { ...previous };
  if (context.requestedAt) base.lastHandledReconcileAt = context.requestedAt;

  if (result.outcome === 'failed') return failedSourceStatus(base, conditions, result, context);

  const { artifact } = result;
  const message = storedIndexMessage(artifact.revision);
  const ctx = { now: context.now, generation: context.generation };
  let next = failureConditions.reduce(removeCondition, conditions);
  next = removeCondition(next, 'ArtifactOutdated');
  next = setCondition(next, { type: 'ArtifactInStorage', status: 'True', reason: 'Succeeded', message }, ctx);
  next = markReady(next, message, ctx);
  const status: HelmRepositoryStatus = { ...base, conditions: next, artifact, url: result.url ?? previous.url, observedGeneration: context.generation };

  const wasFailing = failureConditions.some((type) => findCondition(conditions, type)?.status === 'True');
  const eventMessage = `stored fetched index of size ${humanSizeOf(artifact.size)} from '${result.fetchedFrom}'`;
  const annotations = { 'source.toolkit.fluxcd.io/revision': artifact.revision, 'source.toolkit.fluxcd.io/digest': artifact.digest };
  if (previous.artifact?.digest !== artifact.digest) return { status, event: { type: 'Normal', reason: 'NewArtifact', message: eventMessage, annotations } };
  if (wasFailing) return { status, event: { type: 'Normal', reason: 'Succeeded', message: eventMessage, annotations } };
  return { status };
}

/** A size as Flux's events print it (docker/go-units HumanSize: base 1000, four significant digits). */
export function humanSizeOf(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < units.length - 1) {
    size /= 1000;
    unit++;
  }
  return `${Number(size.toPrecision(4))}${units[unit]}`;
}
