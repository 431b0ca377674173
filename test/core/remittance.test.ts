import type { ClaimPaymentInput, RemittanceInput } from '@memberpay/core';
import { describe, expect, test } from 'vitest';
import { aWorld, org } from '../support/world';

const ORG = org('org_1');

function claimPayment(
  patientControlNumber: string,
  overrides: Partial<Omit<ClaimPaymentInput, 'patientResponsibility'>> & {
    declared?: number | null;
    deductible?: number;
    coinsurance?: number;
    copay?: number;
    other?: number;
  } = {},
): ClaimPaymentInput {
  const { declared, deductible = 0, coinsurance = 0, copay = 0, other = 0, ...rest } = overrides;
  const adjustment = deductible + coinsurance + copay + other;
  return {
    patientControlNumber,
    statusCode: '1',
    chargeCents: 20000,
    paidCents: 8000,
    payerClaimControlNumber: `CCN-${patientControlNumber}`,
    patientResponsibility: {
      declaredCents: declared === undefined ? adjustment : declared,
      adjustmentCents: adjustment,
      deductibleCents: deductible,
      coinsuranceCents: coinsurance,
      copayCents: copay,
      otherCents: other,
    },
    memberIdentifier: null,
    patientName: null,
    serviceDate: '2024-01-02',
    warnings: [],
    ...rest,
  };
}

function remittance(
  claimPayments: ClaimPaymentInput[],
  overrides: Partial<RemittanceInput> = {},
): RemittanceInput {
  return {
    source: 'electronic',
    payerId: '1512345678',
    payerName: 'ACME TEST HEALTH PLAN',
    traceNumber: 'TRACE0001',
    paymentDate: '2024-01-08',
    currency: 'usd',
    claimPayments,
    ...overrides,
  };
}

async function withClaims(pcns: string[], settings = { generateFromRemittance: true }) {
  const world = aWorld();
  await world.organization('org_1', settings);
  for (const pcn of pcns) {
    const member = await world.member('org_1');
    await world.claim('org_1', member.id, { patientControlNumber: pcn });
  }
  return world;
}

async function requestsOf(world: ReturnType<typeof aWorld>) {
  return (await world.sdk.requests.list(ORG, {}, { limit: 100 }))._unsafeUnwrap();
}

