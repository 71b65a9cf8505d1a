// Every workflow type, bundled once and registered on every worker pool; each pool
// only receives the workflows started on its own task queue.
export { smokeTest } from './smoke-test.js';
export { gitRepositoryWorkflow } from './gitrepository.js';
export { resyncWorkflow } from './resync.js';
export { kustomizationWorkflow } from './kustomization.js';
