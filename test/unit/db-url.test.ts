// Checks the database URLs and JDBC strings built from KeePass entries, and the refusals users would meet.
import { buildDbUrl, DIALECTS, type Dialect, type DbUrlRequest, type DbUrlSource } from '../../server/present/db-url';
import { GatewayError } from '../../server/errors';

const HARD_PASSWORD = 'p@ss:w/rd#?%';
const ALL_DIALECTS: readonly Dialect[] = ['postgresql', 'mysql', 'mariadb', 'mssql', 'oracle', 'mongodb', 'redis'];
const NEEDS_DATABASE: readonly Dialect[] = ['postgresql', 'mysql', 'mariadb', 'mssql', 'oracle'];

function entry(overrides: Partial<DbUrlSource> = {}): DbUrlSource {
  return { username: 'app', password: 'secret', url: 'db.internal', fields: { database: 'main' }, ...overrides };
}

function build(source: DbUrlSource, request: Partial<DbUrlRequest> = {}) {
  return buildDbUrl(source, { format: 'url', ...request });
}

function refusal(run: () => unknown): GatewayError {
  try {
    run();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError, but the call succeeded');
}

function expectRefusal(run: () => unknown, status: 400 | 422, ...detailParts: string[]): GatewayError {
  const err = refusal(run);
  expect(err.status).toBe(status);
  expect(err.code).toBe(status === 400 ? 'bad_query' : 'unprocessable');
  for (const part of detailParts) expect(err.message).toContain(part);
  return err;
}

describe('dialects', () => {
  const expected: Record<Dialect, number> = {
    postgresql: 5432,
    mysql: 3306,
    mariadb: 3306,
    mssql: 1433,
    oracle: 1521,
    mongodb: 27017,
    redis: 6379,
  };

  it('publishes every dialect with its default port and whether it needs a database', () => {
    expect(Object.keys(DIALECTS).sort()).toEqual([...ALL_DIALECTS].sort());
    for (const dialect of ALL_DIALECTS) {
      expect(DIALECTS[dialect]).toEqual({ defaultPort: expected[dialect], needsDatabase: NEEDS_DATABASE.includes(dialect) });
    }
  });

  it.each(ALL_DIALECTS)('%s uses its own scheme and default port', (dialect) => {
    const result = build(entry(), { dialect });
    expect(result).toEqual({
      url: `${dialect}://app:secret@db.internal:${expected[dialect]}/main`,
      dialect,
      driver: null,
      host: 'db.internal',
      port: expected[dialect],
      database: 'main',
    });
  });

  it('defaults to postgresql when neither request nor entry names a dialect', () => {
    expect(build(entry()).url).toBe('postgresql://app:secret@db.internal:5432/main');
  });

  it("takes the entry's dialect field over its URL scheme, and the request over both", () => {
    const source = entry({ url: 'mysql://db.internal/shop', fields: { dialect: 'mariadb' } });
    expect(build(source).dialect).toBe('mariadb');
    expect(build(source, { dialect: 'mssql' }).url).toBe('mssql://app:secret@db.internal:1433/shop');
  });

  it('takes the dialect from the URL scheme and accepts postgres:// as postgresql', () => {
    expect(build(entry({ url: 'redis://cache.internal', fields: {} })).url).toBe('redis://app:secret@cache.internal:6379');
    expect(build(entry({ url: 'postgres://db.internal/main', fields: {} })).dialect).toBe('postgresql');
  });

  it('reads dialect names without regard to case', () => {
    expect(build(entry(), { dialect: 'MySQL' }).dialect).toBe('mysql');
    expect(build(entry({ fields: { database: 'main', dialect: ' Oracle ' } })).dialect).toBe('oracle');
  });
});

describe('unknown dialects', () => {
  it('is 400 from the request, naming the allowed dialects and the likely one', () => {
    const err = expectRefusal(() => build(entry(), { dialect: 'postgres9' }), 400, "unknown dialect 'postgres9'");
    expect(err.message).toContain("did you mean 'postgresql'?");
    expect(err.message).toContain(ALL_DIALECTS.join(', '));
  });

  it('does not take postgres as a dialect name in the request, but suggests postgresql', () => {
    expectRefusal(() => build(entry(), { dialect: 'postgres' }), 400, "did you mean 'postgresql'?");
  });

  it('offers no guess when nothing is close', () => {
    const err = expectRefusal(() => build(entry(), { dialect: 'cassandra' }), 400, ALL_DIALECTS.join(', '));
    expect(err.message).not.toContain('did you mean');
  });

  it('does not send a rediss:// entry to redis, which would drop its TLS', () => {
    const err = expectRefusal(() => build(entry({ url: 'rediss://cache.internal:6380' })), 422, "scheme 'rediss'");
    expect(err.message).not.toContain("did you mean 'redis'");
    expect(err.message).toContain('without TLS');
  });

  it("is 422 from the entry's dialect field, naming the allowed dialects", () => {
    const source = entry({ fields: { database: 'main', dialect: 'mysql8' } });
    expectRefusal(() => build(source), 422, "'mysql8'", "did you mean 'mysql'?", ALL_DIALECTS.join(', '));
  });

  it("is 422 from the entry's URL scheme", () => {
    expectRefusal(() => build(entry({ url: 'https://admin.example.com/' })), 422, "scheme 'https'", ALL_DIALECTS.join(', '));
  });

  it("does not look at the entry's dialect when the request names one", () => {
    const result = build(entry({ url: 'https://db.example.com:8443/main', fields: {} }), { dialect: 'postgresql' });
    expect(result.url).toBe('postgresql://app:secret@db.example.com:8443/main');
  });

  it('an empty dialect in the request is 400 too', () => {
    expectRefusal(() => build(entry(), { dialect: '' }), 400, 'unknown dialect');
  });
});

describe('host and port', () => {
  it('reads a bare host and writes the default port', () => {
    const result = build(entry({ url: 'db.internal' }));
    expect([result.host, result.port]).toEqual(['db.internal', 5432]);
  });

  it('reads host:port', () => {
    const result = build(entry({ url: 'db.internal:6543' }));
    expect(result.url).toBe('postgresql://app:secret@db.internal:6543/main');
    expect(result.port).toBe(6543);
  });

  it('reads [ipv6]:port and writes the address in brackets', () => {
    const result = build(entry({ url: '[::1]:5432' }));
    expect(result.url).toBe('postgresql://app:secret@[::1]:5432/main');
    expect(result.host).toBe('::1');
    expect(new URL(result.url).hostname).toBe('[::1]');
  });

  it('brackets a bare IPv6 address and gives it the default port', () => {
    expect(build(entry({ url: '2001:db8::10' }), { dialect: 'mysql' }).url).toBe(
      'mysql://app:secret@[2001:db8::10]:3306/main',
    );
  });

  it('reads a whole URL: scheme, port, path and query', () => {
    const result = build(entry({ url: 'mysql://db.example.com:3307/shop?charset=utf8mb4', fields: {} }));
    expect(result).toEqual({
      url: 'mysql://app:secret@db.example.com:3307/shop?charset=utf8mb4',
      dialect: 'mysql',
      driver: null,
      host: 'db.example.com',
      port: 3307,
      database: 'shop',
    });
  });

  it("takes the entry's port field over the URL's port", () => {
    expect(build(entry({ url: 'db.internal:6543', fields: { database: 'main', port: '7000' } })).port).toBe(7000);
  });

  it('always writes the port, even the default one', () => {
    expect(build(entry({ url: 'postgresql://db.internal/main' })).url).toContain('db.internal:5432/');
  });

  it.each(['abc', '0', '65536', '5432.5', '-1', '54 32'])("refuses port field %p with a 422 naming port", (port) => {
    expectRefusal(() => build(entry({ fields: { database: 'main', port } })), 422, '`port`', '1 to 65535');
  });

  it("refuses a bad port in the entry's URL with a 422 naming port", () => {
    expectRefusal(() => build(entry({ url: 'db.internal:99999' })), 422, 'port', '1 to 65535');
    expectRefusal(() => build(entry({ url: 'postgresql://db.internal:x/main' })), 422, 'port');
  });

  it.each([
    ['no URL', null],
    ['an empty URL', '  '],
    ['a URL with an empty host', 'postgresql:///main'],
    ['a URL with only a port', 'postgresql://:5432/main'],
  ])('refuses an entry with %s: 422 saying there is no host and what the URL field should hold', (_, url) => {
    expectRefusal(() => build(entry({ url })), 422, 'no host', '`host`', '`host:port`', 'URL');
  });

  it('refuses more than one host and characters a host cannot have', () => {
    expectRefusal(() => build(entry({ url: 'mongodb://a.internal:27017,b.internal:27017/' })), 422, 'several hosts');
    expectRefusal(() => build(entry({ url: 'db internal' })), 422, 'host');
    expectRefusal(() => build(entry({ url: '[not-ipv6]:5432' })), 422, 'IPv6');
  });
});

describe('database', () => {
  const source = entry({
    url: 'postgresql://db.internal/from_path',
    fields: { database: 'from_field', dbname: 'from_dbname' },
  });

  it('prefers the request, then `database`, then `dbname`, then the URL path', () => {
    expect(build(source, { database: 'from_request' }).database).toBe('from_request');
    expect(build(source).database).toBe('from_field');
    expect(build({ ...source, fields: { dbname: 'from_dbname' } }).database).toBe('from_dbname');
    expect(build({ ...source, fields: {} }).database).toBe('from_path');
  });

  it('percent-decodes the URL path and percent-encodes what it writes', () => {
    const result = build(entry({ url: 'postgresql://db.internal/my%20db%2Fx', fields: {} }));
    expect(result.database).toBe('my db/x');
    expect(result.url).toBe('postgresql://app:secret@db.internal:5432/my%20db%2Fx');
    expect(decodeURIComponent(new URL(result.url).pathname.slice(1))).toBe('my db/x');
  });

  it('treats a blank field as absent', () => {
    expect(build(entry({ url: 'db.internal/from_path', fields: { database: '  ' } })).database).toBe('from_path');
  });

  it.each(NEEDS_DATABASE)('%s without a database is 422 naming the database', (dialect) => {
    expectRefusal(() => build(entry({ fields: {} }), { dialect }), 422, `${dialect} needs a database`, '`database`', '?database=');
  });

  it.each([
    ['mongodb', 'mongodb://app:secret@db.internal:27017'],
    ['redis', 'redis://app:secret@db.internal:6379'],
  ] as const)('%s needs no database and then writes no path', (dialect, url) => {
    const result = build(entry({ fields: {} }), { dialect });
    expect(result.url).toBe(url);
    expect(result.database).toBeNull();
  });

  it('writes the redis database number as the path', () => {
    expect(build(entry({ url: 'redis://cache.internal/2', fields: {} })).url).toBe('redis://app:secret@cache.internal:6379/2');
  });

  it('writes "/" before the query when mongodb has parameters but no database', () => {
    const source = entry({ url: 'mongodb://db.internal', fields: { 'param.authSource': 'admin' } });
    expect(build(source).url).toBe('mongodb://app:secret@db.internal:27017/?authSource=admin');
  });
  it('writes mongodb+srv without a port, which its drivers refuse, and reports port null', () => {
    const srv = build(entry({ url: 'mongodb+srv://cluster0.example.net/app?retryWrites=true', fields: {} }));
    expect(srv).toEqual({ url: 'mongodb+srv://app:secret@cluster0.example.net/app?retryWrites=true', dialect: 'mongodb', driver: 'srv', host: 'cluster0.example.net', port: null, database: 'app' });
    // A port copied into such a URL is left out; plain mongodb keeps it.
    expect(build(entry({ url: 'mongodb+srv://cluster0.example.net:27017/app', fields: {} })).url).toBe('mongodb+srv://app:secret@cluster0.example.net/app');
    expect(build(entry({ url: 'mongodb://db.internal/app', fields: {} }), { driver: 'srv' }).url).toBe('mongodb+srv://app:secret@db.internal/app');
    expect(build(entry({ url: 'mongodb://db.internal:27018/app', fields: {} })).port).toBe(27018);
  });
});

describe('driver', () => {
  it('turns driver=psycopg into the scheme postgresql+psycopg', () => {
    const result = build(entry(), { driver: 'psycopg' });
    expect(result.url).toBe('postgresql+psycopg://app:secret@db.internal:5432/main');
    expect(result.driver).toBe('psycopg');
  });

  it('accepts driver=postgresql+psycopg when the dialect is postgresql', () => {
    expect(build(entry(), { driver: 'postgresql+psycopg' }).driver).toBe('psycopg');
  });

  it('refuses a driver for another dialect with 400', () => {
    expectRefusal(() => build(entry(), { driver: 'mysql+psycopg' }), 400, "'mysql'", "'postgresql'", "'psycopg'");
  });

  it.each(['psy-copg', 'psycopg;drop', 'psy copg', '', 'postgresql+', 'a+b+c'])('refuses driver %p with 400', (driver) => {
    expectRefusal(() => build(entry(), { driver }), 400, 'letters, digits');
  });

  it("uses the entry's driver field, and refuses a malformed one with 422", () => {
    expect(build(entry({ fields: { database: 'main', driver: 'asyncpg' } })).url).toMatch(/^postgresql\+asyncpg:\/\//);
    expectRefusal(() => build(entry({ fields: { database: 'main', driver: 'async-pg' } })), 422, '`driver`');
  });

  it('takes dialect and driver from a scheme like postgresql+asyncpg, unless the request overrides the driver', () => {
    const source = entry({ url: 'postgresql+asyncpg://db.internal/main', fields: {} });
    expect(build(source)).toMatchObject({ dialect: 'postgresql', driver: 'asyncpg' });
    expect(build(source, { driver: 'psycopg' }).url).toBe('postgresql+psycopg://app:secret@db.internal:5432/main');
  });

  it("leaves the entry's driver behind when the request switches to another dialect", () => {
    const source = entry({ url: 'postgresql+asyncpg://db.internal/main', fields: { driver: 'psycopg' } });
    expect(build(source, { dialect: 'mysql' })).toMatchObject({ dialect: 'mysql', driver: null });
  });

  it('refuses a request driver with format=jdbc (400)', () => {
    expectRefusal(() => build(entry(), { driver: 'psycopg', format: 'jdbc' }), 400, 'format=url');
  });

  it("ignores the entry's driver for format=jdbc and reports driver null", () => {
    const source = entry({ url: 'postgresql+asyncpg://db.internal/main', fields: { driver: 'psycopg' } });
    const result = build(source, { format: 'jdbc' });
    expect(result.driver).toBeNull();
    expect(result.url).toMatch(/^jdbc:postgresql:\/\//);
  });
});

describe('credentials', () => {
  it.each(['postgresql', 'mysql', 'mongodb'] as const)(
    '%s: a hard username and password survive new URL() and decodeURIComponent',
    (dialect) => {
      const result = build(entry({ username: 'svc@corp', password: HARD_PASSWORD }), { dialect });
      const parsed = new URL(result.url);
      expect(decodeURIComponent(parsed.username)).toBe('svc@corp');
      expect(decodeURIComponent(parsed.password)).toBe(HARD_PASSWORD);
      expect(parsed.hostname).toBe('db.internal');
      expect(parsed.port).toBe(String(DIALECTS[dialect].defaultPort));
      expect(decodeURIComponent(parsed.pathname)).toBe('/main');
    },
  );

  it.each([
    ['user and password', 'app', 'pw', 'redis://app:pw@cache:6379'],
    ['only a username', 'app', null, 'redis://app@cache:6379'],
    ['only a password (the redis style)', null, 'pw', 'redis://:pw@cache:6379'],
    ['neither', null, null, 'redis://cache:6379'],
    ['empty strings', '', '', 'redis://cache:6379'],
  ])('writes %s', (_, username, password, url) => {
    expect(build(entry({ username, password, url: 'cache', fields: {} }), { dialect: 'redis' }).url).toBe(url);
  });

  it('writes a masked password as given and nothing of the real one, even from the URL', () => {
    const source = entry({
      password: '*****',
      url: 'postgresql://app:real-secret@db.internal/main?password=real-secret&application_name=x',
    });
    for (const format of ['url', 'jdbc'] as const) {
      const { url } = build(source, { format });
      expect(url).toContain('*****');
      expect(url).not.toContain('real');
      expect(url).not.toContain('secret');
    }
    expect(build(source).url).toBe('postgresql://app:*****@db.internal:5432/main?application_name=x');
  });
});

describe('query parameters', () => {
  it("keeps the URL's own parameters first, then sslmode, then param.* sorted by name", () => {
    const source = entry({
      url: 'postgresql://db.internal/main?b=2&a=1',
      fields: { 'param.zeta': 'z', 'param.alpha': 'x y&z', sslmode: 'require' },
    });
    const { url } = build(source);
    expect(url).toBe('postgresql://app:secret@db.internal:5432/main?b=2&a=1&sslmode=require&alpha=x+y%26z&zeta=z');
    expect([...new URL(url).searchParams]).toEqual([
      ['b', '2'],
      ['a', '1'],
      ['sslmode', 'require'],
      ['alpha', 'x y&z'],
      ['zeta', 'z'],
    ]);
  });

  it('lets a field win over a URL parameter of the same name, where that parameter stood', () => {
    const source = entry({
      url: 'postgresql://db.internal/main?sslmode=prefer&connect_timeout=5&x=1&x=2',
      fields: { sslmode: 'verify-full', 'param.connect_timeout': '10', 'param.x': '3' },
    });
    expect(build(source).url).toBe('postgresql://app:secret@db.internal:5432/main?sslmode=verify-full&connect_timeout=10&x=3');
  });

  it('refuses a param. field with no name (422)', () => {
    expectRefusal(() => build(entry({ fields: { database: 'main', 'param.': 'x' } })), 422, '`param.`');
  });
});

describe('JDBC', () => {
  const jdbc = (source: DbUrlSource, request: Partial<DbUrlRequest> = {}) => build(source, { ...request, format: 'jdbc' });

  it.each(['postgresql', 'mysql', 'mariadb'] as const)('%s puts credentials and parameters in the query', (dialect) => {
    const source = entry({ fields: { database: 'main', sslmode: 'require' } });
    const result = jdbc(source, { dialect });
    expect(result.url).toBe(`jdbc:${dialect}://db.internal:${DIALECTS[dialect].defaultPort}/main?user=app&password=secret&sslmode=require`);
    expect(result).toMatchObject({ dialect, driver: null, host: 'db.internal', database: 'main' });
  });

  it('encodes a hard password so the query decodes back to it', () => {
    const { url } = jdbc(entry({ username: 'svc@corp', password: HARD_PASSWORD, url: '[::1]:5433' }));
    expect(url.startsWith('jdbc:postgresql://[::1]:5433/main?')).toBe(true);
    const query = new URLSearchParams(url.slice(url.indexOf('?') + 1));
    expect(query.get('user')).toBe('svc@corp');
    expect(query.get('password')).toBe(HARD_PASSWORD);
  });

  it('mssql writes semicolon properties', () => {
    expect(jdbc(entry(), { dialect: 'mssql' }).url).toBe(
      'jdbc:sqlserver://db.internal:1433;databaseName=main;user=app;password=secret',
    );
  });

  it('mssql wraps values holding ; { or } in braces and doubles }', () => {
    const source = entry({ password: 'a;b{c}d', fields: { database: 'main', 'param.applicationName': 'x}y' } });
    expect(jdbc(source, { dialect: 'mssql' }).url).toBe(
      'jdbc:sqlserver://db.internal:1433;databaseName=main;user=app;password={a;b{c}}d};applicationName={x}}y}',
    );
  });

  it('mssql also braces a value with edge spaces, which its driver would otherwise trim', () => {
    expect(jdbc(entry({ password: ' pw ' }), { dialect: 'mssql' }).url).toContain(';password={ pw }');
  });

  it('mssql passes an IPv6 host as serverName, since its URL cannot bracket one', () => {
    expect(jdbc(entry({ url: '[::1]' }), { dialect: 'mssql' }).url).toBe(
      'jdbc:sqlserver://;serverName=::1;portNumber=1433;databaseName=main;user=app;password=secret',
    );
  });

  it('oracle writes user/"password"@//host:port/service', () => {
    expect(jdbc(entry({ password: 'p@ss/w:rd' }), { dialect: 'oracle' }).url).toBe(
      'jdbc:oracle:thin:app/"p@ss/w:rd"@//db.internal:1521/main',
    );
  });

  it('oracle writes no credentials unless it has both', () => {
    expect(jdbc(entry({ password: null }), { dialect: 'oracle' }).url).toBe('jdbc:oracle:thin:@//db.internal:1521/main');
  });

  it('oracle refuses a password containing a double quote (422), without echoing it', () => {
    const err = expectRefusal(() => jdbc(entry({ password: 'say"cheese' }), { dialect: 'oracle' }), 422, 'Oracle thin URL', 'password');
    expect(err.message).not.toContain('cheese');
  });

  it.each(['mongodb', 'redis'] as const)('%s has no JDBC form: 400 naming the dialect and format=jdbc', (dialect) => {
    expectRefusal(() => jdbc(entry(), { dialect }), 400, dialect, 'format=jdbc');
  });
});
