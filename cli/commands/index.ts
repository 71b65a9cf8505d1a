// Every command, in the order help lists them, and what each group of them is for.
import type { Command } from '../command.js';
import type { GroupSummaries } from '../help.js';
import { bootstrapCommand } from './bootstrap.js';
import { buildCommand } from './build.js';
import { checkCommand } from './check.js';
import { diffCommand } from './diff.js';
import { eventsCommand } from './events.js';
import { exportCommands } from './export.js';
import { getCommands } from './get.js';
import { installCommand } from './install.js';
import { reconcileCommands } from './reconcile.js';
import { suspendCommands } from './suspend.js';
import { treeCommand, treeHelmReleaseCommand } from './tree.js';

export const commands: readonly Command[] = [
  installCommand,
  bootstrapCommand,
  checkCommand,
  ...getCommands,
  ...reconcileCommands,
  ...suspendCommands,
  diffCommand,
  buildCommand,
  treeCommand,
  treeHelmReleaseCommand,
  eventsCommand,
  ...exportCommands,
];

export const groupSummaries: GroupSummaries = {
  bootstrap: 'Point the cluster at a Git repository.',
  get: 'Show the status of Flux objects.',
  'get sources': 'Show the status of sources.',
  reconcile: 'Reconcile an object now and wait for the outcome.',
  'reconcile source': 'Reconcile a source now.',
  suspend: 'Suspend the reconciliation of an object.',
  'suspend source': 'Suspend the reconciliation of a source.',
  resume: 'Resume the reconciliation of an object.',
  'resume source': 'Resume the reconciliation of a source.',
  diff: 'Preview what a local folder would change.',
  build: 'Build a local folder as the controller would.',
  tree: 'Show what a Kustomization applied.',
  export: 'Print objects as YAML to commit to Git.',
  'export source': 'Print sources as YAML.',
};
