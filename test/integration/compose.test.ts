// docker-compose.yml and the Dockerfile, checked without a Docker engine: the real
// docker-compose (Debian's package, tools/install-packages.sh) must accept the file; every
// worker service must start its pool with settings the worker's own parser accepts and
// reach Temporal, the cluster and the artifact server; the Dockerfile must copy what the
// worker imports and build its tools with the pinned versions.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { allTaskQueues } from '../../common/task-queues.js';
import { searchAttributes } from '../../common/search-attributes.js';
import { binaryPath, readVersions } from '../../tools/paths.js';
import { parseSettings } from '../../workers/settings.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

// ---- the Dockerfile, read as its instructions ------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages; comment lines dropped, continued lines joined. */
function readDockerfile(): Stage[] {
  const lines = readFileSync(join(root, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((line) => !/^\s*#/.test(line));
  const stages: Stage[] = [];
  let pending = '';
  for (const line of lines) {
    pending += line;
    if (pending.endsWith('\\')) {
      pending = pending.slice(0, -1);
      continue;
    }
    const match = /^\s*(\w+)\s+(.*)$/.exec(pending);
    pending = '';
    if (!match) continue;
    const keyword = match[1]!.toUpperCase();
    const args = match[2]!.replace(/\s+/g, ' ').trim();
    if (keyword === 'FROM') {
      const [base, , name] = args.split(' ');
      stages.push({ base: base!, name: name ?? `stage ${stages.length}`, instructions: [] });
    } else {
      stages.at(-1)!.instructions.push({ keyword, args });
    }
  }
  return stages;
}

interface Copy {
  from?: string;
  sources: string[];
  destination: string;
}

function copies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((instruction) => instruction.keyword === 'COPY')
    .map(({ args }) => {
      const words = args.split(' ');
      const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((word) => !word.startsWith('--'));
      return { from, sources: paths.slice(0, -1), destination: paths.at(-1)! };
    });
}

function environment(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { keyword, args } of stage.instructions) {
    if (keyword !== 'ENV') continue;
    for (const pair of args.split(' ')) {
      const [name, ...value] = pair.split('=');
      env[name!] = value.join('=');
    }
  }
  return env;
}

function workdir(stage: Stage): string {
  return stage.instructions.filter((instruction) => instruction.keyword === 'WORKDIR').at(-1)?.args ?? '/';
}

function runs(stage: Stage): string[] {
  return stage.instructions.filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.args);
}

/** Every repository file that `entries` import, following relative imports. */
function importClosure(entries: string[]): string[] {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(join(root, file), 'utf8');
    for (const [, specifier] of text.matchAll(/(?:^|\s)(?:import|export)\s[^;]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
      queue.push(normalize(join(dirname(file), specifier!)).replace(/\.js$/, '.ts'));
    }
  }
  return [...seen].sort();
}