describe('remittance rules (one test per row of the README table)', () => {
  test("processed claim's patient responsibility: a draft tied to the claim payment", async () => {
    const world = await withClaims(['PCN-1001']);

    const report = await world.sdk.remittances.ingest(
      ORG,
      remittance([claimPayment('PCN-1001', { deductible: 3000, coinsurance: 2000 })]),
    );

    const [request] = await requestsOf(world);
    expect(report._unsafeUnwrap().created).toEqual([
      { requestId: request?.id, patientControlNumber: 'PCN-1001', amountMinor: 5000, hold: null },
    ]);
    expect(request).toMatchObject({ status: 'draft', hold: null, internalId: '2024-01-02' });
    expect(request?.amount.minor).toBe(5000);
    expect(request?.source).toMatchObject({
      kind: 'remittance',
      claimPaymentKey: '1512345678|TRACE0001|PCN-1001|CCN-PCN-1001|1',
    });
    const trail = (await world.sdk.requests.auditTrail(ORG, request!.id))._unsafeUnwrap();
    expect(trail[0]?.actor).toMatchObject({ kind: 'remittance' });
    expect(trail[0]?.reason).toBe('processed claim: patient responsibility 50.00');
  });

  test('CLP05 absent: the PR adjustments are what the member owes (BR-11)', async () => {
    const world = await withClaims(['PCN-1111']);

    await world.sdk.remittances.ingest(
      ORG,
      remittance([claimPayment('PCN-1111', { declared: null, copay: 2500 })]),
    );

    expect((await requestsOf(world)).map((r) => r.amount.minor)).toEqual([2500]);
  });

  test('stated total and adjustments disagree: created, held for review (BR-11)', async () => {
    const world = await withClaims(['PCN-1112']);

    const report = (
      await world.sdk.remittances.ingest(
        ORG,
        remittance([claimPayment('PCN-1112', { declared: 4000, coinsurance: 2500 })]),
      )
    )._unsafeUnwrap();
    const batch = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();

    expect(report.heldForReview).toEqual([
      expect.objectContaining({
        patientControlNumber: 'PCN-1112',
        declaredMinor: 4000,
        itemizedMinor: 2500,
      }),
    ]);
    const [request] = await requestsOf(world);
    expect(request).toMatchObject({ status: 'draft', hold: { code: 'needs_review' } });
    expect(request?.hold?.message).toBe(
      'patient responsibility mismatch: the payer states 40.00 ' +
        'but its PR adjustments add up to 25.00',
    );
    expect(batch.sent).toBe(0);
  });

  test.each([
    ['4', 'claim denied'],
    ['19', 'forwarded to another payer'],
    ['20', 'forwarded to another payer'],
    ['21', 'forwarded to another payer'],
    ['23', 'not our claim'],
    ['25', 'predetermination'],
    ['5', 'claim status 5 is not one the rules bill'],
  ])('status %s: not billed (%s)', async (statusCode, reason) => {
    const world = await withClaims(['PCN-1']);

    const report = (
      await world.sdk.remittances.ingest(
        ORG,
        remittance([claimPayment('PCN-1', { statusCode, copay: 2000 })]),
      )
    )._unsafeUnwrap();

    expect(await requestsOf(world)).toEqual([]);
    expect(report.skipped).toEqual([
      { patientControlNumber: 'PCN-1', statusCode, reason: expect.stringContaining(reason) },
    ]);
  });

  test('nothing owed (CLP05 -0): no request (BR-12)', async () => {
    const world = await withClaims(['PCN-1203']);

    await world.sdk.remittances.ingest(
      ORG,
      remittance([claimPayment('PCN-1203', { declared: 0 })]),
    );

    expect(await requestsOf(world)).toEqual([]);
  });

  test('below the smallest charge: created but held, staff decide', async () => {
    const world = await withClaims(['PCN-1']);

    await world.sdk.remittances.ingest(ORG, remittance([claimPayment('PCN-1', { copay: 25 })]));

    expect((await requestsOf(world))[0]).toMatchObject({ hold: { code: 'below_minimum_charge' } });
  });

  test('what the member paid at the visit is taken off', async () => {
    const world = aWorld();
    await world.organization('org_1', { generateFromRemittance: true });
    const member = await world.member('org_1');
    await world.claim('org_1', member.id, {
      patientControlNumber: 'PCN-A',
      collectedAtVisit: '20.00',
    });
    await world.claim('org_1', member.id, {
      patientControlNumber: 'PCN-B',
      collectedAtVisit: '30.00',
    });

    const report = (
      await world.sdk.remittances.ingest(
        ORG,
        remittance([
          claimPayment('PCN-A', { copay: 3000, coinsurance: 2000 }),
          claimPayment('PCN-B', { copay: 3000 }),
        ]),
      )
    )._unsafeUnwrap();

    expect(report.created.map((item) => [item.patientControlNumber, item.amountMinor])).toEqual([
      ['PCN-A', 3000],
    ]);
    const [request] = await requestsOf(world);
    const trail = (await world.sdk.requests.auditTrail(ORG, request!.id))._unsafeUnwrap();
    expect(trail[0]?.reason).toBe(
      'processed claim: patient responsibility 50.00 less 20.00 paid at the visit',
    );
    expect(report.skipped.map((item) => item.patientControlNumber)).toEqual(['PCN-B']);
  });

  test('automation off or a paper EOB: claim payments recorded, nothing created', async () => {
    const off = await withClaims(['PCN-1'], { generateFromRemittance: false });
    const paper = await withClaims(['PCN-1']);

    const offReport = (
      await off.sdk.remittances.ingest(ORG, remittance([claimPayment('PCN-1', { copay: 2000 })]))
    )._unsafeUnwrap();
    const paperReport = (
      await paper.sdk.remittances.ingest(
        ORG,
        remittance([claimPayment('PCN-1', { copay: 2000 })], { source: 'paper' }),
      )
    )._unsafeUnwrap();

    expect(await requestsOf(off)).toEqual([]);
    expect(await requestsOf(paper)).toEqual([]);
    expect(offReport.skipped[0]?.reason).toContain('automation is off');
    expect(paperReport.skipped[0]?.reason).toContain('paper remittance');
    const claim = (
      await off.sdk.claims.get(
        ORG,
        (
          await off.storage.transaction(async (tx) => {
            const { ok } = await import('neverthrow');
            return ok((await tx.claims.findByPatientControlNumber(ORG, 'PCN-1'))!.id);
          })
        )._unsafeUnwrap(),
      )
    )._unsafeUnwrap();
    expect(claim.payerClaimControlNumber).toBe('CCN-PCN-1');
    expect(claim.patientResponsibility?.minor).toBe(2000);
  });

  test('a claim payment matching no claim, or another organization’s, is unmatched', async () => {
    const world = aWorld();
    await world.organization('org_1', { generateFromRemittance: true });
    await world.organization('org_2', { generateFromRemittance: true });
    const theirs = await world.member('org_2');
    await world.claim('org_2', theirs.id, { patientControlNumber: 'PCN-THEIRS' });

    const report = (
      await world.sdk.remittances.ingest(
        ORG,
        remittance([
          claimPayment('PCN-NOBODY', { copay: 2000 }),
          claimPayment('PCN-THEIRS', { copay: 2000 }),
        ]),
      )
    )._unsafeUnwrap();

    expect(report.unmatched.map((item) => item.patientControlNumber)).toEqual([
      'PCN-NOBODY',
      'PCN-THEIRS',
    ]);
    expect(await requestsOf(world)).toEqual([]);
    expect((await world.sdk.requests.list(org('org_2')))._unsafeUnwrap()).toEqual([]);
  });
});

