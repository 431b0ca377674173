import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type Era835Document, type Era835Stats, parse835, summarize835 } from '../src/index';
import {
  claimsOf,
  corpusFile,
  corpusFiles,
  cut,
  diagnosticsOf,
  fixture,
  parsedByHandlers,
  streamed,
} from './support';

const FIELD_CASES = readdirSync(fileURLToPath(new URL('./fixtures/field-cases/', import.meta.url)))
  .map((name) => `field-cases/${name}`)
  .sort();

/** Inputs small enough to be cut at every offset: the field cases and small corpus files. */
const SMALL_INPUTS: [string, Buffer][] = [
  ...FIELD_CASES.map((name): [string, Buffer] => [name, fixture(name)]),
  ...corpusFiles()
    .map((path): [string, Buffer] => [path, corpusFile(path)])
    .filter(([, bytes]) => bytes.length <= 5_000),
];

const LARGE_INPUTS: [string, Buffer][] = corpusFiles()
  .map((path): [string, Buffer] => [path, corpusFile(path)])
  .filter(([, bytes]) => bytes.length > 5_000);

/** What `summarize835` counts, derived from the typed document. */
function countsOf(
  document: Era835Document,
): Omit<Era835Stats, 'bytes' | 'interchanges' | 'groups'> {
  const claims = claimsOf(document);
  const diagnostics = diagnosticsOf(document);
  return {
    transactions: document.transactions.length,
    claims: claims.length,
    serviceLines: claims.reduce((n, c) => n + c.serviceLines.length, 0),
    paidCents: claims.reduce((n, c) => n + c.paidCents, 0),
    patientResponsibilityCents: claims.reduce(
      (n, c) => n + c.patientResponsibility.adjustmentCents,
      0,
    ),
    warnings: diagnostics.filter((d) => d.severity === 'warning').length,
    errors: diagnostics.filter((d) => d.severity === 'error').length,
  };
}

describe('the result does not depend on how the input is cut', () => {
  test.each(SMALL_INPUTS)(
    '%s, cut in two at every offset and in single bytes',
    async (_name, bytes) => {
      const whole = parse835(bytes);
      for (let offset = 1; offset < bytes.length; offset++) {
        expect(await streamed(cut(bytes, [offset]))).toEqual(whole);
      }
      const singleBytes = Array.from({ length: bytes.length - 1 }, (_, k) => k + 1);

      expect(await streamed(cut(bytes, singleBytes))).toEqual(whole);
    },
  );

  test.each(LARGE_INPUTS)('%s, cut at random offsets', async (_name, bytes) => {
    const whole = parse835(bytes);
    const offsets = fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 });

    await fc.assert(
      fc.asyncProperty(offsets, async (cuts) => {
        expect(await streamed(cut(bytes, cuts))).toEqual(whole);
      }),
      { numRuns: 15, seed: 835 },
    );
  });
});

describe('counting finds what the typed parse finds', () => {
  test.each([...SMALL_INPUTS, ...LARGE_INPUTS])('%s', async (_name, bytes) => {
    const stats = await summarize835(bytes);

    expect(stats).toMatchObject(countsOf(parse835(bytes)));
    expect(stats.bytes).toBe(bytes.length);
  });
});

/** Bytes that matter to X12 and to the parser's decisions. */
const PIECES = [
  '*',
  '~',
  ':',
  '^',
  '>',
  '|',
  '\n',
  '\r\n',
  ' ',
  '-',
  '.',
  'E',
  '0',
  '9',
  'ISA',
  'ST*835*',
  'SE*',
  'CLP*',
  'CAS*PR*',
  'SVC*HC:',
  'PLB*',
  'GS*',
  'IEA*',
  '\u00e9',
  '\u00ff',
  '\u0000',
];

interface Mutation {
  readonly kind: 'delete' | 'insert' | 'duplicate' | 'replace' | 'truncate';
  readonly at: number;
  readonly length: number;
  readonly piece: string;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom(
    'delete' as const,
    'insert' as const,
    'duplicate' as const,
    'replace' as const,
    'truncate' as const,
  ),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  length: fc.integer({ min: 1, max: 200 }),
  piece: fc.constantFrom(...PIECES),
});

function mutate(bytes: Buffer, mutations: readonly Mutation[]): Buffer {
  let result = bytes;
  for (const { kind, at, length, piece } of mutations) {
    const position = Math.floor(at * result.length);
    const inserted = Buffer.from(piece, 'utf8');
    if (kind === 'delete')
      result = Buffer.concat([result.subarray(0, position), result.subarray(position + length)]);
    else if (kind === 'insert')
      result = Buffer.concat([result.subarray(0, position), inserted, result.subarray(position)]);
    else if (kind === 'duplicate')
      result = Buffer.concat([result.subarray(0, position + length), result.subarray(position)]);
    else if (kind === 'replace')
      result = Buffer.concat([
        result.subarray(0, position),
        inserted,
        result.subarray(position + inserted.length),
      ]);
    else result = result.subarray(0, position);
  }
  return result;
}

describe('mutated real files never make the parser throw, hang or disagree with itself', () => {
  const seeds = SMALL_INPUTS.map(([, bytes]) => bytes);

  test('typed, streamed, handlers-only parses and counting agree on any damage', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...seeds),
        fc.array(mutation, { minLength: 1, maxLength: 8 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        async (seed, mutations, cutPoints) => {
          const bytes = mutate(seed, mutations);
          const whole = parse835(bytes);
          const offsets = cutPoints.map((point) => Math.floor(point * bytes.length));

          expect(await streamed(cut(bytes, offsets))).toEqual(whole);
          expect(parsedByHandlers(bytes)).toEqual(whole);
          expect(await summarize835(cut(bytes, offsets))).toMatchObject(countsOf(whole));
        },
      ),
      { numRuns: 250, seed: 20_240_105 },
    );
  });

  test('arbitrary bytes are reported, never thrown, at positions inside the input', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2_000 }), async (bytes) => {
        const whole = parse835(bytes);
        const diagnostics = diagnosticsOf(whole);

        expect(whole.transactions.length > 0 || diagnostics.length > 0).toBe(true);
        for (const diagnostic of diagnostics) {
          expect(diagnostic.offset).toBeGreaterThanOrEqual(0);
          expect(diagnostic.offset).toBeLessThanOrEqual(bytes.length);
        }
        expect(await summarize835(bytes)).toMatchObject(countsOf(whole));
      }),
      { numRuns: 200, seed: 106 },
    );
  });
});
