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

/** Globs are compiled once per keys file, so a check per request is a few regex tests. */
export function compilePolicy(rules: PolicyRules): ReadCheck {
  if (rules.deny.length === 0 && rules.allow.includes('**')) return () => true;
  const options = { dot: true, nocase: false };
  const allow = rules.allow.length ? picomatch()([...rules.allow], options) : () => false;
  const deny = rules.deny.length ? picomatch()([...rules.deny], options) : () => false;
  return (name, path) => (allow(name) || allow(path)) && !deny(name) && !deny(path);
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
