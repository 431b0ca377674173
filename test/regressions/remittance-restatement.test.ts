import { describe, expect, test } from 'vitest';
import {
  claimPayment,
  clinicWithClaims,
  ORG,
  refundedMinor,
  remittance,
  requestsOf,
  reversal,
  sendAndPay,
} from './support';

/** The member owed 50.00, paid it, and a first readjudication raised the bill to 70.00. */
async function paidThenRaised() {
  const world = await clinicWithClaims(['PCN-1']);
  await world.sdk.remittances.ingest(ORG, remittance('T1', [claimPayment('PCN-1', 5000)]));
  const [original] = await requestsOf(world);
  await sendAndPay(world, original!.id);
  world.gateway.refundsStartAs = 'succeeded';

  await world.sdk.remittances.ingest(
    ORG,
    remittance('T2', [
      reversal('PCN-1', 5000),
      claimPayment('PCN-1', 7000, { payerClaimControlNumber: 'CCN-2' }),
    ]),
  );
  return { world, originalId: original!.id };
}

function owedOnOpenRequests(requests: Awaited<ReturnType<typeof requestsOf>>): number {
  return requests
    .filter((request) => request.status !== 'canceled' && request.status !== 'refunded')
    .reduce((total, request) => total + request.amount.minor - request.amountRefunded.minor, 0);
}

describe('a claim restated more than once is billed for what the payer says, once', () => {
  // After a raise the claim has the paid 50.00 and a 20.00 draft; a second readjudication
  // overwrites the draft with the whole new amount, billing the member twice for the same care.
  test('a second readjudication to 60.00 bills 60.00 in all, not 50.00 + 60.00', async () => {
    const { world } = await paidThenRaised();
    const afterRaise = await requestsOf(world);

    await world.sdk.remittances.ingest(
      ORG,
      remittance('T3', [
        reversal('PCN-1', 7000),
        claimPayment('PCN-1', 6000, { payerClaimControlNumber: 'CCN-3' }),
      ]),
    );

    expect(owedOnOpenRequests(afterRaise)).toBe(7000);
    expect(owedOnOpenRequests(await requestsOf(world))).toBe(6000);
  });

  // A lone reversal must withdraw everything billed for the claim; withdrawing only the newest
  // request keeps the member's first payment for a claim the payer took back.
  test('a lone reversal after a raise withdraws both: the paid 50.00 is refunded', async () => {
    const { world, originalId } = await paidThenRaised();

    await world.sdk.remittances.ingest(ORG, remittance('T3', [reversal('PCN-1', 7000)]));

    const original = await world.request('org_1', originalId);
    expect(refundedMinor(world)).toBe(5000);
    expect(original.status).toBe('refunded');
    expect(owedOnOpenRequests(await requestsOf(world))).toBe(0);
  });
});

describe('a correction refund still on its way counts as refunded', () => {
  // A restatement that arrives while a correction refund is still pending must count it; refunding
  // the 20.00 again gives the member money they never paid.
  test('restating 30.00 again while the 20.00 refund is pending refunds nothing', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    await world.sdk.remittances.ingest(ORG, remittance('T1', [claimPayment('PCN-1', 5000)]));
    const [request] = await requestsOf(world);
    await sendAndPay(world, request!.id);

    await world.sdk.remittances.ingest(
      ORG,
      remittance('T2', [
        reversal('PCN-1', 5000),
        claimPayment('PCN-1', 3000, { payerClaimControlNumber: 'CCN-2' }),
      ]),
    );
    const firstRefunds = refundedMinor(world);
    await world.sdk.remittances.ingest(
      ORG,
      remittance('T3', [
        reversal('PCN-1', 3000),
        claimPayment('PCN-1', 3000, { payerClaimControlNumber: 'CCN-3' }),
      ]),
    );

    expect(firstRefunds).toBe(2000);
    expect(world.gateway.refunds().map((refund) => refund.amount.minor)).toEqual([2000]);
  });
});

describe('a member who paid an invoice a correction replaces', () => {
  // The member paid 50.00 just before a correction to 30.00 arrived; refunding all 50.00 and
  // sending a new 30.00 bill makes them pay again, where 20.00 back is what is owed.
  test('a correction to 30.00 of a just-paid 50.00 refunds 20.00, bills nothing new', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    world.gateway.refundsStartAs = 'succeeded';
    await world.sdk.remittances.ingest(ORG, remittance('T1', [claimPayment('PCN-1', 5000)]));
    await world.sdk.batch.runNow(ORG);
    const [sent] = await requestsOf(world);
    world.gateway.payByCard(sent!.gateway.invoiceId as string);

    await world.sdk.remittances.ingest(
      ORG,
      remittance('T2', [
        reversal('PCN-1', 5000),
        claimPayment('PCN-1', 3000, { payerClaimControlNumber: 'CCN-2' }),
      ]),
    );

    const requests = await requestsOf(world);
    expect(refundedMinor(world)).toBe(2000);
    expect(requests.filter((request) => request.status === 'draft')).toEqual([]);
  });
});

describe('a stated total of zero against itemized patient responsibility', () => {
  // Payers send CLP05 = 0 though they should not (RFI 396); when the PR adjustments say 25.00,
  // the disagreement must reach staff with both numbers instead of being skipped as "owes nothing".
  test('CLP05 0 against PR adjustments of 25.00 goes to review with both numbers', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    const payment = claimPayment('PCN-1', 2500);

    const report = (
      await world.sdk.remittances.ingest(
        ORG,
        remittance('T1', [
          {
            ...payment,
            patientResponsibility: { ...payment.patientResponsibility, declaredCents: 0 },
          },
        ]),
      )
    )._unsafeUnwrap();

    expect(report.heldForReview).toEqual([
      expect.objectContaining({
        patientControlNumber: 'PCN-1',
        declaredMinor: 0,
        itemizedMinor: 2500,
      }),
    ]);
  });
});

describe('two remittances for one claim ingested at the same time', () => {
  // Hosts ingest a file's transactions from several workers; side by side, both remittances must
  // not each see "no request for this claim" and create one.
  test('two workers ingesting 50.00 for one claim, two traces: one request', async () => {
    const world = await clinicWithClaims(['PCN-1']);

    await Promise.all([
      world.sdk.remittances.ingest(ORG, remittance('T1', [claimPayment('PCN-1', 5000)])),
      world.sdk.remittances.ingest(
        ORG,
        remittance('T2', [claimPayment('PCN-1', 5000, { payerClaimControlNumber: 'CCN-2' })]),
      ),
    ]);

    expect(owedOnOpenRequests(await requestsOf(world))).toBe(5000);
  });
});