describe('Dockerfile', () => {
  const stages = readDockerfile();
  const stage = (name: string) => {
    const found = stages.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`the Dockerfile has no stage named ${name}`);
    return found;
  };
  const runtime = stages.at(-1)!;
  const app = stage('app');
  const tools = stage('tools');
  const runtimeEnv = environment(runtime);

  it('runs on the Node.js major that package.json asks for', () => {
    const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    const major = /(\d+)/.exec(engines)![1];
    expect(app.base).toMatch(new RegExp(`^node:${major}[.-]`));
    expect(runtime.base).toMatch(new RegExp(`^node:${major}[.-]`));
  });

  it('copies only files of the repository that .dockerignore leaves in the build context', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    // Plain paths only, so that this check reads them as Docker does.
    expect(ignored.filter((entry) => /[*?[\]!]/.test(entry))).toEqual([]);
    const sources = stages.flatMap(copies).filter((copy) => !copy.from).flatMap((copy) => copy.sources);
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((source) => !existsSync(join(root, source)))).toEqual([]);
    expect(sources.filter((source) => ignored.some((entry) => source === entry || source.startsWith(`${entry}/`)))).toEqual([]);
  });

  it('copies every module the worker and the workflow bundle import', () => {
    const copied = copies(app).flatMap((copy) => copy.sources);
    const modules = importClosure(['workers/main.ts', 'workers/bundle-workflows.ts', 'workflows/index.ts']);
    expect(modules.filter((file) => !copied.some((source) => file === source || file.startsWith(`${source}/`)))).toEqual([]);
    // Read at run time rather than imported: the CRD schemas and the pinned versions.
    expect(copied).toEqual(expect.arrayContaining(['schemas', 'tools/versions.env', 'package.json', 'package-lock.json']));
  });

  it('installs production dependencies only, and compiles the worker and the workflow bundle it loads', () => {
    expect(runs(app)).toContainEqual(expect.stringMatching(/^npm ci --omit=dev\b/));
    // tools/build.mjs compiles into dist/ and writes the bundle there.
    expect(runs(app)).toContain('node tools/build.mjs');
    expect(copies(app).flatMap((copy) => copy.sources)).toContain('tools/build.mjs');
    expect(runtimeEnv.KIMBERNETES_WORKFLOW_BUNDLE).toBe(posix.join(workdir(app), 'dist', 'workflow-bundle.js'));
    expect(copies(runtime)).toContainEqual({ from: 'app', sources: [workdir(app)], destination: workdir(app) });
  });

  it('builds kustomize, sops and helm with the versions of tools/versions.env, where the worker looks for them', () => {
    // The tools stage runs build-tools.sh on the repository's versions.env, which names each
    // tool's folder <tool>-<version>; the image carries the same versions.env, from which
    // tools/paths.ts finds the binaries under KIMBERNETES_TOOLS_DIR.
    expect(copies(tools)).toContainEqual({ sources: ['tools/build-tools.sh', 'tools/versions.env'], destination: 'tools/', from: undefined });
    const build = runs(tools)
      .map((command) => /KIMBERNETES_TOOLS_DIR=(\S+) bash tools\/build-tools\.sh ([\w ]+?)(?: &&|$)/.exec(command))
      .find(Boolean);
    expect(build).toBeDefined();
    const [, toolsDir, built] = build!;
    expect(built!.split(' ').sort()).toEqual(['helm', 'kustomize', 'sops']);
    expect(runtimeEnv.KIMBERNETES_TOOLS_DIR).toBe(toolsDir);
    expect(copies(runtime)).toContainEqual({ from: 'tools', sources: [toolsDir], destination: toolsDir });
    const buildScript = readFileSync(join(root, 'tools/build-tools.sh'), 'utf8');
    const versions = readVersions();
    for (const [tool, variable] of [['kustomize', 'KUSTOMIZE_VERSION'], ['sops', 'SOPS_VERSION'], ['helm', 'HELM_VERSION']] as const) {
      expect(buildScript).toContain(`"${tool}|$${variable}|${tool}|`);
      expect(binaryPath(tool, { KIMBERNETES_TOOLS_DIR: toolsDir })).toBe(`${toolsDir}/${tool}-${versions[variable]}/${tool}`);
    }
  });

  it('installs git, ssh and gpg, and runs the worker as a non-root user', () => {
    expect(runs(runtime).join(' ')).toMatch(/apt-get install [^&]*\bgit\b[^&]*\bopenssh-client\b/);
    // gpg imports a decryption Secret's PGP keys, gpg-agent holds them for sops' gpg.
    expect(runs(runtime).join(' ')).toMatch(/apt-get install [^&]*\bgpg\b[^&]*\bgpg-agent\b/);
    const user = runtime.instructions.filter((instruction) => instruction.keyword === 'USER').at(-1)?.args;
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    const entrypoint = JSON.parse(runtime.instructions.find((instruction) => instruction.keyword === 'ENTRYPOINT')!.args) as string[];
    expect(entrypoint.slice(-3)).toEqual(['node', '--optimize-for-size', `${workdir(app)}/dist/workers/main.js`]);
  });
});

// ---- docker-compose.yml, as the real docker-compose resolves it ------------------------

interface Volume {
  source: string;
  target: string;
  readOnly: boolean;
  /** a named volume of the compose file, not a path of the host */
  named: boolean;
}
interface Port {
  hostIp?: string;
  published?: string;
  target: string;
}
interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: (string | { type: string; source: string; target: string; read_only?: boolean })[];
  ports?: (string | { host_ip?: string; published?: string | number; target: number })[];
}

/** Long and short volume syntax alike (docker-compose 1.x prints the short one, 2.x the long one). */
function volumesOf(service: Service): Volume[] {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume !== 'string') {
      return { source: volume.source, target: volume.target, readOnly: volume.read_only === true, named: volume.type === 'volume' };
    }
    const [source, target, mode = 'rw'] = volume.split(':');
    return { source: source!, target: target!, readOnly: mode.split(',').includes('ro'), named: !/^[/.~]/.test(source!) };
  });
}

function portsOf(service: Service): Port[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port !== 'string') return { hostIp: port.host_ip, published: port.published?.toString(), target: String(port.target) };
    const parts = port.split(':');
    return parts.length === 3 ? { hostIp: parts[0], published: parts[1], target: parts[2]! } : { published: parts[0], target: parts.at(-1)! };
  });
}

