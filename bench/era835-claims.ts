/**
 * Typed claims for every claim of a file, as `era835 claims` builds them, without printing:
 * the file is read into one reused buffer like the CLI does and each claim payment is
 * counted once it has been built.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { stream835 } from '../packages/era-835/src/index';

const BLOCK_BYTES = 1 << 20;

function* blocks(path: string): Generator<Buffer> {
  const descriptor = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(BLOCK_BYTES);
  for (;;) {
    const length = readSync(descriptor, buffer, 0, BLOCK_BYTES, null);
    if (length === 0) break;
    yield buffer.subarray(0, length);
  }
  closeSync(descriptor);
}

async function main(path: string): Promise<void> {
  let claims = 0;
  for await (const event of stream835(blocks(path), { unit: 'claim' })) {
    if (event.type === 'claim') claims++;
  }
  console.log(claims);
}

const path = process.argv[2];
if (path === undefined) throw new Error('usage: era835-claims FILE');
main(path).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
