// Every workflow type, bundled once and registered on every worker pool; each pool
// only receives the workflows started on its own task queue.
export { smokeTest } from './smoke-test.js';
export { gitRepositoryLoop } from './gitrepository.js';
export { helmRepositoryLoop } from './helmrepository.js';
export { ociRepositoryLoop } from './ocirepository.js';
export { helmChartLoop } from './helmchart.js';
export { kustomizationLoop } from './kustomization.js';
export { helmReleaseLoop } from './helmrelease.js';
export { resyncWorkflow } from './resync.js';
export { notificationDispatch } from './notification-dispatch.js';
export { receiverLoop } from './receiver.js';
// Loops recorded before the step-by-step reconcile; each continues as its successor.
export { gitRepositoryWorkflow } from './legacy/gitrepository-workflow.js';
export { kustomizationWorkflow } from './legacy/kustomization-workflow.js';
