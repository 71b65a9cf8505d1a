// Memory and CPU of another process, read from /proc: resident set size now and at its
// peak (sampled every 100 ms), and CPU seconds spent so far (user + system).
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

export interface ProcessSample {
  rss: number;
  cpuSeconds: number;
}

export class ProcessSampler {
  peakRss = 0;
  private timer?: NodeJS.Timeout;

  constructor(readonly pid: number) {}

  sample(): ProcessSample {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
    // Fields after the command name, which is in parentheses and may hold spaces.
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
    this.peakRss = Math.max(this.peakRss, rss);
    return { rss, cpuSeconds };
  }

  start(): void {
    this.timer = setInterval(() => {
      try {
        this.sample();
      } catch {
        this.stop(); // the process ended
      }
    }, 100);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
