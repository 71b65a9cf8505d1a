// Real git servers on loopback for source tests: repositories on disk (file://), an
// OpenSSH server with key auth and its own host key (ssh://), and `git http-backend`
// behind a Node HTTP server with basic auth (http://), or HTTPS that requires a client
// certificate (https://), and a forward proxy that counts what passes through it.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, startService, waitForPort } from '../../local/process.js';

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Kimbernetes Test',
  GIT_AUTHOR_EMAIL: 'test@kimbernetes.invalid',
  GIT_COMMITTER_NAME: 'Kimbernetes Test',
  GIT_COMMITTER_EMAIL: 'test@kimbernetes.invalid',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();
}

/** How to sign a commit or tag: git options (`-c gpg.format=ssh`…) and environment (GNUPGHOME). */
export interface Signer {
  options: string[];
  env: Record<string, string>;
}

function signed(signer: Signer, cwd: string, ...args: string[]): void {
  execFileSync('git', [...signer.options, ...args], { cwd, env: { ...gitEnv, ...signer.env }, stdio: 'ignore' });
}

/** A bare repository that tests push commits to, with a work tree to make them in. */
export class TestRepository {
  readonly bare: string;
  readonly work: string;

  constructor(root: string, name: string, branch = 'main') {
    this.bare = join(root, `${name}.git`);
    this.work = join(root, `${name}-work`);
    mkdirSync(this.bare, { recursive: true });
    git(this.bare, 'init', '--bare', '--initial-branch', branch);
    git(root, 'clone', '--quiet', this.bare, this.work);
    git(this.work, 'checkout', '--quiet', '-B', branch);
  }

  /** Writes (or, with null, deletes) files, commits (signed by `signer`), pushes; returns the commit SHA. */
  commit(files: Record<string, string | null>, message = 'change', branch = 'main', signer?: Signer): string {
    git(this.work, 'checkout', '--quiet', '-B', branch);
    for (const [path, content] of Object.entries(files)) {
      if (content === null) git(this.work, 'rm', '--quiet', '-r', path);
      else {
        mkdirSync(dirname(join(this.work, path)), { recursive: true });
        writeFileSync(join(this.work, path), content);
        git(this.work, 'add', path);
      }
    }
    if (signer) signed(signer, this.work, 'commit', '--quiet', '--allow-empty', '-S', '-m', message);
    else git(this.work, 'commit', '--quiet', '--allow-empty', '-m', message);
    git(this.work, 'push', '--quiet', '--force', 'origin', branch);
    return git(this.work, 'rev-parse', 'HEAD');
  }

  /** A lightweight tag, an annotated one, or one signed by `signer`, pushed. */
  tag(name: string, annotated = false, signer?: Signer): void {
    if (signer) signed(signer, this.work, 'tag', '-s', name, '-m', name);
    else if (annotated) git(this.work, 'tag', '-a', name, '-m', name);
    else git(this.work, 'tag', name);
    git(this.work, 'push', '--quiet', 'origin', name);
  }

  get fileUrl(): string {
    return `file://${this.bare}`;
  }
}

export function newGitRoot(): string {
  return mkdtempSync(join(tmpdir(), 'kimbernetes-git-'));
}

function sshKeygen(path: string, type = 'ed25519', passphrase = ''): { privateKey: string; publicKey: string } {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', passphrase, '-f', path, '-C', 'kimbernetes-test']);
  return { privateKey: readFileSync(path, 'utf8'), publicKey: readFileSync(`${path}.pub`, 'utf8') };
}

export interface SshGitServer {
  port: number;
  /** the key authorized to read */
  identity: string;
  /** another authorized key, encrypted with `passphrase` */
  encryptedIdentity: string;
  passphrase: string;
  knownHosts: string;
  url(repository: TestRepository): string;
  stop(): Promise<void>;
}

