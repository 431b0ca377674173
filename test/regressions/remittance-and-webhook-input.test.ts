import {
  type ClaimPaymentInput,
  type GatewayEvent,
  money,
  type RemittanceInput,
} from '@memberpay/core';
import { ok } from 'neverthrow';
import { describe, expect, test } from 'vitest';
import { aWorld, type World } from '../support/world';
import { claimPayment, clinicWithClaims, ORG, remittance, requestsOf } from './support';

async function claimOf(world: World, patientControlNumber: string) {
  const found = await world.storage.transaction(async (tx) =>
    ok(await tx.claims.findByPatientControlNumber(ORG, patientControlNumber)),
  );
  return found._unsafeUnwrap();
}

async function remittanceStored(
  world: World,
  traceNumber: string,
  source: 'electronic' | 'paper' = 'electronic',
) {
  const found = await world.storage.transaction(async (tx) =>
    ok(await tx.remittances.findByTrace(ORG, source, '1512345678', traceNumber)),
  );
  return found._unsafeUnwrap();
}

describe('a paper remittance does not stand for the electronic one', () => {
  // Staff key in the paper EOB the morning it arrives; the 835 for the same payment comes in
  // the afternoon. The 835 must still bill the member.
  test('the 835 after a paper EOB of the same payment and trace creates the request', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    const paper: RemittanceInput = {
      ...remittance('T1', [claimPayment('PCN-1', 5000)]),
      source: 'paper',
    };

    const keyed = (await world.sdk.remittances.ingest(ORG, paper))._unsafeUnwrap();
    const electronic = (
      await world.sdk.remittances.ingest(ORG, remittance('T1', [claimPayment('PCN-1', 5000)]))
    )._unsafeUnwrap();

    expect(keyed.skipped[0]?.reason).toContain('paper remittance');
    expect(electronic.duplicates).toEqual([]);
    expect(electronic.created.map((created) => created.amountMinor)).toEqual([5000]);
    expect(electronic.remittanceId).not.toBe(keyed.remittanceId);
    expect((await remittanceStored(world, 'T1', 'paper'))?.traceNumber).toBe('T1');
    expect((await requestsOf(world)).map((request) => request.amount.minor)).toEqual([5000]);
  });

  test('the same paper EOB keyed in twice is a duplicate the second time', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    const paper: RemittanceInput = {
      ...remittance('T1', [claimPayment('PCN-1', 5000)]),
      source: 'paper',
    };

    const first = (await world.sdk.remittances.ingest(ORG, paper))._unsafeUnwrap();
    const again = (await world.sdk.remittances.ingest(ORG, paper))._unsafeUnwrap();

    expect(again.remittanceId).toBe(first.remittanceId);
    expect(again.duplicates.map((item) => item.patientControlNumber)).toEqual(['PCN-1']);
    expect(await requestsOf(world)).toEqual([]);
  });

  test('a paper EOB after the 835 is recorded; the 835 again is still a duplicate', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    const electronic = remittance('T1', [claimPayment('PCN-1', 5000)]);

    await world.sdk.remittances.ingest(ORG, electronic);
    const paper = (
      await world.sdk.remittances.ingest(ORG, { ...electronic, source: 'paper' })
    )._unsafeUnwrap();
    const again = (await world.sdk.remittances.ingest(ORG, electronic))._unsafeUnwrap();

    expect(paper.duplicates).toEqual([]);
    expect(paper.skipped[0]?.reason).toContain('paper remittance');
    expect(again.duplicates.map((item) => item.patientControlNumber)).toEqual(['PCN-1']);
    expect((await requestsOf(world)).map((request) => request.amount.minor)).toEqual([5000]);
  });
});

