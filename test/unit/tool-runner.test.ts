import { describe, expect, it } from '@jest/globals';
import { runTool, ToolFailure } from '../../common/tool-runner.js';

describe('running a tool through the tool runner', () => {
  it('returns what the tool printed, in its folder and environment', async () => {
    const output = await runTool('sh', ['-c', 'pwd; echo "$GREETING"; echo oops >&2'], { cwd: '/tmp', env: { GREETING: 'hello', PATH: process.env.PATH } });
    expect(output).toEqual({ stdout: '/tmp\nhello\n', stderr: 'oops\n' });
  });

  it('runs several at once', async () => {
    const outputs = await Promise.all(Array.from({ length: 8 }, (_, i) => runTool('sh', ['-c', `sleep 0.1; echo ${i}`])));
    expect(outputs.map((output) => output.stdout)).toEqual(Array.from({ length: 8 }, (_, i) => `${i}\n`));
  });

  it('fails with the exit code and what the tool said', async () => {
    const failure = await runTool('sh', ['-c', 'echo partial; echo "no such overlay" >&2; exit 3']).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ToolFailure);
    expect(failure).toMatchObject({ code: 3, stdout: 'partial\n', stderr: 'no such overlay\n' });
    await expect(runTool('/nonexistent/kustomize', ['build'])).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('kills the tool when the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const running = runTool('sleep', ['30'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await expect(running).rejects.toMatchObject({ signal: 'SIGKILL' });
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect(runTool('sleep', ['30'], { signal: controller.signal })).rejects.toThrow('cancelled');
  });
});
