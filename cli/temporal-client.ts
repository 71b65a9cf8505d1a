// The Temporal client library, behind a module of our own that cli/temporal.ts imports
// lazily: a bundler can then split it out with its named exports intact (a lazy import
// of the CommonJS library itself would see only its default export once bundled).
export { Client, Connection } from '@temporalio/client';
