import {
  asId,
  type ClaimPaymentInput,
  createMemberPayments,
  type IngestReport,
  type MemberPayments,
  type OrganizationId,
  type StoragePort,
} from '@memberpay/core';
import {
  aClaimPaymentInput,
  aReversalInput,
  FakePaymentGateway,
  ManualClock,
  SequentialIds,
} from '@memberpay/core/testing';
import { InMemoryStorage } from '@memberpay/storage-memory';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PostgresStorage } from '../src/index';
import { billingOrganization, remittance, succeeded } from './support/sdk';
import { chooseBackend, openTestDatabase, type TestDatabase } from './support/test-database';

/**
 * Remittance ingestion on PostgreSQL gives what it gives in memory, step for step: the same
 * reports, the same requests and the same audit trails, for the cases where a careful biller
 * holds a claim payment for staff instead of moving money.
 */

const backend = await chooseBackend();
let database: TestDatabase;

beforeAll(async () => {
  database = await openTestDatabase(backend);
});

afterAll(async () => {
  await database?.close();
});

function claimPayment(
  patientControlNumber: string,
  owed: number,
  overrides: Partial<ClaimPaymentInput> & { readonly declared?: number } = {},
): ClaimPaymentInput {
  const { declared = owed, ...rest } = overrides;
  const payment = aClaimPaymentInput(patientControlNumber, owed, {
    paidCents: 20000 - Math.abs(owed),
    ...rest,
  });
  return {
    ...payment,
    patientResponsibility: { ...payment.patientResponsibility, declaredCents: declared },
  };
}

