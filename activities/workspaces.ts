// Where one reconcile keeps what must not travel through Temporal: the unpacked
// artifact, the built objects, credentials, the new inventory. The first step of a
// reconcile opens a workspace on the worker that runs it and returns its ID with that
// worker's own task queue; the later steps run there and find it by ID. A worker that
// restarted no longer has it: the step fails with WorkspaceLost and the reconcile starts
// again from the first step, on whichever worker takes it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceLost } from './failures.js';

export interface Workspace<T> {
  id: string;
  /** a private folder, removed when the workspace closes */
  dir: string;
  state: T;
}

export interface Workspaces<T> {
  open(state: T): Promise<Workspace<T>>;
  /** The workspace; a WorkspaceLost failure when this worker does not hold it. */
  get(id: string): Workspace<T>;
  /** Runs `body` with the workspace, which no sweep closes meanwhile (a long health wait). */
  using<R>(id: string, body: (workspace: Workspace<T>) => Promise<R>): Promise<R>;
  close(id: string): Promise<void>;
  /** how many are open (for tests and the bench) */
  readonly size: number;
}

interface Entry<T> {
  workspace: Workspace<T>;
  lastUsed: number;
  users: number;
}

/**
 * Workspaces of one kind of reconcile. `dispose` releases what the state holds beyond
 * the folder (credential files). A workspace left idle for `maxIdleMs` (its workflow was
 * terminated, or continued as new without closing it) is closed when the next one opens.
 */
export function createWorkspaces<T>(options: { prefix: string; maxIdleMs?: number; dispose?: (state: T) => Promise<void> }): Workspaces<T> {
  const maxIdleMs = options.maxIdleMs ?? 3 * 3_600_000;
  const entries = new Map<string, Entry<T>>();

  async function close(id: string): Promise<void> {
    const entry = entries.get(id);
    if (!entry) return;
    entries.delete(id);
    await options.dispose?.(entry.workspace.state);
    await rm(entry.workspace.dir, { recursive: true, force: true });
  }

  function entryOf(id: string): Entry<T> {
    const entry = entries.get(id);
    if (!entry) throw workspaceLost(id);
    entry.lastUsed = Date.now();
    return entry;
  }

  async function sweep(now: number): Promise<void> {
    const idle = [...entries].filter(([, entry]) => entry.users === 0 && now - entry.lastUsed > maxIdleMs).map(([id]) => id);
    await Promise.all(idle.map(close));
  }

  return {
    async open(state) {
      const now = Date.now();
      await sweep(now);
      const id = randomBytes(8).toString('hex');
      const dir = await mkdtemp(join(tmpdir(), `kimbernetes-${options.prefix}-`));
      const workspace = { id, dir, state };
      entries.set(id, { workspace, lastUsed: now, users: 0 });
      return workspace;
    },
    get: (id) => entryOf(id).workspace,
    async using(id, body) {
      const entry = entryOf(id);
      const workspace = entry.workspace;
      entry.users += 1;
      try {
        return await body(workspace);
      } finally {
        entry.users -= 1;
        entry.lastUsed = Date.now();
      }
    },
    close,
    get size() {
      return entries.size;
    },
  };
}
