// Writes a KDBX 4 vault of any size as a stream, for the heap bisect: kdbxweb builds the whole XML
// as one DOM and one string (at most 512 MB), which stops it near 300,000 entries. Same entries as
// make-vault.cjs (a password, a history item, 100 to a group), AES-256, gzip, AES-KDF with few rounds.
// usage: node bench/big-vault.cjs FILE ENTRIES [PASSWORD]
const crypto = require('node:crypto');
const fs = require('node:fs');
const { Transform, pipeline } = require('node:stream');
const zlib = require('node:zlib');

const AES_CIPHER = Buffer.from('31c1f2e6bf714350be5805216afc5aff', 'hex');
const AES_KDF = Buffer.from('c9d9f39a628a4460bf740d08c18a4fea', 'hex');
const BLOCK = 1024 * 1024;
const ROUNDS = 1000;
const TIME = 'TpGY4g4AAAA=';

const sha256 = (...parts) => crypto.createHash('sha256').update(Buffer.concat(parts)).digest();
const sha512 = (...parts) => crypto.createHash('sha512').update(Buffer.concat(parts)).digest();
const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
const u64 = (n) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };
const field = (id, data) => Buffer.concat([Buffer.from([id]), u32(data.length), data]);
const item = (type, key, value) => Buffer.concat([Buffer.from([type]), u32(key.length), Buffer.from(key), u32(value.length), value]);

function aesKdf(key, seed, rounds) {
  const out = Buffer.alloc(32);
  for (const half of [0, 16]) {
    let block = key.subarray(half, half + 16);
    const ecb = crypto.createCipheriv('aes-256-ecb', seed, null).setAutoPadding(false);
    for (let i = 0; i < rounds; i += 1) block = ecb.update(block);
    block.copy(out, half);
  }
  return sha256(out);
}

/** KDBX 4's HMAC-SHA256 block stream: 1 MiB blocks, each keyed by its index, and an empty last block. */
function hmacBlocks(hmacKey) {
  let index = 0;
  let pending = Buffer.alloc(0);
  const block = (data) => {
    const key = sha512(u64(index), hmacKey);
    const mac = crypto.createHmac('sha256', key).update(u64(index)).update(u32(data.length)).update(data).digest();
    index += 1;
    return Buffer.concat([mac, u32(data.length), data]);
  };
  return new Transform({
    transform(chunk, _encoding, done) {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= BLOCK) {
        this.push(block(pending.subarray(0, BLOCK)));
        pending = pending.subarray(BLOCK);
      }
      done();
    },
    flush(done) {
      if (pending.length) this.push(block(pending));
      this.push(block(Buffer.alloc(0)));
      done();
    },
  });
}

const tag = (name, value) => (value === '' ? `<${name}/>` : `<${name}>${value}</${name}>`);
const times = `<Times><CreationTime>${TIME}</CreationTime><LastModificationTime>${TIME}</LastModificationTime><LastAccessTime>${TIME}</LastAccessTime><ExpiryTime>${TIME}</ExpiryTime><Expires>False</Expires><UsageCount>0</UsageCount><LocationChanged>${TIME}</LocationChanged></Times>`;
const uuid = () => crypto.randomBytes(16).toString('base64');
const string = (key, value) => `<String><Key>${key}</Key><Value>${value}</Value></String>`;

/** One entry as kdbxweb writes it; `protect` XORs a password with the inner stream, in document order. */
function entryXml(i, protect) {
  const id = uuid();
  const body = (password) =>
    `<UUID>${id}</UUID><IconID>0</IconID><ForegroundColor/><BackgroundColor/><OverrideURL/><Tags/>${times}` +
    string('Title', `svc-${String(i).padStart(5, '0')}`) +
    string('UserName', `user${i}`) +
    `<String><Key>Password</Key><Value Protected="True">${protect(password)}</Value></String>` +
    string('URL', `https://svc-${i}.internal`) +
    string('Notes', `generated entry ${i}`) +
    '<AutoType><Enabled>True</Enabled><DataTransferObfuscation>0</DataTransferObfuscation></AutoType>';
  // The current value comes first in the document, then the history item.
  const current = body(`pw-${i}-new`);
  return `<Entry>${current}<History><Entry>${body(`pw-${i}-${'x'.repeat(12)}`)}</Entry></History></Entry>`;
}

