import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  type Diagnostic,
  type Era835Event,
  type Era835Handlers,
  Era835Parser,
  type Era835Stats,
  parse835,
  stream835,
  summarize835,
  type Transaction,
  type TransactionHeader,
} from '../src/index';
import {
  claimsOf,
  corpusFile,
  corpusFiles,
  cut,
  diagnosticsOf,
  edit,
  fieldCase,
  fixture,
  hasCorpus,
  text,
} from './support';

if (!hasCorpus) {
  console.info('era-835 push parser corpus tests skipped: ../shared/corpus/era835 is absent');
}

const T1 = text(fieldCase('T-1'));
const BR05A = text(fieldCase('BR-05a'));

/**
 * BR-05a with a problem at every level: the first claim cannot be read and is skipped (its
 * transaction set's error), the second declares a CLP05 its adjustments do not give (its own
 * warning), the second set's trailer is wrong (that set's warnings), the group counts one set
 * too many and a segment follows the IEA (problems outside any transaction set).
 */
const DAMAGED = `${edit(BR05A, [
  ['CLP*PCN-5001*', 'CLP**'],
  ['CLP*PCN-5002*1*120*90*30*', 'CLP*PCN-5002*1*120*90*40*'],
  ['SE*16*0002~', 'SE*15*0003~'],
  ['GE*2*501~', 'GE*3*501~'],
])}XYZ*1~`;

/** T-1 without its trailers: only `end` can close the set, the group and the interchange. */
const TRUNCATED = T1.slice(0, T1.indexOf('SE*'));

/** T-1 with characters of two and three UTF-8 bytes before an amount that does not read. */
const UTF8 = edit(T1, [
  ['ACME TEST HEALTH PLAN', 'ACMÉ SANTÉ Ä 医療'],
  ['*80*50*12*CLM0001', '*80*5.105*12*CLM0001'],
]);

const FIELD_CASES = readdirSync(fileURLToPath(new URL('./fixtures/field-cases/', import.meta.url)))
  .map((name) => `field-cases/${name}`)
  .sort();

const INPUTS: [string, Buffer][] = [
  ...FIELD_CASES.map((name): [string, Buffer] => [name, fixture(name)]),
  ['BR-05a damaged at every level', Buffer.from(DAMAGED, 'latin1')],
  ['T-1 without its trailers', Buffer.from(TRUNCATED, 'latin1')],
  ['T-1 with UTF-8 text', Buffer.from(UTF8, 'utf8')],
];

const CORPUS_INPUTS: [string, Buffer][] = corpusFiles().map((path) => [path, corpusFile(path)]);

/** Which handlers a parser is given: the typed model whole or by claim, or counting only. */
type Mode = 'transaction' | 'claim' | 'count';
const MODES: readonly Mode[] = ['transaction', 'claim', 'count'];

/** Every handler call in order, written as the event `stream835` yields for it. */
function recorder(mode: Mode, calls: Era835Event[]): Era835Handlers {
  const diagnostic = (found: Diagnostic, transaction?: TransactionHeader): void => {
    calls.push(
      transaction === undefined
        ? { type: 'diagnostic', diagnostic: found }
        : { type: 'diagnostic', diagnostic: found, transaction },
    );
  };
  if (mode === 'count') return { diagnostic };

  const transaction = (read: Transaction): void => {
    calls.push({ type: 'transaction', transaction: read });
  };
  if (mode === 'transaction') return { transaction, diagnostic };
  return {
    transaction,
    claim: (claim, header) => {
      calls.push({ type: 'claim', claim, transaction: header });
    },
    diagnostic,
  };
}

interface Run {
  readonly calls: Era835Event[];
  readonly stats: Era835Stats;
}

function run(mode: Mode, chunks: readonly (string | Uint8Array)[]): Run {
  const calls: Era835Event[] = [];
  const parser = new Era835Parser(recorder(mode, calls));
  for (const chunk of chunks) parser.push(chunk);
  return { calls, stats: parser.end() };
}

async function eventsOf(events: AsyncIterable<Era835Event>): Promise<Era835Event[]> {
  const all: Era835Event[] = [];
  for await (const event of events) all.push(event);
  return all;
}

