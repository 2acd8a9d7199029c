// What one key may read: allow and deny globs on a credential's name or path, deny winning.
import type Picomatch from 'picomatch';
import { hasControl } from '../text';

export interface PolicyRules {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

export type ReadCheck = (name: string, path: string) => boolean;

/** picomatch, loaded on the first glob: text keys files and API_KEY (read everything) never need it. */
function picomatch(): typeof Picomatch {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous load on first use
  return require('picomatch') as typeof Picomatch;
}

export const EVERYTHING: PolicyRules = Object.freeze({ allow: Object.freeze(['**']), deny: Object.freeze([]) });

const OPTIONS = { dot: true, nocase: false };

/**
 * An allow glob grants as narrowly as it reads. picomatch lets `billing/**` match `billing` itself,
 * and a title may hold a `/`: tried on names, `billing/**` would grant an entry titled `billing`,
 * or `billing/x`, in any group. So a glob with a `/` is tried on the path only, and `G/**` on the
 * groups above the entry: the path without its title, which may hold a `/` of its own.
 */
function allowMatcher(glob: string): ReadCheck {
  const match = picomatch()(glob, OPTIONS);
  if (!glob.includes('/')) return (name, path) => match(name) || match(path);
  const group = glob.endsWith('/**') && glob.length > 3 ? picomatch()(glob.slice(0, -3), OPTIONS) : null;
  if (!group) return (_name, path) => match(path);
  return (name, path) => {
    const end = path.length - name.length - 1;
    if (end <= 0 || path[end] !== '/' || !path.endsWith(name)) return false;
    const groups = path.slice(0, end);
    for (let slash = groups.indexOf('/'); slash !== -1; slash = groups.indexOf('/', slash + 1)) {
      if (group(groups.slice(0, slash))) return true;
    }
    return group(groups);
  };
}

/**
 * Globs are compiled once per keys file, so a check per request is a few regex tests. Deny globs
 * keep picomatch's wider reading on name and path alike: a deny that hides too much is the safe
 * side.
 */
export function compilePolicy(rules: PolicyRules): ReadCheck {
  if (rules.deny.length === 0 && rules.allow.includes('**')) return () => true;
  const allows = rules.allow.map(allowMatcher);
  const deny = rules.deny.length ? picomatch()([...rules.deny], OPTIONS) : () => false;
  return (name, path) => !deny(name) && !deny(path) && allows.some((allow) => allow(name, path));
}

/** Checks that a glob compiles, for errors at load time rather than at request time. */
export function globProblem(glob: string): string | null {
  if (glob === '') return 'is empty';
  if (hasControl(glob)) return 'contains a control character';
  // picomatch reads a leading '!' as "everything but", which in an allow list grants far more than
  // it seems to; what a key may not read belongs in deny.
  if (glob.startsWith('!')) return "begins with '!': list what the key may not read under deny instead";
  // Whether a glob is tried on names depends on its '/': alternatives that differ there cannot share one glob.
  if (hasSlashlessAlternative(glob)) {
    return "mixes alternatives with and without '/' in {…}: write them as separate globs";
  }
  try {
    picomatch().makeRe(glob);
    return null;
  } catch (error) {
    return `is not a valid glob (${(error as Error).message})`;
  }
}

/** True when a `{…}` has an alternative with a '/' and one without, and nothing outside it has one. */
function hasSlashlessAlternative(glob: string): boolean {
  for (const found of glob.matchAll(/\{([^{}]*)\}/g)) {
    const alternatives = (found[1] ?? '').split(',');
    const outside = glob.slice(0, found.index) + glob.slice(found.index + found[0].length);
    if (!outside.includes('/') && alternatives.some((a) => a.includes('/')) && alternatives.some((a) => !a.includes('/'))) return true;
  }
  return false;
}
