import { describe, expect, test } from 'vitest';
import {
  type Diagnostic,
  type Era835Document,
  type Era835Input,
  Era835Parser,
  type Era835Stats,
  parse835,
  stream835,
  summarize835,
  type Transaction,
} from '../src/index';
import { claimsOf, edit, fieldCase, streamed, text } from './support';

const T1 = text(fieldCase('T-1'));

/**
 * T-1 with characters outside the Basic Multilingual Plane, each two UTF-16 code units (a lead
 * and a trail surrogate) and four UTF-8 bytes: in CLP01, and in the patient's names, two of
 * them side by side.
 */
const ASTRAL = edit(T1, [
  ['CLP*PCN-1001*', 'CLP*PCN-1😀01*'],
  ['NM1*QC*1*DOE*JANE*', 'NM1*QC*1*DO𝔈*JANE😀😀*'],
]);

/** The text cut at `index`, a UTF-16 code unit index. */
function cutAt(source: string, index: number): string[] {
  return [source.slice(0, index), source.slice(index)];
}

/** The text cut after every code unit, so that every surrogate pair is cut. */
function unitByUnit(source: string): string[] {
  return Array.from({ length: source.length }, (_, index) => source.charAt(index));
}

/** The chunks as an async iterable that waits a turn before each, as a stream does. */
async function* slowly<T>(chunks: readonly T[]): AsyncGenerator<T, void, undefined> {
  for (const chunk of chunks) {
    await Promise.resolve();
    yield chunk;
  }
}

/** The document `Era835Parser` hands over when given `chunks`, and its totals. */
function pushed(chunks: readonly (string | Uint8Array)[]): {
  document: Era835Document;
  stats: Era835Stats;
} {
  const transactions: Transaction[] = [];
  const diagnostics: Diagnostic[] = [];
  const parser = new Era835Parser({
    transaction: (transaction) => transactions.push(transaction),
    diagnostic: (diagnostic) => diagnostics.push(diagnostic),
  });
  for (const chunk of chunks) parser.push(chunk);
  const stats = parser.end();
  return { document: { transactions, diagnostics }, stats };
}

/** What counting finds in `input`: the totals and every problem. */
async function summarized(
  input: Era835Input,
): Promise<{ stats: Era835Stats; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = [];
  const stats = await summarize835(input, { onDiagnostic: (found) => diagnostics.push(found) });
  return { stats, diagnostics };
}

describe('text chunks cut inside a surrogate pair', () => {
  const whole = parse835(ASTRAL);
  const wholeBytes = Buffer.byteLength(ASTRAL, 'utf8');

  test('the uncut text reads its astral characters', async () => {
    const [claim] = claimsOf(whole);
    expect(claim?.patientControlNumber).toBe('PCN-1😀01');
    expect(claim?.patient?.lastName).toBe('DO𝔈');
    expect(claim?.patient?.firstName).toBe('JANE😀😀');
    expect((await summarized(ASTRAL)).stats.bytes).toBe(wholeBytes);
  });

  test('Era835Parser gives the uncut result at every cut', () => {
    for (let index = 0; index <= ASTRAL.length; index++) {
      const { document, stats } = pushed(cutAt(ASTRAL, index));
      expect({ index, document }).toEqual({ index, document: whole });
      expect({ index, bytes: stats.bytes }).toEqual({ index, bytes: wholeBytes });
    }

    const { document, stats } = pushed(unitByUnit(ASTRAL));
    expect(document).toEqual(whole);
    expect(stats.bytes).toBe(wholeBytes);
  });

  test('stream835 gives the uncut result at every cut', async () => {
    for (let index = 0; index <= ASTRAL.length; index++) {
      expect({ index, document: await streamed(cutAt(ASTRAL, index)) }).toEqual({
        index,
        document: whole,
      });
    }

    expect(await streamed(slowly(unitByUnit(ASTRAL)))).toEqual(whole);
  });

  test('summarize835 gives the uncut totals at every cut', async () => {
    const uncut = await summarized(ASTRAL);
    for (let index = 0; index <= ASTRAL.length; index++) {
      expect({ index, ...(await summarized(cutAt(ASTRAL, index))) }).toEqual({ index, ...uncut });
    }

    expect(await summarized(slowly(unitByUnit(ASTRAL)))).toEqual(uncut);
  });

  test('a lead surrogate that ends the input is read as U+FFFD, not lost', async () => {
    const input = `${ASTRAL}\uD83D`;
    const replaced = Buffer.from(`${ASTRAL}\uFFFD`, 'utf8');
    const expected = parse835(replaced);
    expect(expected.diagnostics).not.toEqual(whole.diagnostics);

    const { document, stats } = pushed([ASTRAL, '\uD83D']);
    expect(document).toEqual(expected);
    expect(stats.bytes).toBe(replaced.length);
    expect(await streamed([input])).toEqual(expected);
    expect(await streamed([ASTRAL, '\uD83D'])).toEqual(expected);
    expect((await summarized(slowly([ASTRAL, '\uD83D']))).stats.bytes).toBe(replaced.length);
  });

  test('a held lead surrogate is read before a byte chunk that follows it', async () => {
    const at = ASTRAL.indexOf('😀') + 1;
    const chunks = [ASTRAL.slice(0, at), Buffer.from(ASTRAL.slice(at + 1), 'utf8')];
    const expected = parse835(
      Buffer.concat([Buffer.from(ASTRAL.slice(0, at), 'utf8'), chunks[1] as Buffer]),
    );
    expect(claimsOf(expected)[0]?.patientControlNumber).toBe('PCN-1\uFFFD01');

    expect(pushed(chunks).document).toEqual(expected);
    expect(await streamed(chunks)).toEqual(expected);
    expect((await summarized(chunks)).stats.bytes).toBe(wholeBytes - 4 + 3);
  });
});