/** Everything a run leaves that a host can see, with ids as the run made them. */
async function story(storage: StoragePort): Promise<unknown[]> {
  const clock = new ManualClock('2024-01-10T15:00:00.000Z');
  const gateway = new FakePaymentGateway({ now: () => clock.now() });
  gateway.refundsStartAs = 'succeeded';
  const sdk: MemberPayments = createMemberPayments({
    storage,
    gateway,
    clock,
    ids: new SequentialIds(),
  });
  const organizationId: OrganizationId = await billingOrganization(
    sdk,
    'org_review',
    async (accountId) => {
      gateway.completeOnboarding(accountId);
    },
    { generateFromRemittance: true },
  );
  const member = succeeded(
    await sdk.members.create(organizationId, { name: 'Jane Doe', email: 'jane@example.test' }),
  );
  const claims = new Map<string, string>();
  for (const pcn of ['PCN-1', 'PCN-2', 'PCN-3', 'PCN-4', 'PCN-5', 'PCN-6', 'PCN-7']) {
    const claim = await sdk.claims.create(organizationId, {
      memberId: member.id,
      patientControlNumber: pcn,
      dateOfService: '2024-01-02',
      chargeAmount: '200.00',
    });
    claims.set(pcn, succeeded(claim).id);
  }

  const seen: unknown[] = [];
  const ingest = async (traceNumber: string, claimPayments: unknown[]) => {
    seen.push(
      succeeded(
        await sdk.remittances.ingest(organizationId, remittance(traceNumber, claimPayments)),
      ),
    );
  };
  const requests = async () =>
    succeeded(await sdk.requests.list(organizationId, { includeDeleted: true }, { limit: 100 }));
  const payAll = async () => {
    succeeded(await sdk.batch.runNow(organizationId));
    for (const request of await requests()) {
      const invoiceId = request.gateway.invoiceId;
      if (request.status !== 'sent' || invoiceId === null) continue;
      const events =
        request.claimId === claims.get('PCN-5')
          ? [gateway.payByBank(invoiceId)]
          : gateway.payByCard(invoiceId);
      for (const event of events) await sdk.webhooks.apply(event);
    }
  };

  // PCN-1 is billed by hand; the others from the first remittance (PCN-2 twice over: split).
  succeeded(
    await sdk.requests.create(organizationId, {
      claimId: asId(claims.get('PCN-1') as string),
      internalId: 'INV-1',
      amount: '50.00',
      createdBy: 'staff_1',
    }),
  );
  const split = claimPayment('PCN-2', 2000, { chargeCents: 10000 });
  const first = [
    claimPayment('PCN-1', 5000),
    claimPayment('PCN-2', 5000),
    split,
    claimPayment('PCN-3', 5000),
    claimPayment('PCN-4', 5000),
    claimPayment('PCN-5', 5000),
    claimPayment('PCN-6', 5000),
    claimPayment('PCN-7', 5000),
  ];
  await ingest('T1', first);
  await ingest('T1', first);
  // The front desk's 20.00 for PCN-6 reaches the SDK after the remittance.
  succeeded(
    await sdk.claims.recordVisitPayment(organizationId, claims.get('PCN-6') as string, '20.00'),
  );
  await payAll();
  // PCN-7's member disputes the card payment with their bank, and wins.
  const disputed = (await requests()).find((request) => request.claimId === claims.get('PCN-7'));
  const disputedInvoice = disputed?.gateway.invoiceId as string;
  for (const outcome of [null, 'lost'] as const) {
    await sdk.webhooks.apply(gateway.dispute(disputedInvoice, outcome));
  }

  await ingest('T2', [
    claimPayment('PCN-1', 5000, { statusCode: '4', paidCents: 0 }),
    aReversalInput('PCN-7', 5000),
    claimPayment('PCN-7', 5000, { payerClaimControlNumber: 'CCN-2' }),
    aReversalInput('PCN-3', 5000),
    claimPayment('PCN-3', 5000, { declared: 2000, payerClaimControlNumber: 'CCN-2' }),
    aReversalInput('PCN-4', 5000),
    { ...claimPayment('PCN-4', 3000, { payerClaimControlNumber: 'CCN-2' }), serviceDate: 'soon' },
    aReversalInput('PCN-5', 5000),
    claimPayment('PCN-5', 3000, { payerClaimControlNumber: 'CCN-2' }),
    aReversalInput('PCN-2', 5000),
    claimPayment('PCN-2', 3000, { payerClaimControlNumber: 'CCN-2' }),
  ]);

  const trails: unknown[] = [];
  for (const request of await requests()) {
    const trail = succeeded(await sdk.requests.auditTrail(organizationId, request.id));
    trails.push({
      request: [request.id, request.status, request.amount.minor, request.amountRefunded.minor],
      trail: trail.map((entry) => [entry.action, entry.from, entry.to, entry.actor, entry.reason]),
    });
  }
  return [...seen, ...trails, gateway.refunds().map((refund) => refund.amount.minor)];
}

describe('held for review, in memory and on PostgreSQL alike', () => {
  test('by hand, split, disagreeing, half-read, in flight, paid at visit, disputed', async () => {
    const inMemory = await story(new InMemoryStorage());
    const onPostgres = await story(
      new PostgresStorage({ ...database.connection(), schema: database.schema }),
    );

    expect(onPostgres).toEqual(inMemory);
    // Only PCN-2's correction moved money: 50.00 paid, 30.00 owed, 20.00 back.
    expect(inMemory.at(-1)).toEqual([2000]);
    // The denial of PCN-1, billed by hand, and the correction of PCN-7, whose member won a
    // dispute, wait for staff with PCN-3 (totals disagree), PCN-4 (half read) and PCN-5
    // (bank payment in flight).
    const second = inMemory[2] as IngestReport;
    expect(second.heldForReview.map((item) => item.patientControlNumber).sort()).toEqual([
      'PCN-1',
      'PCN-3',
      'PCN-4',
      'PCN-5',
      'PCN-7',
    ]);
    expect(second.created).toEqual([]);
    expect(inMemory).toContainEqual({
      request: ['req_0006', 'paid', 3000, 0],
      trail: expect.arrayContaining([
        [
          'edited',
          'draft',
          'draft',
          { kind: 'system', process: 'visit payment' },
          expect.any(String),
        ],
      ]),
    });
  });
});