describe('an amount above what Stripe can charge', () => {
  // 1e12 cents is ten billion dollars: no one-invoice charge can carry it, and it is not a
  // "below the minimum" problem either.
  test('is held for review with a reason saying it is above what can be charged', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    const huge = claimPayment('PCN-1', 1_000_000_000_000, {
      chargeCents: 2_000_000_000_000,
      paidCents: 1_000_000_000_000,
    });

    const report = (
      await world.sdk.remittances.ingest(ORG, remittance('T1', [huge]))
    )._unsafeUnwrap();

    const [request] = await requestsOf(world);
    expect(request?.hold?.code).toBe('needs_review');
    expect(request?.hold?.message).toContain('above the largest amount');
    expect(report.heldForReview).toHaveLength(1);
    expect(report.heldForReview[0]?.reason).toContain('above the largest amount');
    expect(report.created[0]?.hold).toBe('needs_review');
  });

  test('approved anyway, the batch holds it for review again, not as too small', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    const huge = claimPayment('PCN-1', 1_000_000_000_000, {
      chargeCents: 2_000_000_000_000,
      paidCents: 1_000_000_000_000,
    });
    await world.sdk.remittances.ingest(ORG, remittance('T1', [huge]));
    const [held] = await requestsOf(world);
    (await world.sdk.requests.approve(ORG, held!.id, 'staff_1'))._unsafeUnwrap();

    const batch = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();

    const [request] = await requestsOf(world);
    expect(batch.sent).toBe(0);
    expect(request).toMatchObject({ status: 'draft', hold: { code: 'needs_review' } });
  });

  test('below the minimum is still held as below_minimum_charge', async () => {
    const world = await clinicWithClaims(['PCN-1']);

    await world.sdk.remittances.ingest(ORG, remittance('T1', [claimPayment('PCN-1', 30)]));

    expect((await requestsOf(world))[0]?.hold?.code).toBe('below_minimum_charge');
  });
});

describe('remittance header fields are checked', () => {
  test('options: null means none; a dryRun that is not a boolean is refused', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    const input = remittance('T1', [claimPayment('PCN-1', 5000)]);

    const refused = await world.sdk.remittances.ingest(ORG, input, {
      dryRun: 'yes' as unknown as boolean,
    });
    const stored = await remittanceStored(world, 'T1');
    const ingested = await world.sdk.remittances.ingest(ORG, input, null);

    expect(refused._unsafeUnwrapErr()).toMatchObject({
      code: 'INPUT.INVALID',
      details: { fields: ['dryRun'] },
    });
    expect(stored).toBeNull();
    expect(ingested._unsafeUnwrap().created).toHaveLength(1);
  });

  test.each(['2024-02-30', 'yesterday', '2024-1-8'])(
    'a payment date of %s is refused, naming the field, and nothing is stored',
    async (paymentDate) => {
      const world = await clinicWithClaims(['PCN-1']);

      const refused = await world.sdk.remittances.ingest(ORG, {
        ...remittance('T1', [claimPayment('PCN-1', 5000)]),
        paymentDate,
      });

      expect(refused._unsafeUnwrapErr()).toMatchObject({
        code: 'INPUT.INVALID',
        details: { fields: ['paymentDate'] },
      });
      expect(refused._unsafeUnwrapErr().message).toContain('paymentDate');
      expect(await remittanceStored(world, 'T1')).toBeNull();
      expect(await requestsOf(world)).toEqual([]);
    },
  );

  test('an unknown field on the remittance is refused, naming it', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    const input = { ...remittance('T1', [claimPayment('PCN-1', 5000)]), payer: 'ACME' };

    const refused = await world.sdk.remittances.ingest(ORG, input as RemittanceInput);

    expect(refused._unsafeUnwrapErr().code).toBe('INPUT.INVALID');
    expect(refused._unsafeUnwrapErr().message).toContain('payer');
    expect(await remittanceStored(world, 'T1')).toBeNull();
  });
});

