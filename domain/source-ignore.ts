// Which files of a source go into its artifact, by Flux's rules: VCS metadata is always
// left out; without any .sourceignore file or spec.ignore, common binaries and CI files
// are left out too; patterns use gitignore syntax, each .sourceignore scoped to its folder.
import ignore, { type Ignore } from 'ignore';

const excludeVcs = ['.git/', '.gitignore', '.gitmodules', '.gitattributes'];
const excludeExtensions = ['*.jpg', '*.jpeg', '*.gif', '*.png', '*.wmv', '*.flv', '*.tar.gz', '*.zip'];
const excludeCi = ['.github/', '.circleci/', '.travis.yml', '.gitlab-ci.yml', 'appveyor.yml', '.drone.yml', 'cloudbuild.yaml', 'codeship-services.yml', 'codeship-steps.yml'];
const excludeExtra = ['**/.goreleaser.yml', '**/.sops.yaml', '**/.flux.yaml'];

export interface SourceIgnoreFile {
  /** the folder holding the .sourceignore, relative to the root, '' for the root */
  dir: string;
  content: string;
}

function patternLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== '' && !line.startsWith('#'));
}

/** Rewrites a pattern from a nested .sourceignore so it applies under its own folder only. */
function scoped(dir: string, pattern: string): string {
  if (!dir) return pattern;
  const negated = pattern.startsWith('!');
  const body = negated ? pattern.slice(1) : pattern;
  // gitignore: a pattern without a slash (other than a trailing one) matches at any depth.
  const anchored = body.replace(/\/$/, '').includes('/');
  const rooted = anchored ? `${dir}/${body.replace(/^\//, '')}` : `${dir}/**/${body}`;
  return `${negated ? '!' : ''}${rooted}`;
}

export function sourceIgnore(files: readonly SourceIgnoreFile[], specIgnore: string | undefined): Ignore {
  const patterns = [
    ...[...files].sort((a, b) => a.dir.split('/').length - b.dir.split('/').length).flatMap((file) => patternLines(file.content).map((line) => scoped(file.dir, line))),
    ...patternLines(specIgnore ?? ''),
  ];
  const defaults = patterns.length === 0 ? [...excludeExtensions, ...excludeCi, ...excludeExtra] : [];
  return ignore().add([...excludeVcs, ...defaults, ...patterns]);
}
