// The CustomResourceDefinitions a chart package carries, as Helm's chart.CRDObjects lists
// them and Flux's helm-controller applies them before an install or upgrade: every file
// under `crds/` (subfolders included) whose name ends in .yaml, .yml or .json, of the chart
// first and then of each subchart in turn, recursively. They are not templates: each file's
// documents are read as written. Read from the archive itself, in its entry order, as Helm's
// loader reads it (a subchart may be a folder or a package inside charts/).
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { Parser } from 'tar';
import { GoYamlError, readGoYaml, type GoMap, type GoValue } from '../domain/go-yaml.js';
import type { KubernetesObject } from '../kube/objects.js';
import { ChartFilesError } from './chart-files.js';

/**
 * The documents of the crds/ files of the chart package at `archive` and of its subcharts,
 * in Helm's order. Empty documents are skipped and Lists flattened, as Helm's resource
 * builder does; a document that is not an object fails in Flux's words.
 */
export async function readChartCrds(archive: string): Promise<KubernetesObject[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(archive);
  } catch (error) {
    throw new ChartFilesError(`failed to load chart archive: ${(error as Error).message}`);
  }
  return (await crdFilesOf(await archiveFiles(bytes))).flatMap(documentsOf);
}

interface ChartFile {
  name: string;
  data: Buffer;
}

// Helm's loader limits (pkg/chart/loader/archive.go).
const maxChartSize = 100 * 1024 * 1024;
const maxFileSize = 5 * 1024 * 1024;
const utf8Bom = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The files of a gzipped chart archive in entry order, named as Helm's LoadArchiveFiles names
 * them: without the chart's own folder, and refused the same way when they would leave it.
 */
