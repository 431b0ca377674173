import type { RemittanceInput } from '@memberpay/core';
import type { Result } from 'neverthrow';
import { describe, expect, expectTypeOf, test } from 'vitest';
import { parse835, type Transaction } from '../src/index';
import { type RemittanceMappingError, toRemittanceInput } from '../src/memberpay/index';
import { fieldCase, text } from './support';

function onlyTransaction(input: string | Buffer): Transaction {
  const [transaction] = parse835(input).transactions;
  if (transaction === undefined) throw new Error('no transaction set');
  return transaction;
}

const T1 = text(fieldCase('T-1'));

describe('toRemittanceInput', () => {
  test('maps T-1 to one electronic remittance with its claim payment', () => {
    const result = toRemittanceInput(onlyTransaction(T1));

    expect(result._unsafeUnwrap()).toEqual({
      source: 'electronic',
      payerId: '1512345678',
      payerName: 'ACME TEST HEALTH PLAN',
      traceNumber: 'TRACE0001',
      paymentDate: '2024-01-08',
      currency: 'usd',
      claimPayments: [
        {
          patientControlNumber: 'PCN-1001',
          statusCode: '1',
          chargeCents: 20_000,
          paidCents: 8_000,
          payerClaimControlNumber: 'CLM0001',
          patientResponsibility: {
            declaredCents: 5_000,
            adjustmentCents: 5_000,
            deductibleCents: 3_000,
            coinsuranceCents: 2_000,
            copayCents: 0,
            otherCents: 0,
          },
          memberIdentifier: 'MEM0001',
          patientName: { first: 'JANE', last: 'DOE' },
          serviceDate: '2024-01-02',
          warnings: [],
        },
      ],
    } satisfies RemittanceInput);
  });

  test('gives one remittance per transaction set, each with its own trace (BR-05)', () => {
    const remittances = parse835(fieldCase('BR-05a')).transactions.map((t) =>
      toRemittanceInput(t)._unsafeUnwrap(),
    );

    expect(
      remittances.map((r) => [r.traceNumber, r.claimPayments.map((c) => c.patientControlNumber)]),
    ).toEqual([
      ['TRACE5001', ['PCN-5001']],
      ['TRACE5002', ['PCN-5002']],
    ]);
  });

  test('keeps an absent CLP05 null; a mismatch becomes a warning with both numbers (BR-11)', () => {
    const [absent, differing] = toRemittanceInput(
      onlyTransaction(fieldCase('BR-11')),
    )._unsafeUnwrap().claimPayments;

    expect(absent?.patientResponsibility).toMatchObject({
      declaredCents: null,
      adjustmentCents: 2_500,
      copayCents: 2_500,
    });
    expect(absent?.warnings).toEqual([]);
    expect(differing?.warnings).toHaveLength(1);
    expect(differing?.warnings[0]).toMatch(/4000 cents.*2500 cents/);
  });

  test('leaves member and patient name null when the NM1 carries neither (BR-07)', () => {
    const [payment] = toRemittanceInput(onlyTransaction(fieldCase('BR-07')))._unsafeUnwrap()
      .claimPayments;

    expect(payment).toMatchObject({ memberIdentifier: null, patientName: null, serviceDate: null });
  });

  test('takes the member from NM1*IL when NM1*QC has no id, and the earliest service date', () => {
    const input = T1.replace(
      'NM1*QC*1*DOE*JANE****MI*MEM0001~',
      'NM1*QC*1*DOE*JANE~NM1*IL*1*DOE*JOHN****MI*SUB0001~DTM*232*20240104~',
    )
      .replace('DTM*472*20240102~', 'DTM*472*20231230~')
      .replace('SE*17*', 'SE*19*');
    const [payment] = toRemittanceInput(onlyTransaction(input))._unsafeUnwrap().claimPayments;

    expect(payment).toMatchObject({ memberIdentifier: 'SUB0001', serviceDate: '2023-12-30' });
  });

  test('falls back to the N1*PR identifier when TRN03 is absent', () => {
    const input = T1.replace('TRN*1*TRACE0001*1512345678~', 'TRN*1*TRACE0001~').replace(
      'N1*PR*ACME TEST HEALTH PLAN~',
      'N1*PR*ACME TEST HEALTH PLAN*XV*PAYER01~',
    );

    expect(toRemittanceInput(onlyTransaction(input))._unsafeUnwrap().payerId).toBe('PAYER01');
  });

  test.each([
    [
      'MISSING_TRACE_NUMBER',
      T1.replace('TRN*1*TRACE0001*1512345678~', '').replace('SE*17*', 'SE*16*'),
    ],
    ['MISSING_PAYER_ID', T1.replace('TRN*1*TRACE0001*1512345678~', 'TRN*1*TRACE0001~')],
  ])('refuses with %s', (kind, input) => {
    const result = toRemittanceInput(onlyTransaction(input));

    expect(result._unsafeUnwrapErr()).toMatchObject({ kind, transactionControlNumber: '0001' });
  });

  test('returns a Result', () => {
    expectTypeOf(toRemittanceInput).returns.toEqualTypeOf<
      Result<RemittanceInput, RemittanceMappingError>
    >();
  });
});
