/**
 * Typed claims for every claim of a file, as `era835 claims` builds them, without printing:
 * like the CLI, it reads the file into one reused buffer, pushes it to the parser in 64 KiB
 * slices and is handed each claim payment once it has been built, which it counts.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { Era835Parser } from '../packages/era-835/src/index';

const BLOCK_BYTES = 1 << 20;
const PUSH_BYTES = 1 << 16;

function countClaims(path: string): number {
  let claims = 0;
  const parser = new Era835Parser({
    claim: () => {
      claims++;
    },
  });

  const descriptor = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(BLOCK_BYTES);
  for (;;) {
    const length = readSync(descriptor, buffer, 0, BLOCK_BYTES, null);
    if (length === 0) break;
    for (let from = 0; from < length; from += PUSH_BYTES) {
      parser.push(buffer.subarray(from, Math.min(length, from + PUSH_BYTES)));
    }
  }
  closeSync(descriptor);

  parser.end();
  return claims;
}

const path = process.argv[2];
if (path === undefined) throw new Error('usage: era835-claims FILE');
console.log(countClaims(path));
