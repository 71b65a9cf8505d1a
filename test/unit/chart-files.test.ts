// A chart package unpacked on the worker as Helm's archive loader reads it: regular files
// and folders only, so no link in a package can lead `helm package` (or anything reading
// the chart's files) to the worker's own files.
import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'tar';
import { loadPackagedChart, unpackChart } from '../../helm/chart-files.js';

describe('a chart package unpacked', () => {
  it('keeps its files and leaves its links out', async () => {
    const work = mkdtempSync(join(tmpdir(), 'chart-files-'));
    const source = join(work, 'source');
    mkdirSync(join(source, 'demo', 'files'), { recursive: true });
    writeFileSync(join(source, 'demo', 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 1.0.0\n');
    writeFileSync(join(source, 'demo', 'files', 'kept.txt'), 'kept\n');
    symlinkSync('/etc/hostname', join(source, 'demo', 'files', 'host'));
    const archive = join(work, 'demo-1.0.0.tgz');
    await create({ gzip: true, file: archive, cwd: source }, ['demo']);

    const chart = await unpackChart(archive, join(work, 'unpacked'));
    expect(existsSync(join(chart, 'files', 'kept.txt'))).toBe(true);
    expect(existsSync(join(chart, 'files', 'host'))).toBe(false);
  });

  it("reads a package's Chart.yaml without leaving files behind", async () => {
    const work = mkdtempSync(join(tmpdir(), 'chart-files-'));
    mkdirSync(join(work, 'demo'));
    writeFileSync(join(work, 'demo', 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 2.1.0\n');
    const archive = join(work, 'demo.tgz');
    await create({ gzip: true, file: archive, cwd: work }, ['demo']);
    expect((await loadPackagedChart(readFileSync(archive))).metadata).toMatchObject({ name: 'demo', version: '2.1.0' });
  });
});
