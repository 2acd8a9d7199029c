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
 * or `billing/x`, in any group. So a glob with a `/` is tried on the path only, and `G/**` only
 * on paths strictly below a group G matches.
 */
function allowMatcher(glob: string): ReadCheck {
  const match = picomatch()(glob, OPTIONS);
  if (!glob.includes('/')) return (name, path) => match(name) || match(path);
  const group = glob.endsWith('/**') && glob.length > 3 ? picomatch()(glob.slice(0, -3), OPTIONS) : null;
  if (!group) return (_name, path) => match(path);
  return (_name, path) => {
    for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      if (group(path.slice(0, slash))) return true;
    }
    return false;
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
  try {
    picomatch().makeRe(glob);
    return null;
  } catch (error) {
    return `is not a valid glob (${(error as Error).message})`;
  }
}