describe('a claim payment that fails its checks is skipped with the field named', () => {
  const cases: Array<[string, string, Partial<ClaimPaymentInput>]> = [
    ['a service date that does not exist', 'serviceDate', { serviceDate: '2024-02-30' }],
    ['a negative paid amount', 'paidCents', { paidCents: -5 }],
    ['a negative charge', 'chargeCents', { chargeCents: -20000 }],
    [
      'a negative stated patient responsibility',
      'declaredCents',
      {
        patientResponsibility: {
          declaredCents: -500,
          adjustmentCents: 0,
          deductibleCents: 0,
          coinsuranceCents: 0,
          copayCents: 0,
          otherCents: 0,
        },
      },
    ],
    [
      'a negative sum of PR adjustments',
      'adjustmentCents',
      {
        patientResponsibility: {
          declaredCents: null,
          adjustmentCents: -500,
          deductibleCents: 0,
          coinsuranceCents: 0,
          copayCents: -500,
          otherCents: 0,
        },
      },
    ],
    ['an unknown field', 'patientAccount', { patientAccount: 'X' } as Partial<ClaimPaymentInput>],
  ];

  test.each(cases)('%s on a processed claim payment', async (_what, field, overrides) => {
    const world = await clinicWithClaims(['PCN-1', 'PCN-2']);
    const before = await claimOf(world, 'PCN-1');

    const report = (
      await world.sdk.remittances.ingest(
        ORG,
        remittance('T1', [claimPayment('PCN-1', 5000, overrides), claimPayment('PCN-2', 3000)]),
      )
    )._unsafeUnwrap();

    expect(report.skipped).toHaveLength(1);
    expect(report.skipped[0]?.patientControlNumber).toBe('PCN-1');
    expect(report.skipped[0]?.reason).toContain(field);
    expect(report.created.map((created) => created.patientControlNumber)).toEqual(['PCN-2']);
    const after = await claimOf(world, 'PCN-1');
    expect(after?.paidAmount).toEqual(before?.paidAmount);
    expect(after?.patientResponsibility).toEqual(before?.patientResponsibility);
  });

  // A secondary payer itemizes coinsurance 21.00 and takes off 13.65 the primary counted
  // (CAS*PR*2*21**23*-13.65, as in a corpus file): the member owes 7.35.
  test('a negative itemized amount with a positive total is billed', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    const secondary = claimPayment('PCN-1', 735, {
      statusCode: '2',
      patientResponsibility: {
        declaredCents: 735,
        adjustmentCents: 735,
        deductibleCents: 0,
        coinsuranceCents: 2100,
        copayCents: 0,
        otherCents: -1365,
      },
    });

    const report = (
      await world.sdk.remittances.ingest(ORG, remittance('T1', [secondary]))
    )._unsafeUnwrap();

    expect(report.skipped).toEqual([]);
    expect(report.created.map((created) => created.amountMinor)).toEqual([735]);
  });

  test('a reversal (status 22) may carry negative amounts', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    await world.sdk.remittances.ingest(ORG, remittance('T1', [claimPayment('PCN-1', 5000)]));

    const reversal = claimPayment('PCN-1', -5000, {
      statusCode: '22',
      chargeCents: -20000,
      paidCents: -15000,
    });
    const report = (
      await world.sdk.remittances.ingest(ORG, remittance('T2', [reversal]))
    )._unsafeUnwrap();

    expect(report.skipped).toEqual([]);
    expect(report.canceled.map((canceled) => canceled.patientControlNumber)).toEqual(['PCN-1']);
  });
});

describe('the trimmed header is the one used', () => {
  test.each([
    ['payerId', { payerId: ' 1512345678 ' }],
    ['traceNumber', { traceNumber: 'T1 ' }],
  ])('the same remittance with spaces around its %s is a duplicate', async (_field, changed) => {
    const world = await clinicWithClaims(['PCN-1']);
    const input = remittance('T1', [claimPayment('PCN-1', 5000)]);

    const first = (await world.sdk.remittances.ingest(ORG, input))._unsafeUnwrap();
    const again = (
      await world.sdk.remittances.ingest(ORG, { ...input, ...changed })
    )._unsafeUnwrap();

    expect(again.remittanceId).toBe(first.remittanceId);
    expect(again).toMatchObject({ payerId: '1512345678', traceNumber: 'T1' });
    expect(again.duplicates.map((item) => item.patientControlNumber)).toEqual(['PCN-1']);
    expect(await requestsOf(world)).toHaveLength(1);
  });
});

