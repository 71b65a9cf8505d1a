// What one GitRepository reconcile keeps on the worker that runs it, between its steps:
// the credentials (files in a private folder, never in a payload), the resolved commit,
// the checkout, the stored artifact.
import type { Artifact, ArtifactStore } from '../../artifacts/store.js';
import type { FetchResult, SourceVerification } from '../../domain/gitrepository-status.js';
import type { ResolvedTag } from '../../domain/git-ref.js';
import type { GitRepositorySpec } from '../../domain/gitrepository-spec.js';
import type { SchemaNode } from '../../domain/schema-validation.js';
import type { GitCredentials } from '../../git/credentials.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import type { FluxObjects } from '../../kube/flux-objects.js';
import type { Workspaces } from '../workspaces.js';

export interface GitRepositoryWork {
  ref: FluxObjectRef;
  spec: GitRepositorySpec;
  credentials: GitCredentials;
  commit: string;
  revision: string;
  /** the ref to fetch (`refs/heads/main`); the commit itself when absent */
  fetchRef?: string;
  /** the tag the ref went through, for a tag signature check */
  tag?: ResolvedTag;
  includedArtifacts: Artifact[];
  /** the stored artifact before this reconcile */
  previousArtifact?: Artifact;
  /** set by the clone step */
  checkout?: string;
  commitMessage?: string;
  /** set by the verifySignature step */
  verification?: SourceVerification;
  /** set by the storeArtifact step */
  result?: FetchResult;
}

export interface GitRepositoryContext {
  objects: FluxObjects;
  store: ArtifactStore;
  workspaces: Workspaces<GitRepositoryWork>;
  workerQueue: string;
  schema: SchemaNode;
}

/** The spec fields the status records as observed, so a change of them is noticed. */
export interface ObservedContent {
  ignore?: string;
  recurseSubmodules?: boolean;
  include?: GitRepositorySpec['include'];
  sparseCheckout?: string[];
}

export function observedContent(spec: GitRepositorySpec): ObservedContent {
  return { ignore: spec.ignore, recurseSubmodules: spec.recurseSubmodules, include: spec.include, ...(spec.sparseCheckout ? { sparseCheckout: spec.sparseCheckout } : {}) };
}
