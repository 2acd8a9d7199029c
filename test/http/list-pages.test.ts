// The unfiltered masked list is made once per snapshot and page, and stays right across expiry and reloads.
import request from 'supertest';
import { createPageCache } from '../../server/routes/list-pages';
import type { Snapshot } from '../../server/vault/snapshot';
import { buildApp } from '../support/app';
import { snapshotOf } from '../support/vault';

const KEY = 'list-pages-key-5d1e0c';
const EXPIRY = Date.UTC(2026, 5, 1, 12);

interface Listed {
  credentials: { name: string; expired: boolean }[];
  count: number;
}

test('a cached page turns an expired flag when its entry expires, and a reload brings the new vault', async () => {
  let now = new Date(EXPIRY - 60_000);
  const first = await snapshotOf('list-pages-pw', [
    { group: 'A', title: 'alpha', password: 'a-pass' },
    { group: 'A', title: 'bravo', password: 'b-pass', expires: new Date(EXPIRY) },
    { group: 'B', title: 'charlie', password: 'c-pass' },
  ]);
  const second = await snapshotOf('list-pages-pw', [{ group: 'C', title: 'delta', password: 'd-pass' }]);
  let next: Snapshot = second;
  const t = buildApp({ snapshot: first, keysText: `lister:${KEY}\n`, now: () => now, loader: () => Promise.resolve(next) });
  const list = async (query = ''): Promise<Listed> => {
    const res = await request(t.app).get(`/api/v1/credentials${query}`).set('X-API-Key', KEY);
    expect(res.status).toBe(200);
    return res.body as Listed;
  };
  const flags = (body: Listed) => body.credentials.map((c) => `${c.name}:${c.expired}`);

  expect(flags(await list())).toEqual(['alpha:false', 'bravo:false', 'charlie:false']);
  expect(flags(await list())).toEqual(['alpha:false', 'bravo:false', 'charlie:false']);
  expect(flags(await list('?offset=1&limit=1'))).toEqual(['bravo:false']);
  expect((await list('?offset=2&limit=1')).count).toBe(3);

  now = new Date(EXPIRY);
  expect(flags(await list())).toEqual(['alpha:false', 'bravo:true', 'charlie:false']);
  expect(flags(await list('?offset=1&limit=1'))).toEqual(['bravo:true']);
  // A page without the expiring entry was right all along.
  expect(flags(await list('?offset=2&limit=1'))).toEqual(['charlie:false']);

  expect((await request(t.app).post('/api/v1/admin/reload').set('X-API-Key', KEY)).status).toBe(200);
  expect(flags(await list())).toEqual(['delta:false']);
  next = first;
});

test('the cache builds a page once, again after its first expiry, and keeps to its byte bound', async () => {
  const snapshot = await snapshotOf('list-pages-pw', [{ group: '', title: 'x' }]);
  const cache = createPageCache(100);
  let builds = 0;
  const build = (body: string, until = Infinity) => () => {
    builds += 1;
    return { body, until };
  };
  const at = (ms: number) => new Date(ms);
  const page = (offset: number, body: string, ms: number, until?: number) => cache.page(snapshot, offset, 10, at(ms), build(body, until)).toString();

  expect(page(0, 'p0-'.padEnd(40, '.'), 0, 500)).toMatch(/^p0-/);
  expect(page(0, 'rebuilt', 499)).toMatch(/^p0-/);
  expect(builds).toBe(1);
  expect(page(0, 'p0-after-expiry'.padEnd(40, '.'), 500)).toMatch(/^p0-after-expiry/);
  expect(builds).toBe(2);
  // 40 + 40 bytes fit the 100-byte bound; a third page drops the oldest.
  page(1, 'p1-'.padEnd(40, '.'), 600);
  page(2, 'p2-'.padEnd(40, '.'), 600);
  expect(builds).toBe(4);
  expect(page(2, 'again', 600)).toMatch(/^p2-/);
  expect(page(1, 'again', 600)).toMatch(/^p1-/);
  expect(builds).toBe(4);
  expect(page(0, 'p0-rebuilt', 600)).toBe('p0-rebuilt');
  expect(builds).toBe(5);
  // Larger than the bound on its own: answered, never kept.
  const big = 'b'.repeat(150);
  expect(page(3, big, 600)).toBe(big);
  expect(page(3, big, 600)).toBe(big);
  expect(builds).toBe(7);
});
