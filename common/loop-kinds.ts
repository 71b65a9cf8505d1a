// Which kinds have a reconcile loop, and the workflow type that runs it: plain data, so
// clients that must start fast (the CLI) and the worker set-up read it without the SDK.
import { fluxKinds, type FluxObjectRef } from '../kube/flux-kinds.js';
import type { TaskQueue } from './task-queues.js';

/** The workflow type that runs each kind's reconcile loop. */
export const workflowTypes: Partial<Record<FluxObjectRef['kind'], string>> = {
  GitRepository: 'gitRepositoryLoop',
  HelmRepository: 'helmRepositoryLoop',
  OCIRepository: 'ociRepositoryLoop',
  HelmChart: 'helmChartLoop',
  Kustomization: 'kustomizationLoop',
  HelmRelease: 'helmReleaseLoop',
  Receiver: 'receiverLoop',
};

/** The kinds that have a reconcile loop. */
export const reconciledKinds = Object.keys(workflowTypes) as FluxObjectRef['kind'][];

/** Whether a controller reconciles any kind yet: only those are polled (workers/pools.ts). */
export function hasLoops(controller: TaskQueue): boolean {
  return reconciledKinds.some((kind) => fluxKinds[kind].controller === controller);
}

/** Workflows of a controller that are not an object's loop: the notification-controller dispatches events. */
const controllerWorkflows: Partial<Record<TaskQueue, readonly string[]>> = { 'notification-controller': ['notificationDispatch'] };

/** Whether a controller's queue carries workflows at all: only those are polled. */
export function servesWorkflows(controller: TaskQueue): boolean {
  return hasLoops(controller) || (controllerWorkflows[controller]?.length ?? 0) > 0;
}

/** Whether objects of this kind have a reconcile loop yet. */
export function isReconciled(kind: FluxObjectRef['kind']): boolean {
  return workflowTypes[kind] !== undefined;
}
