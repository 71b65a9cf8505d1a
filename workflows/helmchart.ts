// The reconcile loop of one HelmChart, the source loop (workflows/source-loop.ts) with
// its steps:
//
//   checkSource → fetchChart → packageChart → storeArtifact → finalizeStatus
//
// checkSource, on the shared source-controller queue, finds the source's artifact and,
// for a HelmRepository, the version its index offers: an equal build goes straight to
// finalizeStatus. The rest run on the worker that opened the reconcile's workspace.
import type { ChartCheck } from '../activities/helmchart/index.js';
import { continueAsSourceLoop, sourceLoop, type SourceKind, type SourceLoopInput } from './source-loop.js';

const helmChart: SourceKind<ChartCheck> = {
  kind: 'HelmChart',
  firstStep: { name: 'checkSource', summary: (name) => `find the source and version of HelmChart ${name}`, details: 'checking the source' },
  workerSteps: () => [
    { name: 'fetchChart', summary: 'fetch the chart for', reason: 'ChartPullError', condition: 'FetchFailed' },
    { name: 'packageChart', summary: 'package the chart for', reason: 'ChartPackageError', condition: 'BuildFailed' },
    { name: 'storeArtifact', summary: 'store the chart for', reason: 'ArchiveOperationFailed', condition: 'StorageOperationFailed' },
  ],
};

export async function helmChartLoop(input: SourceLoopInput): Promise<void> {
  await sourceLoop(helmChart, input, continueAsSourceLoop<typeof helmChartLoop>());
}
