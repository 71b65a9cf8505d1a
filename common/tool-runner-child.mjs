// The small child process that starts external tools (kustomize) for a worker. Starting a
// process copies the starter's page tables: from a worker of several hundred MiB that
// cost ~80 ms of its event loop per build; from this child, a fraction of that.
// Requests and answers travel over the IPC channel (common/tool-runner.ts).
import { execFile } from 'node:child_process';

const running = new Map();

process.on('message', (request) => {
  if (request.kill) {
    running.get(request.id)?.kill('SIGKILL');
    return;
  }
  const child = execFile(request.file, request.args, { cwd: request.cwd, env: request.env, maxBuffer: request.maxBuffer, encoding: 'utf8' }, (error, stdout, stderr) => {
    running.delete(request.id);
    const failure = error ? { message: error.message, code: error.code, signal: error.signal ?? undefined } : undefined;
    process.send({ id: request.id, stdout, stderr, failure });
  });
  running.set(request.id, child);
});

// The worker is gone: take its tools with it.
process.on('disconnect', () => {
  for (const child of running.values()) child.kill('SIGKILL');
  process.exit(0);
});
