// Structured logs: one JSON object a line, for the worker process and everything the
// Temporal runtime and activities log through it.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

export function installJsonLogger(level: LogLevel = 'INFO'): void {
  const logger = new DefaultLogger(level, (entry) => {
    const { level: severity, message, meta } = entry;
    const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
    process.stdout.write(`${JSON.stringify({ time, level: severity.toLowerCase(), msg: message, ...meta })}\n`);
  });
  Runtime.install({ logger });
}