describe('a partial payment reads as money in the audit trail', () => {
  test('two card payments of 10.00 and 15.00 on 50.00 read "$25.00 paid"', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');
    await world.sdk.batch.runNow(ORG);
    const invoiceId = (await world.request('org_1', draft.id)).gateway.invoiceId as string;

    for (const amount of [1000, 1500]) {
      for (const event of world.gateway.payByCard(invoiceId, money(amount))) {
        await world.deliver(event);
      }
    }

    const trail = (await world.sdk.requests.auditTrail(ORG, draft.id))._unsafeUnwrap();
    const reasons = trail.map((entry) => entry.reason);
    expect(reasons).toContain('payment recorded: $25.00 paid');
    expect(reasons.join('\n')).not.toContain('2500');
  });
});

describe('webhooks return an error for input they cannot use, never throw', () => {
  test.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'body'],
  ])('handle(%s) is refused with WEBHOOK.INVALID', async (_what, input) => {
    const world = aWorld();

    const handled = await world.sdk.webhooks.handle(input as never);

    expect(handled._unsafeUnwrapErr().code).toBe('WEBHOOK.INVALID');
    expect(handled._unsafeUnwrapErr().message).toContain('rawBody');
  });

  test('handle with no signature is refused with WEBHOOK.INVALID', async () => {
    const world = aWorld();

    const handled = await world.sdk.webhooks.handle({ rawBody: '{}' } as never);

    expect(handled._unsafeUnwrapErr().code).toBe('WEBHOOK.INVALID');
    expect(handled._unsafeUnwrapErr().message).toContain('signature');
  });

  test.each([
    ['null', null, '(input)'],
    ['an empty object', {}, 'id'],
    ['an invoice.paid with no invoice', { id: 'evt_1', type: 'invoice.paid' }, 'invoice'],
    ['an unknown type', { id: 'evt_1', type: 'charge.succeeded' }, 'type'],
    [
      'a refund with no tags',
      { id: 'evt_1', type: 'refund.updated', refund: { id: 're_1' } },
      'refund.tags',
    ],
  ])('apply(%s) is refused with INPUT.INVALID naming what is missing', async (_w, event, path) => {
    const world = aWorld();

    const applied = await world.sdk.webhooks.apply(event as unknown as GatewayEvent);

    expect(applied._unsafeUnwrapErr().code).toBe('INPUT.INVALID');
    expect(applied._unsafeUnwrapErr().message).toContain(path);
  });

  test('apply still takes a well-formed event', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');
    await world.sdk.batch.runNow(ORG);
    const invoiceId = (await world.request('org_1', draft.id)).gateway.invoiceId as string;
    const [paid] = world.gateway.payByCard(invoiceId);

    const applied = await world.sdk.webhooks.apply(paid as GatewayEvent);

    expect(applied._unsafeUnwrap().status).toBe('applied');
    expect((await world.request('org_1', draft.id)).status).toBe('paid');
  });

  test.each(['', 'hello', '{}', '[]', 'null', '{"id":"evt_1","type":"invoice.paid"}'])(
    'the fake gateway refuses a signed body %j as malformed, as Stripe does',
    async (rawBody) => {
      const world = aWorld();
      const signature = world.gateway.signature(rawBody);

      const verified = await world.gateway.verifyWebhook({ rawBody, signature });
      const handled = await world.sdk.webhooks.handle({ rawBody, signature });

      expect(verified._unsafeUnwrapErr()).toMatchObject({ kind: 'malformed' });
      expect(handled._unsafeUnwrapErr()).toMatchObject({
        code: 'WEBHOOK.INVALID',
        details: { kind: 'malformed' },
      });
    },
  );
});
