// Pure helpers for error details that teach: "did you mean …?" suggestions and safe echoes of received text.
import { distance } from 'fastest-levenshtein';

/**
 * The known word nearest to `word` (case-insensitive), if it is close enough to be a typo:
 * within `limit` edits, by default a third of the word's length but at least two.
 */
export function closest<Known extends string>(
  word: string,
  known: readonly Known[],
  limit = Math.max(2, Math.floor(word.length / 3)),
): Known | null {
  const lower = word.toLowerCase();
  let best: Known | null = null;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * The known name most alike `name`, by the share of their `_`-separated words in common, then by
 * edits: a name with a word too many or too few (RATE_LIMIT_PER_KEY) is the setting it shares its
 * words with (RATE_LIMIT), where edits alone favour whichever name is about as long (RATE_LIMIT_REDIS_URL).
 */
export function mostAlike<Known extends string>(name: string, known: readonly Known[]): Known | null {
  const words = (text: string): Set<string> => new Set(text.toLowerCase().split('_').filter(Boolean));
  const mine = words(name);
  const shared = (candidate: string): number => {
    const theirs = words(candidate);
    const common = [...theirs].filter((word) => mine.has(word)).length;
    return common / new Set([...mine, ...theirs]).size;
  };
  let best: Known | null = null;
  let bestShared = -1;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const share = shared(candidate);
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (share > bestShared || (share === bestShared && d < bestDistance)) {
      best = candidate;
      bestShared = share;
      bestDistance = d;
    }
  }
  return best;
}

/** Shows a received value safely inside an error detail: quoted, control characters escaped, cut short. */
export function quote(value: string): string {
  const cut = [...value].length > 64 ? `${[...value].slice(0, 64).join('')}…` : value;
  return JSON.stringify(cut);
}

/** Echoes a caller- or entry-supplied name in single quotes, cut short so a pasted blob cannot fill the response. */
export function quoteName(text: string): string {
  return `'${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`;
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point (API.md §13.15)
const CONTROL = /[\u0000-\u001f\u007f]/;

/** C0 control characters and DEL, which no name, field or glob may hold. */
export const hasControl = (text: string): boolean => CONTROL.test(text);
