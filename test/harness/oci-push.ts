// Pushing OCI artifacts for the tests, as `flux push artifact` lays them out: the files
// packed into a tar.gz layer (Flux's content media type unless told otherwise), an empty
// config of Flux's config type, and a manifest with the given annotations, sent to a
// registry over the distribution API (a blob upload, then the manifest under its tag).
// It returns what a test needs to know independently of the code under test: the
// manifest's digest and the layers' bytes.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'tar';
import { fileTree } from './files.js';

export const FluxMediaType = {
  config: 'application/vnd.cncf.flux.config.v1+json',
  content: 'application/vnd.cncf.flux.content.v1.tar+gzip',
} as const;

export interface PushedArtifact {
  /** `sha256:<hex>` of the manifest as pushed */
  digest: string;
  /** each layer as pushed, in order */
  layers: Buffer[];
}

export interface ArtifactLayer {
  /** the layer's files, packed into a tar.gz; or its bytes as they are */
  files?: Record<string, string>;
  bytes?: Buffer;
  mediaType?: string;
}

const sha256 = (content: Buffer | string) => `sha256:${createHash('sha256').update(content).digest('hex')}`;

/** The files as a tar.gz. */
export async function tarGz(files: Record<string, string>): Promise<Buffer> {
  const root = fileTree(files, 'oci-layer-');
  const out = join(mkdtempSync(join(tmpdir(), 'oci-push-')), 'layer.tar.gz');
  try {
    await create({ gzip: true, file: out, cwd: root, portable: true }, Object.keys(files).map((path) => path.split('/')[0]!).filter((entry, index, all) => all.indexOf(entry) === index));
    return readFileSync(out);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Pushes an artifact of `layers` to `http://<host>/<repository>:<tag>`. */
export async function pushArtifact(host: string, repository: string, tag: string, layers: ArtifactLayer[], annotations: Record<string, string> = {}): Promise<PushedArtifact> {
  const base = `http://${host}/v2/${repository}`;
  const config = Buffer.from('{}');
  await uploadBlob(base, config);
  const bytes: Buffer[] = [];
  const descriptors = [];
  for (const layer of layers) {
    const content = layer.bytes ?? (await tarGz(layer.files ?? {}));
    await uploadBlob(base, content);
    bytes.push(content);
    descriptors.push({ mediaType: layer.mediaType ?? FluxMediaType.content, digest: sha256(content), size: content.length });
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: FluxMediaType.config, digest: sha256(config), size: config.length },
    layers: descriptors,
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  });
  const response = await fetch(`${base}/manifests/${tag}`, { method: 'PUT', headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }, body: manifest });
  if (response.status !== 201) throw new Error(`pushing the manifest of ${repository}:${tag}: ${response.status} ${await response.text()}`);
  return { digest: sha256(manifest), layers: bytes };
}

async function uploadBlob(base: string, content: Buffer): Promise<void> {
  const started = await fetch(`${base}/blobs/uploads/`, { method: 'POST' });
  const location = started.headers.get('location');
  if (started.status !== 202 || !location) throw new Error(`starting a blob upload: ${started.status} ${await started.text()}`);
  const url = new URL(location, base);
  url.searchParams.set('digest', sha256(content));
  const finished = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body: content });
  if (finished.status !== 201) throw new Error(`finishing a blob upload: ${finished.status} ${await finished.text()}`);
}

export interface GuardedRegistry {
  /** `127.0.0.1:<port>`, where the registry answers only with the credentials */
  host: string;
  /** how many requests carried them */
  readonly authorized: number;
  stop(): Promise<void>;
}

/**
 * The registry at `upstream` behind Basic auth, as a registry that wants credentials
 * answers: a 401 with a Basic challenge and the distribution API's UNAUTHORIZED error.
 */
export async function startBasicAuthProxy(upstream: string, credentials: { username: string; password: string }): Promise<GuardedRegistry> {
  const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  let authorized = 0;
  const server = createServer((incoming, outgoing) => {
    if (incoming.headers.authorization !== expected) {
      outgoing.writeHead(401, { 'WWW-Authenticate': 'Basic realm="registry"', 'Content-Type': 'application/json' });
      outgoing.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    authorized++;
    // The registry itself wants none: the credentials stop here.
    const headers = { ...incoming.headers };
    delete headers.authorization;
    const forwarded = request(`http://${upstream}${incoming.url ?? '/'}`, { method: incoming.method, headers: { ...headers, host: upstream } }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forwarded.on('error', () => outgoing.writeHead(502).end());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    get authorized() {
      return authorized;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
