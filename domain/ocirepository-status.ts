// The one place an OCIRepository's status is decided, from what the last reconcile found,
// in Flux's words (source-controller ocirepository_controller.go): the artifact with the
// manifest's annotations as its metadata, `status.url` (`latest.tar.gz`), the ignore
// rules and layer selector it was built with, Ready and ArtifactInStorage "stored
// artifact for digest '…'", FetchFailed or StorageOperationFailed on a failure with the
// last good artifact kept, and the event: NewArtifact "stored artifact with revision '…'
// from '…'", with the origin the annotations name.
import type { Artifact } from '../artifacts/store.js';
import { findCondition, markReady, removeCondition, setCondition, type Condition } from './conditions.js';
import type { StatusContext, StatusEvent } from './gitrepository-status.js';
import type { OciLayerSelector } from './ocirepository-spec.js';
import { failedSourceStatus } from './source-failure.js';

export const OCIRepositoryReason = {
  URLInvalid: 'URLInvalid',
  InvalidSpec: 'InvalidSpec',
  AuthenticationFailed: 'AuthenticationFailed',
  /** the tag a semver range names could not be found */
  ReadOperationFailed: 'ReadOperationFailed',
  OCIArtifactPullFailed: 'OCIArtifactPullFailed',
  OCIArtifactLayerOperationFailed: 'OCIArtifactLayerOperationFailed',
  ArchiveOperationFailed: 'ArchiveOperationFailed',
} as const;

/** status.artifact of an OCIRepository: the manifest's annotations ride along. */
export type OciArtifact = Artifact & { metadata?: Record<string, string> };

export interface OCIRepositoryStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  artifact?: OciArtifact;
  /** the artifact's stable URL, `…/latest.tar.gz` */
  url?: string;
  observedIgnore?: string;
  observedLayerSelector?: OciLayerSelector;
  lastHandledReconcileAt?: string;
}

export type OCIRepositoryResult =
  /** `fetchedFrom`: spec.url, which the event names */
  | { outcome: 'stored'; artifact: OciArtifact; url: string; ignore?: string; layerSelector?: OciLayerSelector; fetchedFrom: string }
  | { outcome: 'unchanged'; artifact: OciArtifact; fetchedFrom: string }
  /** `condition`: the negative condition the failure sets; FetchFailed when absent */
  | { outcome: 'failed'; reason: string; message: string; stalled: boolean; condition?: string };

const failureConditions = ['FetchFailed', 'StorageOperationFailed'];
const sourceAnnotation = 'org.opencontainers.image.source';
const revisionAnnotation = 'org.opencontainers.image.revision';

export function storedOciMessage(revision: string): string {
  return `stored artifact for digest '${revision}'`;
}

/** Flux's ociContentConfigChanged: the ignore rules or the layer selector differ from what the stored artifact was built with. */
export function ociContentChanged(status: Pick<OCIRepositoryStatus, 'observedIgnore' | 'observedLayerSelector'>, spec: { ignore?: string; layerSelector?: OciLayerSelector }): boolean {
  if ((status.observedIgnore ?? undefined) !== (spec.ignore ?? undefined)) return true;
  const [a, b] = [status.observedLayerSelector, spec.layerSelector];
  if (!a || !b) return !a !== !b;
  return (a.mediaType ?? '') !== (b.mediaType ?? '') || (a.operation ?? '') !== (b.operation ?? '');
}

export function nextOCIRepositoryStatus(
  previous: OCIRepositoryStatus,
  result: OCIRepositoryResult,
  context: Pick<StatusContext, 'now' | 'generation' | 'requestedAt'>,
): { status: OCIRepositoryStatus; event?: StatusEvent } {
  const conditions = previous.conditions ?? [];
  const base: OCIRepositoryStatus = { ...previous };
  if (context.requestedAt) base.lastHandledReconcileAt = context.requestedAt;

  if (result.outcome === 'failed') return failedSourceStatus(base, conditions, result, context);

  const { artifact } = result;
  const message = storedOciMessage(artifact.revision);
  const ctx = { now: context.now, generation: context.generation };
  let next = failureConditions.reduce(removeCondition, conditions);
  next = removeCondition(next, 'ArtifactOutdated');
  next = setCondition(next, { type: 'ArtifactInStorage', status: 'True', reason: 'Succeeded', message }, ctx);
  next = markReady(next, message, ctx);
  const status: OCIRepositoryStatus = { ...base, conditions: next, artifact, observedGeneration: context.generation };
  if (result.outcome === 'stored') {
    status.url = result.url;
    status.observedIgnore = result.ignore;
    status.observedLayerSelector = result.layerSelector;
  }

  const wasFailing = failureConditions.some((type) => findCondition(conditions, type)?.status === 'True');
  const annotations = { 'source.toolkit.fluxcd.io/revision': artifact.revision, 'source.toolkit.fluxcd.io/digest': artifact.digest };
  const origin = artifact.metadata?.[sourceAnnotation] && artifact.metadata[revisionAnnotation] ? `, origin source '${artifact.metadata[sourceAnnotation]}', origin revision '${artifact.metadata[revisionAnnotation]}'` : '';
  const eventMessage = `stored artifact with revision '${artifact.revision}' from '${result.fetchedFrom}'${origin}`;
  if (previous.artifact?.digest !== artifact.digest) return { status, event: { type: 'Normal', reason: 'NewArtifact', message: eventMessage, annotations } };
  if (wasFailing) return { status, event: { type: 'Normal', reason: 'Succeeded', message: eventMessage, annotations } };
  return { status };
}
