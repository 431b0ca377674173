/**
 * The baseline of the era835 benchmark: a bare byte scanner that only finds segment
 * boundaries. It reads the file in 1 MiB blocks into one buffer, takes the terminator from
 * the character after ISA16 (offset 105 of a standard ISA) and counts the bytes equal to it.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const BLOCK_BYTES = 1 << 20;

function countSegments(path: string): number {
  const descriptor = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(BLOCK_BYTES);
  let length = readSync(descriptor, buffer, 0, BLOCK_BYTES, null);
  const terminator = buffer[105];
  let segments = 0;
  while (length > 0) {
    for (let i = 0; i < length; i++) if (buffer[i] === terminator) segments++;
    length = readSync(descriptor, buffer, 0, BLOCK_BYTES, null);
  }
  closeSync(descriptor);
  return segments;
}

const path = process.argv[2];
if (path === undefined) throw new Error('usage: era835-scanner FILE');
console.log(countSegments(path));
