// Argon2 in native code (node-argon2), with kdbxweb's argument order and numbering.
import * as argon2 from 'argon2';

export interface Argon2Arguments {
  readonly password: Uint8Array;
  readonly salt: Uint8Array;
  /** KiB. */
  readonly memory: number;
  readonly iterations: number;
  readonly length: number;
  readonly parallelism: number;
  /** 0 = Argon2d, 2 = Argon2id: kdbxweb's numbering, which is also node-argon2's. */
  readonly type: number;
  /** 0x10 or 0x13. */
  readonly version: number;
}

export async function argon2Hash(args: Argon2Arguments): Promise<Uint8Array> {
  const hash = await argon2.hash(Buffer.from(args.password), {
    raw: true,
    salt: Buffer.from(args.salt),
    type: args.type as 0 | 1 | 2,
    version: args.version,
    memoryCost: args.memory,
    timeCost: args.iterations,
    parallelism: args.parallelism,
    hashLength: args.length,
  });
  return new Uint8Array(hash);
}
