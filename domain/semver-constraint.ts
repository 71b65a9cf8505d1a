// Version constraints as Flux reads them: with Masterminds' semver (Go), whose syntax
// differs from npm's. A GitRepository's `ref.semver` and, later, a HelmChart's `version`
// are Masterminds constraints, so `>=1.0.0, <2.0.0` (comma: and), `=> 1.2` and `!=1.3.0`
// must mean what they mean to Flux. This reads them into node-semver ranges, which share
// the rest of the grammar (`||`, `~`, `^`, `x` wildcards, hyphen ranges), and keeps `!=`
// apart because npm ranges cannot say it. Prereleases follow Masterminds (v3.4), not npm:
// a prerelease version may pass an alternative when any of its comparators names a
// prerelease (`>=1.0.0-0 <2.0.0` admits 1.1.0-rc.1; npm wants the same 1.0.0 tuple).
import semver from 'semver';

/** One `||` alternative: a node-semver range, and the versions (or wildcard ranges) it excludes. */
interface Alternative {
  range: string;
  excluded: string[];
  /** a comparator names a prerelease, so prerelease versions may pass */
  prereleases: boolean;
}

export interface VersionConstraint {
  /** the constraint as the user wrote it */
  source: string;
  alternatives: Alternative[];
}

const version = String.raw`v?[0-9xX*]+(?:\.[0-9xX*]+)?(?:\.[0-9xX*]+)?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?`;
const comparator = new RegExp(String.raw`(!=|=>|=<|>=|<=|~>|[=<>~^])?\s*(${version})`, 'g');
const hyphenRange = new RegExp(String.raw`^\s*(${version})\s+-\s+(${version})\s*$`);
/** operators Masterminds spells differently from npm */
const operators: Record<string, string> = { '=>': '>=', '=<': '<=', '~>': '~', '=': '' };

/** The constraint, or undefined when Masterminds would refuse it too. */
export function parseVersionConstraint(source: string): VersionConstraint | undefined {
  const alternatives: Alternative[] = [];
  for (const part of source.split('||')) {
    const hyphen = hyphenRange.exec(part);
    if (hyphen) {
      alternatives.push({ range: `${hyphen[1]} - ${hyphen[2]}`, excluded: [], prereleases: hasPrerelease(hyphen[1]!) || hasPrerelease(hyphen[2]!) });
      continue;
    }
    // Whatever is not a comparator (besides commas and spaces) makes the constraint invalid.
    if (part.replace(comparator, '').replace(/[\s,]/g, '') !== '') return undefined;
    const comparators = [...part.matchAll(comparator)];
    if (comparators.length === 0) return undefined;
    const range: string[] = [];
    const excluded: string[] = [];
    for (const [, operator = '', target] of comparators) {
      if (operator === '!=') excluded.push(target!);
      else range.push(`${operators[operator] ?? operator}${target}`);
    }
    const joined = range.join(' ') || '*';
    if (!semver.validRange(joined) || excluded.some((target) => !semver.validRange(target))) return undefined;
    alternatives.push({ range: joined, excluded, prereleases: comparators.some(([, , target]) => hasPrerelease(target!)) });
  }
  return { source, alternatives };
}

export function satisfiesConstraint(candidate: semver.SemVer, constraint: VersionConstraint): boolean {
  const prerelease = candidate.prerelease.length > 0;
  const options = { includePrerelease: true };
  return constraint.alternatives.some(
    ({ range, excluded, prereleases }) => (!prerelease || prereleases) && semver.satisfies(candidate, range, options) && excluded.every((target) => !semver.satisfies(candidate, target, options)),
  );
}

/** `1.2.3-rc.1`, not `1.2.3+build-7`. */
function hasPrerelease(version: string): boolean {
  return /^v?[0-9xX*]+(?:\.[0-9xX*]+)*-/.test(version);
}
