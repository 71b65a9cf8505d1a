// A Helm chart repository for source tests: charts packaged by the real `helm package`,
// indexed by `helm repo index`, served on loopback over HTTP (with basic auth when given
// credentials) or HTTPS requiring a client certificate.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { freePort } from '../../local/process.js';
import { requireBinary } from '../../tools/paths.js';

export interface ChartRepository {
  url: string;
  /** where the charts and index.yaml are */
  dir: string;
  /** GET requests for index.yaml it answered */
  readonly indexRequests: number;
  /** packages a new chart version (with `files` beside its Chart.yaml) and indexes the repository again */
  addChart(name: string, version: string, files?: Record<string, string>): void;
  /** replaces index.yaml with these bytes */
  writeIndex(content: string): void;
  stop(): Promise<void>;
}

export interface ChartRepositoryOptions {
  credentials?: { username: string; password: string };
  /** HTTPS with this server key pair, requiring a client certificate signed by `ca` */
  tls?: { cert: string; key: string; ca: string };
}

function helm(...args: string[]): void {
  execFileSync(requireBinary('helm'), args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HELM_CACHE_HOME: tmpdir(), HELM_CONFIG_HOME: tmpdir(), HELM_DATA_HOME: tmpdir() } });
}

export async function startChartRepository(options: ChartRepositoryOptions = {}): Promise<ChartRepository> {
  const dir = mkdtempSync(join(tmpdir(), 'kimbernetes-charts-'));
  const sources = mkdtempSync(join(tmpdir(), 'kimbernetes-chart-sources-'));
  const expected = options.credentials && `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64')}`;
  const state = { indexRequests: 0 };
  const handler: RequestListener = (request, response) => {
    if (expected && request.headers.authorization !== expected) {
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="charts"' }).end();
      return;
    }
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://charts').pathname)).replace(/^\/+/, '');
    if (path.includes('..')) {
      response.writeHead(404).end();
      return;
    }
    try {
      const content = readFileSync(join(dir, path));
      if (path === 'index.yaml') state.indexRequests += 1;
      response.writeHead(200, { 'Content-Type': path.endsWith('.yaml') ? 'application/yaml' : 'application/gzip' }).end(content);
    } catch {
      response.writeHead(404).end();
    }
  };
  const server: Server = options.tls ? createTlsServer({ ...options.tls, requestCert: true, rejectUnauthorized: true }, handler) : createServer(handler);
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    url,
    dir,
    get indexRequests() {
      return state.indexRequests;
    },
    addChart(name, version, files = {}) {
      const chart = join(sources, `${name}-${version}`, name);
      mkdirSync(join(chart, 'templates'), { recursive: true });
      writeFileSync(join(chart, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: ${version}\ndescription: a test chart\n`);
      writeFileSync(join(chart, 'values.yaml'), 'message: hello\n');
      writeFileSync(join(chart, 'templates', 'configmap.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  message: {{ .Values.message }}\n');
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(dirname(join(chart, path)), { recursive: true });
        writeFileSync(join(chart, path), content);
      }
      helm('package', chart, '--destination', dir);
      helm('repo', 'index', dir, '--url', url);
    },
    writeIndex(content) {
      writeFileSync(join(dir, 'index.yaml'), content);
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