describe('reversals and corrections change what was billed', () => {
  async function billed(status: 'draft' | 'sent' | 'paid') {
    const world = await withClaims(['PCN-1']);
    await world.sdk.remittances.ingest(ORG, remittance([claimPayment('PCN-1', { copay: 5000 })]));
    const [request] = await requestsOf(world);
    if (status !== 'draft') {
      await world.sdk.batch.runNow(ORG);
    }
    if (status === 'paid') {
      const sent = await world.request('org_1', request!.id);
      for (const event of world.gateway.payByCard(sent.gateway.invoiceId as string)) {
        await world.deliver(event);
      }
    }
    world.gateway.refundsStartAs = 'succeeded';
    return { world, requestId: request!.id };
  }

  const reversal = claimPayment('PCN-1', {
    statusCode: '22',
    chargeCents: -20000,
    paidCents: -8000,
    copay: -5000,
  });

  test('reversal of a draft: canceled', async () => {
    const { world, requestId } = await billed('draft');

    const report = (
      await world.sdk.remittances.ingest(ORG, remittance([reversal], { traceNumber: 'T2' }))
    )._unsafeUnwrap();

    expect(report.canceled).toEqual([
      { requestId, patientControlNumber: 'PCN-1', how: 'canceled' },
    ]);
    expect((await world.request('org_1', requestId)).status).toBe('canceled');
  });

  test('reversal of an unpaid invoice: voided', async () => {
    const { world, requestId } = await billed('sent');

    await world.sdk.remittances.ingest(ORG, remittance([reversal], { traceNumber: 'T2' }));

    const request = await world.request('org_1', requestId);
    expect(request.status).toBe('canceled');
    expect(world.gateway.invoice(request.gateway.invoiceId as string)?.status).toBe('void');
  });

  test('reversal of a paid invoice: refunded', async () => {
    const { world, requestId } = await billed('paid');

    await world.sdk.remittances.ingest(ORG, remittance([reversal], { traceNumber: 'T2' }));

    expect((await world.request('org_1', requestId)).status).toBe('refunded');
    expect(world.gateway.refunds().map((refund) => refund.amount.minor)).toEqual([5000]);
  });

  test('reversal and correction of a draft: the draft is amended, no second request', async () => {
    const { world, requestId } = await billed('draft');

    const report = (
      await world.sdk.remittances.ingest(
        ORG,
        remittance(
          [reversal, claimPayment('PCN-1', { copay: 3000, payerClaimControlNumber: 'CCN-2' })],
          { traceNumber: 'T2' },
        ),
      )
    )._unsafeUnwrap();

    expect(report.changed).toEqual([
      {
        requestId,
        patientControlNumber: 'PCN-1',
        fromMinor: 5000,
        toMinor: 3000,
        how: 'draft amended',
      },
    ]);
    const requests = await requestsOf(world);
    expect(requests.map((r) => [r.id, r.status, r.amount.minor, r.revision])).toEqual([
      [requestId, 'draft', 3000, 2],
    ]);
  });

  test('reversal and correction of an unpaid invoice: voided and replaced', async () => {
    const { world, requestId } = await billed('sent');

    await world.sdk.remittances.ingest(
      ORG,
      remittance(
        [reversal, claimPayment('PCN-1', { copay: 3000, payerClaimControlNumber: 'CCN-2' })],
        { traceNumber: 'T2' },
      ),
    );

    const requests = await requestsOf(world);
    expect(requests.map((r) => [r.status, r.amount.minor])).toEqual([
      ['canceled', 5000],
      ['draft', 3000],
    ]);
    expect(requests[0]?.id).toBe(requestId);
  });

  test('correction lowers a paid bill: the difference is refunded, no new request', async () => {
    const { world, requestId } = await billed('paid');

    const report = (
      await world.sdk.remittances.ingest(
        ORG,
        remittance(
          [reversal, claimPayment('PCN-1', { copay: 3000, payerClaimControlNumber: 'CCN-2' })],
          { traceNumber: 'T2' },
        ),
      )
    )._unsafeUnwrap();

    expect(report.changed).toEqual([
      expect.objectContaining({ requestId, how: 'difference refunded', toMinor: 3000 }),
    ]);
    expect(world.gateway.refunds().map((refund) => refund.amount.minor)).toEqual([2000]);
    const request = await world.request('org_1', requestId);
    expect(request.status).toBe('paid');
    expect(request.amountRefunded.minor).toBe(2000);
    expect(await requestsOf(world)).toHaveLength(1);
  });

  test('correction raises a paid bill: a new request for what is still owed', async () => {
    const { world } = await billed('paid');

    await world.sdk.remittances.ingest(
      ORG,
      remittance(
        [reversal, claimPayment('PCN-1', { copay: 8000, payerClaimControlNumber: 'CCN-2' })],
        { traceNumber: 'T2' },
      ),
    );

    const requests = await requestsOf(world);
    expect(requests.map((r) => [r.status, r.amount.minor])).toEqual([
      ['paid', 5000],
      ['draft', 3000],
    ]);
    expect(world.gateway.refunds()).toEqual([]);
  });

  test('a later remittance with the same amount for a paid claim bills nothing', async () => {
    const { world } = await billed('paid');

    await world.sdk.remittances.ingest(
      ORG,
      remittance([claimPayment('PCN-1', { copay: 5000, statusCode: '2' })], { traceNumber: 'T3' }),
    );

    expect(await requestsOf(world)).toHaveLength(1);
  });
});

