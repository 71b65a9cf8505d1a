// Structured logs: one JSON object a line, for the worker process and everything the
// Temporal runtime, the workflow bundler and activities log through it.
import { DefaultLogger, Runtime, type LogLevel, type Logger } from '@temporalio/worker';

export function jsonLogger(level: LogLevel = 'INFO'): Logger {
  return new DefaultLogger(level, (entry) => {
    const { level: severity, message, meta } = entry;
    const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
    process.stdout.write(`${JSON.stringify({ time, level: severity.toLowerCase(), msg: message, ...meta })}\n`);
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
