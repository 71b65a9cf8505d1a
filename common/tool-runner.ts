// Runs an external tool through one small child process per worker (tool-runner-child.mjs)
// rather than starting it from the worker itself, whose size makes every start costly.
// Same contract as execFile: stdout and stderr as text, a failure carrying both, the
// tool killed when the signal aborts.
import { fork, type ChildProcess } from 'node:child_process';
import { projectFile } from './project-files.js';

export interface ToolOutput {
  stdout: string;
  stderr: string;
}

export class ToolFailure extends Error {
  override readonly name = 'ToolFailure';
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
    /** the exit code, or a system error's code (ENOENT) */
    readonly code?: number | string,
    readonly signal?: string,
  ) {
    super(message);
  }
}

export interface ToolOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  maxBuffer?: number;
  signal?: AbortSignal;
}

interface Answer {
  id: number;
  stdout: string;
  stderr: string;
  failure?: { message: string; code?: number | string; signal?: string };
}

interface Pending {
  resolve(output: ToolOutput): void;
  reject(error: Error): void;
}

let runner: { child: ChildProcess; pending: Map<number, Pending> } | undefined;
let nextId = 0;

function start() {
  const child = fork(projectFile('common', 'tool-runner-child.mjs'), [], { execArgv: ['--max-old-space-size=64'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, Pending>();
  const started = { child, pending };
  child.on('message', (message) => {
    const answer = message as Answer;
    const call = pending.get(answer.id);
    if (!call) return;
    pending.delete(answer.id);
    if (answer.failure) call.reject(new ToolFailure(answer.failure.message, answer.stdout, answer.stderr, answer.failure.code, answer.failure.signal));
    else call.resolve({ stdout: answer.stdout, stderr: answer.stderr });
    if (pending.size === 0) idle(child);
  });
  child.on('exit', () => {
    if (runner === started) runner = undefined;
    for (const call of pending.values()) call.reject(new ToolFailure('the process that runs tools stopped', '', ''));
    pending.clear();
  });
  return started;
}

/** An idle runner keeps no worker alive; a busy one does. */
function idle(child: ChildProcess): void {
  child.unref();
  child.channel?.unref();
}

function busy(child: ChildProcess): void {
  child.ref();
  child.channel?.ref();
}

export function runTool(file: string, args: readonly string[], options: ToolOptions = {}): Promise<ToolOutput> {
  const { child, pending } = (runner ??= start());
  const id = nextId++;
  const { signal } = options;
  return new Promise<ToolOutput>((resolve, reject) => {
    if (signal?.aborted) return reject(new ToolFailure(`${file} was not started: cancelled`, '', ''));
    const onAbort = () => child.send({ id, kill: true });
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => signal?.removeEventListener('abort', onAbort);
    pending.set(id, {
      resolve: (output) => (done(), resolve(output)),
      reject: (error) => (done(), reject(error)),
    });
    busy(child);
    child.send({ id, file, args, cwd: options.cwd, env: options.env, maxBuffer: options.maxBuffer });
  });
}