async function archiveFiles(bytes: Buffer): Promise<ChartFile[]> {
  const files: ChartFile[] = [];
  let remaining = maxChartSize;
  let refusal: Error | undefined;
  const parser = new Parser({
    strict: true,
    onReadEntry(entry) {
      if (refusal || entry.type === 'Directory') {
        entry.resume();
        return;
      }
      try {
        if (entry.size > remaining) throw new ChartFilesError(`decompressed chart is larger than the maximum file size ${maxChartSize}`);
        if (entry.size > maxFileSize) throw new ChartFilesError(`decompressed chart file ${JSON.stringify(entry.path)} is larger than the maximum file size ${maxFileSize}`);
        remaining -= entry.size;
        const file: ChartFile = { name: chartFileName(entry.path), data: Buffer.alloc(0) };
        // Pushed now, filled in at its end: the list keeps the archive's order.
        files.push(file);
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        entry.on('end', () => {
          const data = Buffer.concat(chunks);
          file.data = data.subarray(0, utf8Bom.length).equals(utf8Bom) ? data.subarray(utf8Bom.length) : data;
        });
      } catch (error) {
        refusal = error as Error;
        entry.resume();
      }
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('error', (error: Error) => reject(new ChartFilesError(`failed to load chart archive: ${error.message}`)));
    parser.on('end', () => resolve());
    parser.end(bytes);
  });
  if (refusal) throw refusal;
  if (files.length === 0) throw new ChartFilesError('no files in chart archive');
  return files;
}

/** An entry's name inside its chart, as Helm's loader cleans and checks it. */
function chartFileName(entryPath: string): string {
  // An archive made on Windows may use backslashes.
  const delimiter = entryPath.includes('\\') ? '\\' : '/';
  const parts = entryPath.split(delimiter);
  let name = parts.slice(1).join('/');
  if (name.startsWith('/')) throw new ChartFilesError('chart illegally contains absolute paths');
  name = name === '' ? '.' : posix.normalize(name).replace(/(.)\/+$/, '$1');
  if (name === '.') throw new ChartFilesError(`chart illegally contains content outside the base directory: ${JSON.stringify(entryPath)}`);
  if (name.startsWith('..')) throw new ChartFilesError('chart illegally references parent directory');
  if (/^[a-zA-Z]:\//.test(name)) throw new ChartFilesError('chart contains illegally named files');
  if (parts[0] === 'Chart.yaml') throw new ChartFilesError('chart yaml not in base directory');
  return name;
}

/**
 * The crds/ files of the chart made of `files`, then those of its subcharts. A subchart is
 * a folder or a package under charts/; names starting with `_` or `.` are not charts. Helm
 * visits subcharts in Go's map order (no order at all); here they come in archive order.
 */
async function crdFilesOf(files: ChartFile[], subchart?: string): Promise<ChartFile[]> {
  if (!files.some((file) => file.name === 'Chart.yaml')) throw new ChartFilesError(`${subchart ? `${subchart}: ` : ''}Chart.yaml file is missing`);
  const own = files.filter((file) => file.name.startsWith('crds/') && /\.(ya?ml|json)$/i.test(file.name));
  const subcharts = new Map<string, ChartFile[]>();
  for (const file of files) {
    if (!file.name.startsWith('charts/') || posix.extname(file.name) === '.prov') continue;
    const name = file.name.slice('charts/'.length);
    const chart = name.split('/', 1)[0]!;
    subcharts.set(chart, [...(subcharts.get(chart) ?? []), { name, data: file.data }]);
  }
  const parent = chartName(files);
  for (const [chart, chartFiles] of subcharts) {
    if (chart.startsWith('_') || chart.startsWith('.')) continue;
    const inSubchart = `error unpacking subchart ${chart} in ${parent}`;
    if (posix.extname(chart) === '.tgz') {
      const [archive] = chartFiles;
      if (archive!.name !== chart) throw new ChartFilesError(`error unpacking subchart tar in ${parent}: expected ${chart}, got ${archive!.name}`);
      own.push(...(await crdFilesOf(await archiveFiles(archive!.data).catch(within(inSubchart)), inSubchart)));
    } else {
      // Files directly in charts/ that are not in a subchart's folder are not the subchart's.
      const inner = chartFiles.filter((file) => file.name.includes('/')).map((file) => ({ name: file.name.slice(chart.length + 1), data: file.data }));
      own.push(...(await crdFilesOf(inner, inSubchart)));
    }
  }
  return own;
}

const within = (where: string) => (error: Error) => {
  throw new ChartFilesError(`${where}: ${error.message}`);
};

/** The chart's name from its Chart.yaml, for messages; its folder's content is checked by Helm. */
function chartName(files: ChartFile[]): string {
  const metadata = files.find((file) => file.name === 'Chart.yaml')!;
  try {
    const value = readGoYaml(metadata.data.toString('utf8'));
    if (isMap(value) && typeof value.name === 'string') return value.name;
  } catch {
    // Helm refuses such a chart with its own message when it loads it.
  }
  return '';
}

/**
 * The objects of one crds/ file, as Helm's resource builder reads a stream: documents split
 * at `---` lines, each read as YAML (or JSON) the way sigs.k8s.io/yaml reads it.
 */
function documentsOf(file: ChartFile): KubernetesObject[] {
  const objects: KubernetesObject[] = [];
  try {
    for (const text of yamlDocuments(file.data.toString('utf8'))) {
      const value = readGoYaml(text);
      if (value === undefined || value === null) continue;
      objects.push(...flattened(objectOf(value)));
    }
  } catch (error) {
    if (!(error instanceof GoYamlError || error instanceof ChartFilesError)) throw error;
    throw new ChartFilesError(`failed to parse CustomResourceDefinitions from ${file.name}: ${error.message}`);
  }
  return objects;
}

/** The documents of a YAML stream, split as k8s.io/apimachinery's YAMLReader splits them. */
function yamlDocuments(text: string): string[] {
  const documents: string[] = [];
  let current: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('---')) {
      const rest = line.slice(3).trim();
      if (rest !== '' && !rest.startsWith('#')) throw new ChartFilesError(`invalid Yaml document separator: ${rest}`);
      documents.push(current.join('\n'));
      current = [];
    } else {
      current.push(line);
    }
  }
  documents.push(current.join('\n'));
  return documents.filter((document) => document.trim() !== '');
}

function objectOf(value: GoValue): KubernetesObject {
  const json = JSON.stringify(value);
  if (!isMap(value)) throw new ChartFilesError(`not a Kubernetes object: '${json}'`);
  if (typeof value.kind !== 'string' || value.kind === '') throw new ChartFilesError(`Object 'Kind' is missing in '${json}'`);
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '') throw new ChartFilesError(`Object 'apiVersion' is missing in '${json}'`);
  const metadata = isMap(value.metadata) ? value.metadata : {};
  return { ...value, metadata: { ...metadata, name: typeof metadata.name === 'string' ? metadata.name : '' } } as KubernetesObject;
}

/** A List's items in its place, as the builder's Flatten does. */
function flattened(object: KubernetesObject): KubernetesObject[] {
  if (!object.kind.endsWith('List') || !Array.isArray(object.items)) return [object];
  return (object.items as GoValue[]).flatMap((item) => flattened(objectOf(item)));
}

function isMap(value: GoValue | undefined): value is GoMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
