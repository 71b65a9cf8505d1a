// Colours and spinners only on a terminal; plain, line by line, for pipes and logs.
import { describe, expect, it } from '@jest/globals';
import { Terminal } from '../../cli/terminal.js';

function streams(tty: boolean, env: NodeJS.ProcessEnv = {}) {
  const written = { stdout: '', stderr: '' };
  const io = {
    stdout: { isTTY: tty, write: (text: string) => (written.stdout += text) },
    stderr: { isTTY: tty, write: (text: string) => (written.stderr += text) },
    env,
  };
  return { io, written };
}

describe('terminal', () => {
  it('writes results to stdout and progress to stderr, without colour off a terminal', () => {
    const { io, written } = streams(false);
    const terminal = new Terminal(io);
    terminal.out('table\n');
    terminal.action('annotating');
    terminal.success('done');
    terminal.failure('failed');
    expect(written).toEqual({ stdout: 'table\n', stderr: '► annotating\n✔ done\n✗ failed\n' });
  });

  it('colours on a terminal, unless --no-color or NO_COLOR says not to', () => {
    const tty = streams(true);
    new Terminal(tty.io).success('done');
    expect(tty.written.stderr).toBe('\u001b[32m✔\u001b[0m done\n');
    const noColor = streams(true);
    new Terminal(noColor.io, { noColor: true }).success('done');
    expect(noColor.written.stderr).toBe('✔ done\n');
    const env = streams(true, { NO_COLOR: '1' });
    new Terminal(env.io).success('done');
    expect(env.written.stderr).toBe('✔ done\n');
  });

  it('shows progress as lines off a terminal, once per change', () => {
    const { io, written } = streams(false);
    const progress = new Terminal(io).progress('waiting');
    progress.update('waiting');
    progress.update('waiting: health check');
    progress.stop();
    expect(written.stderr).toBe('◎ waiting\n◎ waiting: health check\n');
  });

  it('redraws one spinner line on a terminal and clears it at the end', () => {
    const { io, written } = streams(true);
    const progress = new Terminal(io, { noColor: true }).progress('waiting');
    progress.stop();
    expect(written.stderr).toBe('\r\u001b[2K⠋ waiting\r\u001b[2K');
  });
});
