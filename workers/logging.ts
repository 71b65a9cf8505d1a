// Structured logs: one JSON object a line, for the worker process and everything the
// Temporal runtime, the workflow bundler and activities log through it.
import { DefaultLogger, Runtime, type LogLevel, type Logger } from '@temporalio/worker';

/** Errors keep their message in JSON (it is not an own enumerable property); stacks stay out. */
function errorsReadable(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const { name, message } = value;
    const type = (value as { type?: string }).type;
    return type ? { name, type, message } : { name, message };
  }
  return value;
}

export function jsonLogger(level: LogLevel = 'INFO'): Logger {
  return new DefaultLogger(level, (entry) => {
    const { level: severity, message, meta } = entry;
    const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
    process.stdout.write(`${JSON.stringify({ time, level: severity.toLowerCase(), msg: message, ...meta }, errorsReadable)}\n`);
  });
}

/**
 * Installs the JSON logger in the Temporal runtime. The runtime is told not to handle
 * SIGINT/SIGTERM itself: each entry point stops its workers and then cleans up what it
 * started (see signals.ts), which a second signal must not cut short.
 */
export function installWorkerRuntime(level: LogLevel = 'INFO'): void {
  Runtime.install({ logger: jsonLogger(level), shutdownSignals: [] });
}

/** One structured log line from our own code (the watcher), in the same JSON shape. */
export function logLine(entry: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
}