function transactionsOf(calls: readonly Era835Event[]): Transaction[] {
  return calls.flatMap((call) => (call.type === 'transaction' ? [call.transaction] : []));
}

function diagnosticsCalled(calls: readonly Era835Event[]): Diagnostic[] {
  return calls.flatMap((call) => (call.type === 'diagnostic' ? [call.diagnostic] : []));
}

const HEADER_KEYS = [
  'interchange',
  'group',
  'controlNumber',
  'implementationReference',
  'payment',
  'trace',
  'productionDate',
  'payer',
  'payee',
  'references',
  'position',
] as const satisfies readonly (keyof TransactionHeader)[];

/** The header fields of a transaction set, copied as they are now. */
function headerOf(transaction: TransactionHeader): Partial<TransactionHeader> {
  return Object.fromEntries(HEADER_KEYS.map((key) => [key, transaction[key]]));
}

function inOrder(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) => a.segment - b.segment || a.offset - b.offset || a.message.localeCompare(b.message),
  );
}

describe('the inputs exercise every kind of problem', () => {
  test('the damaged BR-05a has problems outside, on each transaction set and on a claim', () => {
    const document = parse835(DAMAGED);

    expect(document.diagnostics.map((d) => d.code)).toEqual([
      'TRANSACTION_COUNT_MISMATCH',
      'UNEXPECTED_SEGMENT',
    ]);
    expect(document.transactions.map((t) => t.diagnostics.map((d) => d.code))).toEqual([
      ['MISSING_ELEMENT'],
      ['SEGMENT_COUNT_MISMATCH', 'CONTROL_NUMBER_MISMATCH'],
    ]);
    expect(claimsOf(document).map((c) => c.diagnostics.map((d) => d.code))).toEqual([
      ['PATIENT_RESPONSIBILITY_MISMATCH'],
    ]);
  });

  test('T-1 without its trailers has problems that only the end of the input reveals', () => {
    const document = parse835(TRUNCATED);

    expect(document.transactions).toHaveLength(1);
    expect(document.diagnostics.map((d) => [d.code, d.offset])).toEqual([
      ['MISSING_SEGMENT', TRUNCATED.length],
      ['MISSING_SEGMENT', TRUNCATED.length],
    ]);
  });
});

describe('with transaction and diagnostic handlers', () => {
  test.each(INPUTS)('%s: the calls give what parse835 gives', (_name, bytes) => {
    const { calls } = run('transaction', [bytes]);

    expect({
      transactions: transactionsOf(calls),
      diagnostics: diagnosticsCalled(calls),
    }).toEqual(parse835(bytes));
    expect(calls.every((call) => call.type !== 'claim')).toBe(true);
    expect(calls.every((call) => call.type !== 'diagnostic' || !('transaction' in call))).toBe(
      true,
    );
  });

  test.each(INPUTS)('%s: the calls come in the order of stream835 events', async (_name, bytes) => {
    expect(run('transaction', [bytes]).calls).toEqual(await eventsOf(stream835(bytes)));
  });
});

