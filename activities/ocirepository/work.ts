// What one OCIRepository reconcile keeps on the worker that runs it, between its steps:
// the registry's options (credentials, never in a payload), the artifact resolved, the
// pulled layer (a file, or its extracted folder) and what storing it gave.
import type { ArtifactStore } from '../../artifacts/store.js';
import type { OciRepositoryAddress } from '../../domain/oci-artifact.js';
import type { OCIRepositorySpec } from '../../domain/ocirepository-spec.js';
import type { OCIRepositoryResult } from '../../domain/ocirepository-status.js';
import type { SchemaNode } from '../../domain/schema-validation.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import type { FluxObjects } from '../../kube/flux-objects.js';
import type { OciRegistryOptions } from '../../oci/registry.js';
import type { Workspaces } from '../workspaces.js';

export interface OCIRepositoryWork {
  ref: FluxObjectRef;
  spec: OCIRepositorySpec;
  address: OciRepositoryAddress;
  registry: OciRegistryOptions;
  /** `<tag>@sha256:<hex>`, or the digest alone */
  revision: string;
  /** the manifest's digest */
  digest: string;
  /** set by the pull step: the layer as pulled, the folder it was extracted to (for `extract`), the manifest's annotations */
  layerFile?: string;
  contentDir?: string;
  metadata?: Record<string, string>;
  /** set by the storeArtifact step */
  result?: OCIRepositoryResult;
}

export interface OCIRepositoryContext {
  objects: FluxObjects;
  store: ArtifactStore;
  workspaces: Workspaces<OCIRepositoryWork>;
  workerQueue: string;
  schema: SchemaNode;
}

/** An OCIRepository records its content's settings with the artifact it stores, not as observed spec. */
export type OCIRepositoryObserved = Record<string, never>;
