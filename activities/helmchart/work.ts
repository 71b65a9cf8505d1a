// What one HelmChart reconcile keeps on the worker that runs it, between its steps: the
// source's artifact, the repository's client options (credentials: never in a payload),
// the chart's files and package, and what storing it gave.
import type { Artifact, ArtifactStore } from '../../artifacts/store.js';
import type { ChartBuild } from '../../domain/helmchart-build.js';
import type { HelmChartSpec } from '../../domain/helmchart-spec.js';
import type { ChartResult } from '../../domain/helmchart-status.js';
import type { SchemaNode } from '../../domain/schema-validation.js';
import type { OciChartReference } from '../../domain/oci-reference.js';
import type { DownloadOptions } from '../../helm/http-download.js';
import type { OciRegistryOptions } from '../../oci/registry.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import type { FluxObjects } from '../../kube/flux-objects.js';
import type { Workspaces } from '../workspaces.js';

/** A HelmRepository's chart: the URL its index gives, or the tag an OCI registry holds it under; and how to reach it. */
export type RemoteChart =
  | { kind: 'http'; downloadUrl: string; client: DownloadOptions }
  | { kind: 'oci'; reference: OciChartReference; version: string; client: OciRegistryOptions };

export interface HelmChartWork {
  ref: FluxObjectRef;
  spec: HelmChartSpec;
  generation: number;
  /** the spec changed since the stored chart: build again even at the same version */
  force: boolean;
  /** the stored chart, which an equal build keeps */
  stored?: { artifact: Artifact; chartName?: string; valuesFiles?: string[] };
  source: { kind: string; name: string; artifact?: Artifact };
  /** a HelmRepository's chart; a Git or Bucket source's chart is a path in its artifact */
  remote?: RemoteChart;
  /** the build, known from the index or the registry's tags for a repository chart, from Chart.yaml for others */
  build?: ChartBuild;
  /** set by fetchChart: the unpacked chart (when it is to be packaged) or the package as served */
  chartDir?: string;
  /** the folder the source artifact was unpacked into (Git and Bucket sources) */
  sourceDir?: string;
  packagePath?: string;
  /** set when the reconcile's outcome is known early (an equal build) or by storeArtifact */
  result?: ChartResult;
}

export interface HelmChartContext {
  objects: FluxObjects;
  store: ArtifactStore;
  workspaces: Workspaces<HelmChartWork>;
  workerQueue: string;
  schema: SchemaNode;
}

/** Flux's default --helm-chart-max-size: 10 MiB. */
export const maxChartSize = 10 << 20;