describe('with a claim handler', () => {
  test('the header keys cover every field of a transaction set but its claims and problems', () => {
    const [transaction] = parse835(T1).transactions;
    const rest = Object.keys(transaction as Transaction).filter(
      (key) => !['claims', 'providerAdjustments', 'diagnostics'].includes(key),
    );

    expect(rest.sort()).toEqual([...HEADER_KEYS].sort());
  });

  test.each(INPUTS)('%s: claims come in file order with their header', (_name, bytes) => {
    const whole = parse835(bytes);
    const seen: { claim: unknown; header: unknown }[] = [];
    const parser = new Era835Parser({
      transaction: () => undefined,
      claim: (claim, header) => {
        seen.push({ claim, header: headerOf(header) });
      },
    });
    parser.push(bytes);
    parser.end();

    expect(seen).toEqual(
      whole.transactions.flatMap((t) => t.claims.map((claim) => ({ claim, header: headerOf(t) }))),
    );
  });

  test.each(INPUTS)(
    '%s: transaction sets come without claims or problems, which arrive on their own',
    (_name, bytes) => {
      const whole = parse835(bytes);
      const { calls } = run('claim', [bytes]);
      const ofSets = calls.flatMap((call) =>
        call.type === 'diagnostic' && call.transaction !== undefined
          ? [{ diagnostic: call.diagnostic, set: call.transaction.position }]
          : [],
      );
      const outside = calls.flatMap((call) =>
        call.type === 'diagnostic' && call.transaction === undefined ? [call.diagnostic] : [],
      );

      expect(transactionsOf(calls)).toEqual(
        whole.transactions.map((t) => ({ ...t, claims: [], diagnostics: [] })),
      );
      expect(ofSets).toEqual(
        whole.transactions.flatMap((t) =>
          t.diagnostics.map((diagnostic) => ({ diagnostic, set: t.position })),
        ),
      );
      expect(outside).toEqual(whole.diagnostics);
    },
  );

  test.each(INPUTS)(
    '%s: the calls interleave as stream835 events by claim',
    async (_name, bytes) => {
      expect(run('claim', [bytes]).calls).toEqual(
        await eventsOf(stream835(bytes, { unit: 'claim' })),
      );
    },
  );

  test('the damaged BR-05a: each problem of a set arrives before the set, with its header', () => {
    const summary = run('claim', [DAMAGED]).calls.map((call) => {
      if (call.type === 'claim') return `claim ${call.claim.patientControlNumber}`;
      if (call.type === 'transaction') return `set ${call.transaction.controlNumber}`;
      return `${call.diagnostic.code} ${call.transaction?.controlNumber ?? 'outside'}`;
    });

    expect(summary).toEqual([
      'MISSING_ELEMENT 0001',
      'set 0001',
      'claim PCN-5002',
      'SEGMENT_COUNT_MISMATCH 0002',
      'CONTROL_NUMBER_MISMATCH 0002',
      'set 0002',
      'TRANSACTION_COUNT_MISMATCH outside',
      'UNEXPECTED_SEGMENT outside',
    ]);
  });

  test('a claim handler alone receives the same claims', () => {
    const claims: unknown[] = [];
    const parser = new Era835Parser({ claim: (claim) => claims.push(claim) });
    parser.push(DAMAGED);
    parser.end();

    expect(claims).toEqual(claimsOf(parse835(DAMAGED)));
    expect(claims).toHaveLength(1);
  });
});

describe('the calls do not depend on how the input is cut', () => {
  test.each([
    ['BR-05a damaged at every level', Buffer.from(DAMAGED, 'latin1')],
    ['T-1 with UTF-8 text', Buffer.from(UTF8, 'utf8')],
  ])('%s, cut in two at every offset and in single bytes', (_name, bytes) => {
    for (const mode of MODES) {
      const whole = run(mode, [bytes]);
      for (let offset = 1; offset < bytes.length; offset++) {
        expect(run(mode, cut(bytes, [offset]))).toEqual(whole);
      }
      const singleBytes = Array.from({ length: bytes.length - 1 }, (_, k) => k + 1);

      expect(run(mode, cut(bytes, singleBytes))).toEqual(whole);
    }
  });

  test('every input, cut at random offsets', () => {
    const inputs = INPUTS.map(([, bytes]) => bytes);

    fc.assert(
      fc.property(
        fc.constantFrom(...inputs),
        fc.constantFrom(...MODES),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 30 }),
        (bytes, mode, points) => {
          const offsets = points.map((point) => Math.floor(point * bytes.length));

          expect(run(mode, cut(bytes, offsets))).toEqual(run(mode, [bytes]));
        },
      ),
      { numRuns: 300, seed: 835_0001 },
    );
  });
});