const hostPort = (url: string) => new URL(url.includes('://') ? url : `tcp://${url}`);

describe('docker-compose.yml', () => {
  const composeFile = join(root, 'docker-compose.yml');
  let services: Record<string, Service>;
  const runtimeEnv = environment(readDockerfile().at(-1)!);

  async function compose(...args: string[]): Promise<string> {
    try {
      return (await run('docker-compose', ['--file', composeFile, ...args], { cwd: root, maxBuffer: 16 << 20 })).stdout;
    } catch (error) {
      const failure = error as { code?: string; stderr?: string; message: string };
      if (failure.code === 'ENOENT') {
        throw new Error('docker-compose not found: install it with `bash tools/install-packages.sh` (npm run setup does)', { cause: error });
      }
      throw new Error(`docker-compose ${args.join(' ')} refused docker-compose.yml: ${failure.stderr?.trim() || failure.message}`, { cause: error });
    }
  }

  beforeAll(async () => {
    await compose('config', '-q');
    services = (parse(await compose('config')) as { services: Record<string, Service> }).services;
  });

  const workers = () => Object.entries(services).filter(([, service]) => service.image === 'kimbernetes:latest');
  /** The worker's settings in that container: the image's environment, the service's, and its command. */
  const settingsOf = (name: string) => {
    const service = services[name]!;
    try {
      return parseSettings([service.command ?? []].flat(), { ...runtimeEnv, ...service.environment });
    } catch (error) {
      throw new Error(`service ${name}: the worker refuses its settings: ${(error as Error).message}`, { cause: error });
    }
  };

  it('is accepted by the real docker-compose, with one service per worker pool', async () => {
    const listed = (await compose('config', '--services')).split('\n').filter(Boolean);
    expect(listed).toEqual(expect.arrayContaining(['postgresql', 'temporal', 'temporal-search-attributes', 'temporal-ui', ...allTaskQueues]));
    expect(workers().map(([name]) => name).sort()).toEqual([...allTaskQueues].sort());
    for (const [, service] of workers()) expect(service.build).toBeDefined();
  });

  it('starts each pool with settings the worker accepts, connected to the compose Temporal server', () => {
    for (const [name] of workers()) {
      const settings = settingsOf(name);
      expect(settings.pools).toEqual([name]);
      const temporal = hostPort(settings.temporal.address);
      expect(services[temporal.hostname]).toBeDefined();
      expect(temporal.port).toBe('7233');
    }
  });

  it('mounts the kubeconfig read-only where KUBECONFIG points', () => {
    for (const [name, service] of workers()) {
      const kubeconfig = service.environment?.KUBECONFIG;
      expect({ name, mount: volumesOf(service).find((volume) => volume.target === kubeconfig) }).toMatchObject({ name, mount: { readOnly: true, named: false } });
    }
  });

  it('keeps artifacts in a volume and advertises them on the compose network to the pools that fetch them', () => {
    const source = services['source-controller']!;
    const { storage } = settingsOf('source-controller');
    expect(volumesOf(source)).toContainEqual(expect.objectContaining({ target: storage.dir, named: true, readOnly: false }));
    expect(hostPort(storage.listen).hostname).toBe('0.0.0.0');
    const advertised = new URL(storage.advertisedUrl!);
    expect(advertised.hostname).toBe('source-controller');
    expect(advertised.port).toBe(hostPort(storage.listen).port);
    // The kustomize and helm pools share the source-controller's network.
    const networks = (service: Service) => JSON.stringify((service as { networks?: unknown }).networks ?? 'default');
    expect(networks(services['kustomize-controller']!)).toBe(networks(source));
    expect(networks(services['helm-controller']!)).toBe(networks(source));
  });

  it('binds host ports on 127.0.0.1 only', () => {
    const published = Object.entries(services).flatMap(([name, service]) => portsOf(service).map((port) => ({ name, ...port })));
    expect(published.length).toBeGreaterThan(0);
    for (const port of published) expect(port).toMatchObject({ hostIp: '127.0.0.1' });
  });

  it('registers every search attribute the object workflows set, with its type', () => {
    const command = [services['temporal-search-attributes']!.command ?? []].flat().join(' ');
    const registered = [...command.matchAll(/--name (\w+) --type (\w+)/g)].map(([, name, type]) => `${name}:${type!.toLowerCase()}`);
    expect(registered.sort()).toEqual(searchAttributes.map((key) => `${key.name}:${key.type.toLowerCase()}`).sort());
  });
});
