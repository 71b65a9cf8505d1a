// What one HelmRepository reconcile keeps on the worker that runs it, between its steps:
// the downloaded index (up to 50 MiB: never in a payload) and what storing it gave.
import type { ArtifactStore } from '../../artifacts/store.js';
import type { HelmRepositorySpec } from '../../domain/helmrepository-spec.js';
import type { IndexResult } from '../../domain/helmrepository-status.js';
import type { SchemaNode } from '../../domain/schema-validation.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import type { FluxObjects } from '../../kube/flux-objects.js';
import type { Workspaces } from '../workspaces.js';

export interface HelmRepositoryWork {
  ref: FluxObjectRef;
  spec: HelmRepositorySpec;
  /** the index as served, and its revision */
  index: Buffer;
  revision: string;
  /** set by the storeArtifact step */
  result?: IndexResult;
}

export interface HelmRepositoryContext {
  objects: FluxObjects;
  store: ArtifactStore;
  workspaces: Workspaces<HelmRepositoryWork>;
  workerQueue: string;
  schema: SchemaNode;
}

/** A HelmRepository records nothing of its spec as observed: its revision says it all. */
export type HelmRepositoryObserved = Record<string, never>;