describe('counting only', () => {
  test.each(INPUTS)(
    '%s: end() gives what summarize835 gives, with the same problems',
    async (_name, bytes) => {
      const found: Diagnostic[] = [];
      const summary = await summarize835(bytes, { onDiagnostic: (d) => found.push(d) });
      const { calls, stats } = run('count', [bytes]);

      expect(stats).toEqual(summary);
      expect(calls).toEqual(found.map((diagnostic) => ({ type: 'diagnostic', diagnostic })));
      expect(inOrder(diagnosticsCalled(calls))).toEqual(inOrder(diagnosticsOf(parse835(bytes))));
    },
  );

  test.each(INPUTS)('%s: the typed parse ends with the same totals', (_name, bytes) => {
    const counted = run('count', [bytes]).stats;

    expect(run('transaction', [bytes]).stats).toEqual(counted);
    expect(run('claim', [bytes]).stats).toEqual(counted);
  });

  test('the damaged BR-05a totals', () => {
    expect(run('count', [DAMAGED]).stats).toEqual({
      bytes: DAMAGED.length,
      interchanges: 1,
      groups: 1,
      transactions: 2,
      claims: 1,
      serviceLines: 1,
      paidCents: 9_000,
      patientResponsibilityCents: 3_000,
      warnings: 4,
      errors: 2,
    });
  });
});

describe('end', () => {
  test('push after end throws an Error that says so, and changes nothing', () => {
    const calls: Era835Event[] = [];
    const parser = new Era835Parser(recorder('claim', calls));
    parser.push(T1);
    const stats = parser.end();
    const callsAtEnd = calls.length;

    expect(() => parser.push('ISA*00*')).toThrow(Error);
    expect(() => parser.push(new Uint8Array(0))).toThrow(/push\(\) after end\(\)/);
    expect(() => parser.push('')).toThrow(/push\(\) after end\(\)/);
    expect(parser.stats()).toEqual(stats);
    expect(calls).toHaveLength(callsAtEnd);
  });

  /** An input whose last problems only `end` finds, in each mode. */
  const ENDINGS = MODES.flatMap((mode): [Mode, string, string, string][] => [
    [mode, 'T-1 without its trailers', TRUNCATED, 'MISSING_SEGMENT'],
    [mode, 'no input at all', '', 'NOT_X12'],
  ]);

  test.each(ENDINGS)(
    'ending twice (%s, %s) gives equal totals and calls no handler again',
    (mode, _name, input, lastCode) => {
      const calls: Era835Event[] = [];
      const parser = new Era835Parser(recorder(mode, calls));
      parser.push(input);
      const beforeEnd = calls.length;
      const first = parser.end();
      const afterEnd = calls.length;
      const second = parser.end();

      expect(afterEnd).toBeGreaterThan(beforeEnd);
      expect(diagnosticsCalled(calls).at(-1)?.code).toBe(lastCode);
      expect(second).toEqual(first);
      expect(parser.stats()).toEqual(first);
      expect(calls).toHaveLength(afterEnd);
    },
  );

  test('the totals of no input at all count its one problem', () => {
    const parser = new Era835Parser();

    expect(parser.end()).toMatchObject({ bytes: 0, transactions: 0, warnings: 0, errors: 1 });
  });
});

describe('misuse', () => {
  test.each([
    ['null handlers', null, 'Era835Parser handlers must be an object of functions; got null'],
    ['a handler that is text', { claim: 'x' }, 'Era835Parser handler claim must be a function'],
  ])('%s throw a TypeError at once', (_name, handlers, message) => {
    expect(() => new Era835Parser(handlers as unknown as Era835Handlers)).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringContaining(message) }),
    );
  });

  test('a handler that throws leaves push with its error, and the parser refuses to go on', () => {
    const failure = new Error('the host failed');
    let claims = 0;
    const parser = new Era835Parser({
      claim: () => {
        claims++;
        throw failure;
      },
    });

    expect(() => parser.push(BR05A)).toThrow(failure);
    expect(() => parser.push('')).toThrow(/a handler threw earlier/);
    expect(() => parser.end()).toThrow(/a handler threw earlier/);
    expect(claims).toBe(1);
  });
});

