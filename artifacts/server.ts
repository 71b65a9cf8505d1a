// Serves the artifact store read-only over HTTP, as Flux's source-controller does, so
// that workers anywhere can download an artifact by its URL and verify its digest.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { normalize, join, sep } from 'node:path';

export interface ArtifactServer {
  readonly url: string;
  close(): Promise<void>;
}

const contentTypes: [string, string][] = [
  ['.tar.gz', 'application/gzip'],
  ['.tgz', 'application/gzip'],
  ['.yaml', 'application/yaml'],
];

export async function startArtifactServer(root: string, options: { host?: string; port?: number } = {}): Promise<ArtifactServer> {
  const server: Server = createServer(async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const requested = decodeURIComponent(new URL(request.url ?? '/', 'http://artifacts').pathname);
    const relativePath = normalize(requested).replace(/^([/\\])+/, '');
    const file = join(root, relativePath);
    // Only artifacts (source archives, charts, Helm repository indexes), only inside the store.
    const type = contentTypes.find(([extension]) => relativePath.endsWith(extension))?.[1];
    if (!type || relativePath.split(sep).includes('..') || !file.startsWith(root + sep)) {
      response.writeHead(404).end();
      return;
    }
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a file');
      response.writeHead(200, { 'Content-Type': type, 'Content-Length': info.size });
      if (request.method === 'HEAD') response.end();
      else createReadStream(file).pipe(response);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