const CHUNK_KINDS = 'a string or bytes (a Uint8Array or Buffer)';
const INPUT_KINDS =
  'a string, bytes (a Uint8Array or Buffer), a Node Readable or a sync or async iterable ' +
  'of string or byte chunks';

/** What `call` threw, or rejected with; a call that does neither fails the test. */
async function failure(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('the call neither threw nor rejected');
}

/** What `call` threw; a call that returns fails the test. */
function expectThrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('the call did not throw');
}

/** That `error` is exactly a TypeError (no subclass) with exactly `message`. */
function expectTypeError(error: unknown, message: string): void {
  expect(error).toBeInstanceOf(TypeError);
  expect(Object.getPrototypeOf(error)).toBe(TypeError.prototype);
  expect((error as TypeError).message).toBe(message);
}

describe('arguments of the wrong type', () => {
  test('parse835 names its input and what it was given', () => {
    const call = (input: unknown) => () => parse835(input as string);

    expectTypeError(
      expectThrown(call(undefined)),
      `era-835: parse835 input must be ${CHUNK_KINDS}; got undefined`,
    );
    expectTypeError(
      expectThrown(call(42)),
      `era-835: parse835 input must be ${CHUNK_KINDS}; got number`,
    );
    expectTypeError(
      expectThrown(call([T1])),
      `era-835: parse835 input must be ${CHUNK_KINDS}; got object (Array)`,
    );
  });

  test('stream835 throws at the call, naming its input and what it was given', () => {
    const call = (input: unknown) => () => stream835(input as Era835Input);

    expectTypeError(
      expectThrown(call(42)),
      `era-835: stream835 input must be ${INPUT_KINDS}; got number`,
    );
    expectTypeError(
      expectThrown(call(null)),
      `era-835: stream835 input must be ${INPUT_KINDS}; got null`,
    );
    expectTypeError(
      expectThrown(call({ length: 3 })),
      `era-835: stream835 input must be ${INPUT_KINDS}; got object`,
    );
  });

  test('summarize835 rejects, naming its input and what it was given', async () => {
    const call = (input: unknown) => () => summarize835(input as Era835Input);

    expectTypeError(
      await failure(call(null)),
      `era-835: summarize835 input must be ${INPUT_KINDS}; got null`,
    );
    expectTypeError(
      await failure(call(Promise.resolve(T1))),
      `era-835: summarize835 input must be ${INPUT_KINDS}; got object (Promise)`,
    );
    expectTypeError(
      await failure(call(slowly)),
      `era-835: summarize835 input must be ${INPUT_KINDS}; got function`,
    );
  });

  test('Era835Parser.push names its chunk and what it was given', () => {
    for (const parser of [new Era835Parser(), new Era835Parser({ transaction: () => {} })]) {
      const push = (chunk: unknown) => () => parser.push(chunk as string);

      expectTypeError(
        expectThrown(push(null)),
        `era-835: Era835Parser.push chunk must be ${CHUNK_KINDS}; got null`,
      );
      expectTypeError(
        expectThrown(push([1, 2])),
        `era-835: Era835Parser.push chunk must be ${CHUNK_KINDS}; got object (Array)`,
      );
    }
  });

  test('a rejected push leaves a held lead surrogate waiting for its trail', () => {
    const at = ASTRAL.indexOf('😀') + 1;
    const transactions: Transaction[] = [];
    const parser = new Era835Parser({
      transaction: (transaction) => transactions.push(transaction),
    });
    parser.push(ASTRAL.slice(0, at));

    expect(() => parser.push(7 as unknown as string)).toThrow(TypeError);
    parser.push(ASTRAL.slice(at));
    parser.end();
    expect(transactions).toEqual(parse835(ASTRAL).transactions);
  });

  test('a bad chunk of an iterable is named by its index and type', async () => {
    let released = 0;
    async function* source(bad: unknown): AsyncGenerator<unknown, void, undefined> {
      try {
        yield T1.slice(0, 20);
        yield Buffer.from(T1.slice(20, 40), 'latin1');
        yield bad;
        yield T1.slice(40);
      } finally {
        released++;
      }
    }

    expectTypeError(
      await failure(() => streamed([T1.slice(0, 20), 42 as unknown as string])),
      `era-835: stream835 input chunk at index 1 must be ${CHUNK_KINDS}; got number`,
    );
    expectTypeError(
      await failure(() => streamed(source(null) as AsyncIterable<string>)),
      `era-835: stream835 input chunk at index 2 must be ${CHUNK_KINDS}; got null`,
    );
    expectTypeError(
      await failure(() => summarize835(source(42) as AsyncIterable<string>)),
      `era-835: summarize835 input chunk at index 2 must be ${CHUNK_KINDS}; got number`,
    );
    expectTypeError(
      await failure(() => summarize835([T1, {}] as Iterable<string>)),
      `era-835: summarize835 input chunk at index 1 must be ${CHUNK_KINDS}; got object`,
    );
    expect(released).toBe(2);
  });
});