function groupOpen(name, icon) {
  return `<Group><UUID>${uuid()}</UUID><Name>${name}</Name><Notes/><IconID>${icon}</IconID>${times}<IsExpanded>True</IsExpanded><DefaultAutoTypeSequence/><EnableAutoType>null</EnableAutoType><EnableSearching>null</EnableSearching><LastTopVisibleEntry>AAAAAAAAAAAAAAAAAAAAAA==</LastTopVisibleEntry>`;
}

/** Writes `entries` generated entries to `file`, streaming: memory stays flat whatever the size. */
async function writeBigVault(file, password, entries) {
  const masterSeed = crypto.randomBytes(32);
  const iv = crypto.randomBytes(16);
  const seed = crypto.randomBytes(32);
  const innerKey = crypto.randomBytes(64);
  const kdfParams = Buffer.concat([Buffer.from([0x00, 0x01]), item(0x42, '$UUID', AES_KDF), item(0x05, 'R', u64(ROUNDS)), item(0x42, 'S', seed), Buffer.from([0])]);
  const header = Buffer.concat([
    u32(0x9aa2d903), u32(0xb54bfb67), Buffer.from([0x00, 0x00, 0x04, 0x00]),
    field(2, AES_CIPHER), field(3, u32(1)), field(4, masterSeed), field(7, iv), field(11, kdfParams),
    field(0, Buffer.from('\r\n\r\n')),
  ]);
  const transformed = aesKdf(sha256(sha256(Buffer.from(password, 'utf8'))), seed, ROUNDS);
  const cipherKey = sha256(masterSeed, transformed);
  const hmacKey = sha512(masterSeed, transformed, Buffer.from([1]));
  const headerHmac = crypto.createHmac('sha256', sha512(Buffer.alloc(8, 0xff), hmacKey)).update(header).digest();

  const streamKey = sha512(innerKey);
  const chacha = crypto.createCipheriv('chacha20', streamKey.subarray(0, 32), Buffer.concat([Buffer.alloc(4), streamKey.subarray(32, 44)]));
  const protect = (text) => chacha.update(Buffer.from(text, 'utf8')).toString('base64');

  const out = fs.createWriteStream(file);
  out.write(Buffer.concat([header, sha256(header), headerHmac]));
  const gzip = zlib.createGzip({ level: 1 });
  const done = new Promise((resolve, reject) => pipeline(gzip, crypto.createCipheriv('aes-256-cbc', cipherKey, iv), hmacBlocks(hmacKey), out, (e) => (e ? reject(e) : resolve())));
  const write = (text) => (gzip.write(text) ? Promise.resolve() : new Promise((resolve) => gzip.once('drain', resolve)));

  gzip.write(Buffer.concat([field(1, u32(3)), field(2, innerKey), field(0, Buffer.alloc(0))]));
  await write(
    '<?xml version="1.0" encoding="utf-8" standalone="yes"?><KeePassFile><Meta><Generator>KdbxWeb</Generator>' +
      `<DatabaseName>bench</DatabaseName><HistoryMaxItems>10</HistoryMaxItems><HistoryMaxSize>6291456</HistoryMaxSize>` +
      '<MemoryProtection><ProtectTitle>False</ProtectTitle><ProtectUserName>False</ProtectUserName><ProtectPassword>True</ProtectPassword><ProtectURL>False</ProtectURL><ProtectNotes>False</ProtectNotes></MemoryProtection>' +
      `<CustomIcons/><CustomData/></Meta><Root>${groupOpen('bench', 49)}`,
  );
  for (let start = 0; start < entries; start += 100) {
    let chunk = groupOpen(`Team-${String(start / 100).padStart(3, '0')}`, 48);
    for (let i = start; i < Math.min(entries, start + 100); i += 1) chunk += entryXml(i, protect);
    await write(`${chunk}</Group>`);
  }
  await write(`</Group>${tag('DeletedObjects', '')}</Root></KeePassFile>`);
  gzip.end();
  await done;
}

module.exports = { writeBigVault };

if (require.main === module) {
  const [file, entries, password = 'pw'] = process.argv.slice(2);
  if (!file || !Number.isInteger(Number(entries))) {
    process.stderr.write('usage: node bench/big-vault.cjs FILE ENTRIES [PASSWORD]\n');
    process.exit(2);
  }
  writeBigVault(file, password, Number(entries)).catch((error) => {
    process.stderr.write(`big-vault: ${error.message}\n`);
    process.exit(1);
  });
}
