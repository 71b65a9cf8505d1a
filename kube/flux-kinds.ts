// The Flux kinds this engine reconciles: their API coordinates and which controller's
// task queue owns them.
import { TaskQueue } from '../common/task-queues.js';

export interface FluxKind {
  kind: string;
  group: string;
  /** the version we read and write */
  version: string;
  plural: string;
  controller: TaskQueue;
}

export const fluxKinds = {
  GitRepository: { kind: 'GitRepository', group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'gitrepositories', controller: TaskQueue.Source },
  HelmRepository: { kind: 'HelmRepository', group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'helmrepositories', controller: TaskQueue.Source },
  OCIRepository: { kind: 'OCIRepository', group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'ocirepositories', controller: TaskQueue.Source },
  HelmChart: { kind: 'HelmChart', group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'helmcharts', controller: TaskQueue.Source },
  Kustomization: { kind: 'Kustomization', group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations', controller: TaskQueue.Kustomize },
  HelmRelease: { kind: 'HelmRelease', group: 'helm.toolkit.fluxcd.io', version: 'v2', plural: 'helmreleases', controller: TaskQueue.Helm },
  // Alerts and Providers have no status (notification.toolkit.fluxcd.io/v1beta3): they are
  // read when an event is dispatched, never reconciled.
  Alert: { kind: 'Alert', group: 'notification.toolkit.fluxcd.io', version: 'v1beta3', plural: 'alerts', controller: TaskQueue.Notification },
  Provider: { kind: 'Provider', group: 'notification.toolkit.fluxcd.io', version: 'v1beta3', plural: 'providers', controller: TaskQueue.Notification },
  Receiver: { kind: 'Receiver', group: 'notification.toolkit.fluxcd.io', version: 'v1', plural: 'receivers', controller: TaskQueue.Notification },
} as const satisfies Record<string, FluxKind>;

export type FluxKindName = keyof typeof fluxKinds;

export interface FluxObjectRef {
  kind: FluxKindName;
  namespace: string;
  name: string;
}

export function apiVersionOf(kind: FluxKindName): string {
  const { group, version } = fluxKinds[kind];
  return `${group}/${version}`;
}

/** `GitRepository flux-system/podinfo`, as messages name an object. */
export function describeFluxObject(ref: FluxObjectRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}
