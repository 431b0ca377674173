import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkClaimPayment, claimPaymentSchema } from '../src/use-cases/claim-payment-input';
import { validate } from '../src/use-cases/context';

const odd = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    ' A1',
    'A1 ',
    '\tX',
    '\u00a0x',
    'x\n',
    '2023-02-29',
    '2024-13-01',
    '20240102',
    '2024-02-30',
  ),
  fc.string({ maxLength: 60 }),
  fc.constantFrom(0.5, Number.NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53), -0, 1e21),
  fc.double(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant([]),
  fc.constant({}),
  fc.boolean(),
  fc.constant(new Date(0)),
  fc.constant(['x']),
);
const pcn = fc.oneof(
  fc.stringMatching(/^[A-Z0-9]{1,38}$/),
  fc.constantFrom('A'.repeat(38), 'A'.repeat(39), 'A B', 'x'),
);
const cents = fc.oneof(
  fc.integer({ min: -5000, max: 200000 }),
  fc.constantFrom(0, -0, 2 ** 53 - 1, -(2 ** 53 - 1)),
);
const nameOrNull = fc.oneof(fc.constant(null), fc.string({ maxLength: 8 }));
const base = fc.record({
  patientControlNumber: pcn,
  statusCode: fc.constantFrom('1', '2', '3', '4', '19', '20', '21', '22', '23', '25', '99'),
  chargeCents: cents,
  paidCents: cents,
  payerClaimControlNumber: fc.oneof(fc.constant(null), fc.string({ maxLength: 52 })),
  patientResponsibility: fc.record({
    declaredCents: fc.oneof(fc.constant(null), cents),
    adjustmentCents: cents,
    deductibleCents: cents,
    coinsuranceCents: cents,
    copayCents: cents,
    otherCents: cents,
  }),
  memberIdentifier: nameOrNull,
  patientName: fc.oneof(fc.constant(null), fc.record({ first: nameOrNull, last: nameOrNull })),
  serviceDate: fc.oneof(
    fc.constant(null),
    fc.constantFrom('2024-01-02', '2024-02-29', '1999-12-31'),
  ),
  warnings: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
});
type Edit = { path: string[]; value: unknown; remove: boolean };
const paths = [
  ['patientControlNumber'],
  ['statusCode'],
  ['chargeCents'],
  ['paidCents'],
  ['payerClaimControlNumber'],
  ['patientResponsibility'],
  ['patientResponsibility', 'declaredCents'],
  ['patientResponsibility', 'adjustmentCents'],
  ['patientResponsibility', 'otherCents'],
  ['patientResponsibility', 'extra'],
  ['memberIdentifier'],
  ['patientName'],
  ['patientName', 'first'],
  ['patientName', 'middle'],
  ['serviceDate'],
  ['warnings'],
  ['warnings', '0'],
  ['extra'],
  ['__proto__'],
];
const edit: fc.Arbitrary<Edit> = fc.record({
  path: fc.constantFrom(...paths),
  value: odd,
  remove: fc.boolean(),
});
const input = fc.tuple(base, fc.array(edit, { maxLength: 2 })).map(([value, edits]) => {
  const copy = structuredClone(value) as Record<string, unknown>;
  for (const { path, value: v, remove } of edits) {
    let at: Record<string, unknown> | null = copy;
    for (const step of path.slice(0, -1)) {
      const next: unknown = at?.[step];
      at = typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : null;
    }
    const last = path[path.length - 1] as string;
    if (at === null) continue;
    if (remove && last !== '__proto__') delete at[last];
    else
      Object.defineProperty(at, last, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return copy;
});

/**
 * Claim payments are checked by hand on their common path and by the zod schema otherwise;
 * the hand check must never accept what the schema refuses, and must build the same value
 * and give the same message. Valid payments with one or two odd edits probe every field.
 */
describe('checkClaimPayment', () => {
  it('answers exactly as the schema does', () => {
    let bothOk = 0;
    let total = 0;
    fc.assert(
      fc.property(
        fc.oneof({ weight: 30, arbitrary: input }, { weight: 1, arbitrary: odd }),
        (raw) => {
          total += 1;
          const fast = checkClaimPayment(raw, 4);
          const slow = validate(claimPaymentSchema, raw, 'claim payment 5');
          expect(fast.isOk()).toBe(slow.isOk());
          if (fast.isOk() && slow.isOk()) {
            bothOk += 1;
            expect(fast.value).toStrictEqual(slow.value);
            expect(fast.value).not.toBe(raw);
          } else {
            expect(fast._unsafeUnwrapErr().message).toBe(slow._unsafeUnwrapErr().message);
          }
        },
      ),
      { numRuns: 5_000 },
    );

    // Both outcomes must be well represented, or the comparison proves little.
    expect(bothOk).toBeGreaterThan(total / 10);
    expect(bothOk).toBeLessThan(total - total / 10);
  }, 120_000);
});
