// "Did you mean …?" for errors that teach: the closest known word within a small edit distance.
import { distance } from 'fastest-levenshtein';

/** The known word nearest to `word` (case-insensitive), if it is close enough to be a typo. */
export function closest(word: string, known: readonly string[]): string | null {
  const lower = word.toLowerCase();
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | null = null;
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
