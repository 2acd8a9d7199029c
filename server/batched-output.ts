// Log and audit lines leave in one write per event-loop turn, not one synchronous write per line.
import { writeSync } from 'node:fs';
import { Writable } from 'node:stream';

/**
 * process.stdout is synchronous for files and pipes on Linux, so a line per request meant a write
 * system call on every request's path. Lines written during one turn of the event loop are joined
 * and written together on the next; what is pending when the process exits is written then.
 */
export function batchedOutput(target: NodeJS.WritableStream, fd: number): Writable {
  let pending: string[] = [];
  let scheduled = false;
  const take = (): string => {
    const text = pending.join('');
    pending = [];
    return text;
  };
  const flush = (): void => {
    scheduled = false;
    if (pending.length > 0) target.write(take());
  };
  // At exit nothing asynchronous runs any more: what is left goes straight to the descriptor.
  process.on('exit', () => {
    if (pending.length > 0) writeSync(fd, take());
  });
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      pending.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      done();
    },
    final(done) {
      flush();
      done();
    },
  });
}