describe('strings are read as UTF-8', () => {
  const bytes = Buffer.from(UTF8, 'utf8');

  test.each(MODES)('%s: a string gives what its UTF-8 bytes give', (mode) => {
    expect(run(mode, [UTF8])).toEqual(run(mode, [bytes]));
  });

  test('text keeps its characters and offsets count bytes', () => {
    const { calls, stats } = run('transaction', [UTF8]);
    const [transaction] = transactionsOf(calls);
    const claimAt = UTF8.indexOf('CLP*');

    expect(transaction?.payer?.name).toBe('ACMÉ SANTÉ Ä 医療');
    expect(transaction?.claims[0]?.diagnostics.map((d) => [d.code, d.offset])).toEqual([
      ['INVALID_AMOUNT', Buffer.byteLength(UTF8.slice(0, claimAt))],
    ]);
    expect(Buffer.byteLength(UTF8.slice(0, claimAt))).toBe(claimAt + 7);
    expect(stats.bytes).toBe(bytes.length);
  });

  test('a string cut at every character gives what the bytes give whole', () => {
    for (const mode of MODES) {
      const whole = run(mode, [bytes]);
      for (let at = 1; at < UTF8.length; at++) {
        expect(run(mode, [UTF8.slice(0, at), UTF8.slice(at)])).toEqual(whole);
      }
    }
  });
});

describe('stats() while reading', () => {
  const firstSetEnd = BR05A.indexOf('~', BR05A.indexOf('SE*')) + 1;
  const firstSet = BR05A.slice(0, firstSetEnd);
  const beforeFirstSe = BR05A.indexOf('SE*');

  test.each(MODES)('%s: the totals grow with what has been read', (mode) => {
    const calls: Era835Event[] = [];
    const parser = new Era835Parser(recorder(mode, calls));

    expect(parser.stats()).toEqual({
      bytes: 0,
      interchanges: 0,
      groups: 0,
      transactions: 0,
      claims: 0,
      serviceLines: 0,
      paidCents: 0,
      patientResponsibilityCents: 0,
      warnings: 0,
      errors: 0,
    });

    parser.push(firstSet.slice(0, beforeFirstSe));

    expect(parser.stats()).toMatchObject({
      bytes: beforeFirstSe,
      interchanges: 1,
      groups: 1,
      transactions: 0,
      serviceLines: 1,
    });

    parser.push(firstSet.slice(beforeFirstSe));

    expect(parser.stats()).toEqual({
      bytes: firstSetEnd,
      interchanges: 1,
      groups: 1,
      transactions: 1,
      claims: 1,
      serviceLines: 1,
      paidCents: 8_000,
      patientResponsibilityCents: 5_000,
      warnings: 0,
      errors: 0,
    });

    parser.push(BR05A.slice(firstSetEnd));

    expect(parser.stats()).toMatchObject({ bytes: BR05A.length, transactions: 2, claims: 2 });
    expect(parser.end()).toEqual(parser.stats());
    expect(parser.stats()).toMatchObject({ transactions: 2, claims: 2, paidCents: 17_000 });
  });

  test('handlers run during push, as soon as what they receive has been read', () => {
    const calls: Era835Event[] = [];
    const parser = new Era835Parser(recorder('claim', calls));
    parser.push(firstSet);

    expect(calls.map((call) => call.type)).toEqual(['claim', 'transaction']);
    expect(transactionsOf(calls).map((t) => t.controlNumber)).toEqual(['0001']);

    parser.push(BR05A.slice(firstSetEnd));

    expect(transactionsOf(calls).map((t) => t.controlNumber)).toEqual(['0001', '0002']);
  });
});

describe.skipIf(!hasCorpus)('every corpus file', () => {
  test.each(CORPUS_INPUTS)(
    '%s: the push parser agrees with parse835, stream835 and summarize835',
    async (_name, bytes) => {
      const whole = parse835(bytes);
      const byTransaction = run('transaction', [bytes]).calls;
      const byClaim = run('claim', [bytes]);
      const offsets = Array.from(
        { length: Math.floor((bytes.length - 1) / 97) },
        (_, k) => (k + 1) * 97,
      );

      expect({
        transactions: transactionsOf(byTransaction),
        diagnostics: diagnosticsCalled(byTransaction),
      }).toEqual(whole);
      expect(byClaim.calls).toEqual(await eventsOf(stream835(bytes, { unit: 'claim' })));
      expect(run('claim', cut(bytes, offsets))).toEqual(byClaim);
      expect(run('count', cut(bytes, offsets)).stats).toEqual(await summarize835(bytes));
    },
  );
});