/** sshd on a loopback port with its own host key; the authorized key may only run git-shell. */
export async function startSshGitServer(): Promise<SshGitServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kimbernetes-sshd-'));
  const port = await freePort();
  sshKeygen(join(dir, 'host_key'));
  const client = sshKeygen(join(dir, 'client_key'));
  const passphrase = 'correct horse battery';
  const encrypted = sshKeygen(join(dir, 'encrypted_key'), 'ed25519', passphrase);
  const gitShellOnly = 'restrict,command="/usr/bin/git-shell -c \\"$SSH_ORIGINAL_COMMAND\\""';
  writeFileSync(join(dir, 'authorized_keys'), `${gitShellOnly} ${client.publicKey}${gitShellOnly} ${encrypted.publicKey}`);
  chmodSync(join(dir, 'authorized_keys'), 0o600);
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'StrictModes no',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  mkdirSync('/run/sshd', { recursive: true });
  const service = startService('sshd', '/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    logFile: join(dir, 'sshd.log'),
  });
  await waitForPort(service, port, 15_000);
  const hostKey = readFileSync(join(dir, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  const user = userInfo().username;
  return {
    port,
    identity: client.privateKey,
    encryptedIdentity: encrypted.privateKey,
    passphrase,
    knownHosts: `[127.0.0.1]:${port} ${hostKey}\n`,
    url: (repository) => `ssh://${user}@127.0.0.1:${port}${repository.bare}`,
    stop: () => service.stop(),
  };
}

/** Another key pair, for tests of a wrong key or a wrong host key. */
export function otherKeyPair(): { privateKey: string; publicKey: string } {
  return sshKeygen(join(mkdtempSync(join(tmpdir(), 'kimbernetes-key-')), 'key'));
}

export interface HttpGitServer {
  url(repository: TestRepository): string;
  /** upload-pack requests seen (every ls-remote and fetch makes at least one) */
  readonly uploadPackRequests: number;
  /** holds each upload-pack request this long before serving it: a slow remote */
  delayMs: number;
  stop(): Promise<void>;
}

export interface HttpGitServerOptions {
  /** HTTPS with this server key pair, requiring a client certificate signed by `ca` */
  tls?: { cert: string; key: string; ca: string };
}

/**
 * `git http-backend` (smart HTTP) for every repository under `root`, behind basic auth
 * (`credentials`), or, with `tls`, behind a client certificate.
 */
export async function startHttpGitServer(root: string, credentials: { username: string; password: string } | undefined, options: HttpGitServerOptions = {}): Promise<HttpGitServer> {
  const expected = credentials && `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const state = { uploadPackRequests: 0, delayMs: 0 };
  const delays = new Set<NodeJS.Timeout>();
  const handler: RequestListener = async (request, response) => {
    if (expected && request.headers.authorization !== expected) {
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
      return;
    }
    const url = new URL(request.url ?? '/', 'http://git');
    if (url.pathname.endsWith('/git-upload-pack')) {
      state.uploadPackRequests += 1;
      if (state.delayMs > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            delays.delete(timer);
            resolve();
          }, state.delayMs);
          delays.add(timer);
        });
      }
    }
    const backend = spawn('git', ['http-backend'], {
      env: {
        ...gitEnv,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: request.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: request.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: request.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(request.headers['git-protocol'] ?? ''),
        REMOTE_USER: credentials?.username ?? 'client-certificate',
        REMOTE_ADDR: '127.0.0.1',
      },
    });
    request.pipe(backend.stdin);
    let head = Buffer.alloc(0);
    let headersSent = false;
    backend.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        response.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const [key, ...rest] = line.split(':');
        const value = rest.join(':').trim();
        if (key!.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else headers[key!] = value;
      }
      response.writeHead(status, headers);
      headersSent = true;
      response.write(head.subarray(end + 4));
    });
    backend.on('close', () => response.end());
  };
  const server: Server = options.tls
    ? createTlsServer({ ...options.tls, requestCert: true, rejectUnauthorized: true }, handler)
    : createServer(handler);
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const scheme = options.tls ? 'https' : 'http';
  return {
    url: (repository) => `${scheme}://127.0.0.1:${port}/${repository.bare.slice(root.length + 1)}`,
    get uploadPackRequests() {
      return state.uploadPackRequests;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    stop: () =>
      new Promise((resolve) => {
        for (const timer of delays) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ForwardProxy {
  url: string;
  /** the requests it forwarded, as `METHOD url` */
  readonly forwarded: string[];
  stop(): Promise<void>;
}

/** An HTTP forward proxy (absolute-URI requests) that asks for basic proxy credentials when given some. */
export async function startForwardProxy(credentials?: { username: string; password: string }): Promise<ForwardProxy> {
  const expected = credentials && `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const forwarded: string[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (expected && request.headers['proxy-authorization'] !== expected) {
      response.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="proxy"' }).end();
      return;
    }
    const target = new URL(request.url ?? '/');
    forwarded.push(`${request.method} ${target.href}`);
    const headers = { ...request.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest(target, { method: request.method, headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.writeHead(502).end());
    request.pipe(upstream);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