describe('the same remittance twice changes nothing (BR-14)', () => {
  test('same trace again, then the same trace with one new claim', async () => {
    const world = await withClaims(['PCN-1001', 'PCN-1002']);
    const first = remittance([claimPayment('PCN-1001', { deductible: 3000, coinsurance: 2000 })]);

    const one = (await world.sdk.remittances.ingest(ORG, first))._unsafeUnwrap();
    const again = (await world.sdk.remittances.ingest(ORG, first))._unsafeUnwrap();
    const third = (
      await world.sdk.remittances.ingest(
        ORG,
        remittance([
          ...first.claimPayments,
          claimPayment('PCN-1002', { copay: 3000, payerClaimControlNumber: 'CLM0002' }),
        ]),
      )
    )._unsafeUnwrap();

    expect(one.created).toHaveLength(1);
    expect(again.created).toEqual([]);
    expect(again.duplicates.map((item) => item.patientControlNumber)).toEqual(['PCN-1001']);
    expect(third.created.map((item) => [item.patientControlNumber, item.amountMinor])).toEqual([
      ['PCN-1002', 3000],
    ]);
    expect(third.remittanceId).toBe(one.remittanceId);
    expect((await requestsOf(world)).map((r) => r.amount.minor)).toEqual([5000, 3000]);
  });

  test('two deliveries at the same time create one set of requests', async () => {
    const world = await withClaims(['PCN-1', 'PCN-2', 'PCN-3']);
    const input = remittance([
      claimPayment('PCN-1', { copay: 1000 }),
      claimPayment('PCN-2', { copay: 2000 }),
      claimPayment('PCN-3', { copay: 3000 }),
    ]);

    await Promise.all([
      world.sdk.remittances.ingest(ORG, input),
      world.sdk.remittances.ingest(ORG, input),
    ]);

    expect((await requestsOf(world)).map((r) => r.amount.minor).sort()).toEqual([1000, 2000, 3000]);
  });

  test('a dry run reports what would happen and writes nothing', async () => {
    const world = await withClaims(['PCN-1']);

    const report = (
      await world.sdk.remittances.ingest(
        ORG,
        remittance([claimPayment('PCN-1', { copay: 2000 })]),
        { dryRun: true },
      )
    )._unsafeUnwrap();
    const real = (
      await world.sdk.remittances.ingest(ORG, remittance([claimPayment('PCN-1', { copay: 2000 })]))
    )._unsafeUnwrap();

    expect(report).toMatchObject({ dryRun: true, remittanceId: null });
    expect(report.created).toEqual([
      { requestId: null, patientControlNumber: 'PCN-1', amountMinor: 2000, hold: null },
    ]);
    expect(real.created).toHaveLength(1);
  });
});

test('a malformed remittance is refused with the field named', async () => {
  const world = await withClaims([]);

  const refused = await world.sdk.remittances.ingest(ORG, { ...remittance([]), traceNumber: '' });

  expect(refused._unsafeUnwrapErr()).toMatchObject({
    code: 'INPUT.INVALID',
    details: { fields: ['traceNumber'] },
  });
});
