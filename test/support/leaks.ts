// Collects every log line a test file produces and, after it, proves no secret value is among them.
const captured: string[] = [];
const secrets = new Set<string>();

export function recordLogs(text: string): void {
  captured.push(text);
}

/** Values that must never be logged: passwords, protected fields, API keys, vault passwords. */
export function mustNotLeak(...values: (string | null | undefined)[]): void {
  for (const value of values) if (value && value.length >= 4) secrets.add(value);
}

export function leaksIn(text: string): string[] {
  return [...secrets].filter((secret) => text.includes(secret));
}

/** Registers the check for the calling test file; call once at the top level of a file. */
export function checkLogsForLeaks(): void {
  afterAll(() => {
    const all = captured.join('');
    expect(all.length).toBeGreaterThan(0);
    // Report which secret leaked by its length only: printing it would itself be a leak into CI logs.
    expect(leaksIn(all).map((s) => `a ${s.length}-character secret`)).toEqual([]);
  });
}
