import type {
  ClaimPaymentInput,
  DomainError,
  OrganizationId,
  PaymentRequest,
  RemittanceInput,
  WebhookOutcome,
} from '@memberpay/core';
import { FakePaymentGateway } from '@memberpay/core/testing';
import type { Result } from 'neverthrow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  billingOrganization,
  draftFor,
  type Instance,
  instanceOn,
  memberWithClaims,
  remittance,
  type SimulatedStripe,
  simulatedStripe,
  succeeded,
} from './support/sdk';
import {
  chooseBackend,
  openTestDatabase,
  present,
  type TestDatabase,
} from './support/test-database';

/**
 * Field cases BR-14, BR-17a and BR-20 on PostgreSQL: what must hold when several SDK instances
 * (host processes) share one database. Every instance has its own PostgresStorage; on a server,
 * each has its own pool, so their units of work really run at the same time.
 */

const backend = await chooseBackend();

let database: TestDatabase;
// One fake Stripe for the file: its ids (accounts, invoices) are unique only within an instance.
const gateway = new FakePaymentGateway();

beforeAll(async () => {
  database = await openTestDatabase(backend);
});

afterAll(async () => {
  await database?.close();
});

/** An organization billing through the in-memory gateway, set up by `staff`. */
async function organizationOnFake(staff: Instance, id: string): Promise<OrganizationId> {
  return billingOrganization(
    staff.sdk,
    id,
    async (accountId) => {
      gateway.completeOnboarding(accountId);
    },
    { generateFromRemittance: true },
  );
}

const count = async (table: string, where: string, values: readonly unknown[]) => {
  const [row] = await database.sql(
    `SELECT count(*)::int AS n FROM "${database.schema}".${table} WHERE ${where}`,
    values,
  );
  return row?.n;
};

describe('BR-14: the same remittance ingested twice creates one set of requests', () => {
  const claimPayment = (
    patientControlNumber: string,
    payerClaimControlNumber: string,
    amounts: {
      charge: number;
      paid: number;
      deductible?: number;
      coinsurance?: number;
      copay?: number;
    },
  ): ClaimPaymentInput => {
    const { deductible = 0, coinsurance = 0, copay = 0 } = amounts;
    const owed = deductible + coinsurance + copay;
    return {
      patientControlNumber,
      statusCode: '1',
      chargeCents: amounts.charge,
      paidCents: amounts.paid,
      payerClaimControlNumber,
      patientResponsibility: {
        declaredCents: owed,
        adjustmentCents: owed,
        deductibleCents: deductible,
        coinsuranceCents: coinsurance,
        copayCents: copay,
        otherCents: 0,
      },
      memberIdentifier: null,
      patientName: null,
      serviceDate: '2024-01-02',
      warnings: [],
    };
  };

  /** T-1: PCN-1001, the member owes 50.00 (deductible 30.00, coinsurance 20.00). */
  const t1 = claimPayment('PCN-1001', 'CLM0001', {
    charge: 20000,
    paid: 8000,
    deductible: 3000,
    coinsurance: 2000,
  });

  const amountsOf = (requests: readonly PaymentRequest[]) =>
    requests.map((request) => request.amount.minor).sort((a, b) => a - b);

  test('again, same trace in a new file: nothing new; then a new claim: only it', async () => {
    const staff = instanceOn(database, gateway);
    const organizationId = await organizationOnFake(staff, 'org_br14');
    await memberWithClaims(staff.sdk, organizationId, 'jane', ['PCN-1001']);
    await memberWithClaims(staff.sdk, organizationId, 'mark', ['PCN-1002']);
    const ingest = async (input: RemittanceInput) =>
      succeeded(await staff.sdk.remittances.ingest(organizationId, input));

    const first = await ingest(remittance('TRACE0001', [t1]));
    const again = await ingest(remittance('TRACE0001', [t1]));
    const third = await ingest(
      remittance('TRACE0001', [
        t1,
        claimPayment('PCN-1002', 'CLM0002', { charge: 12000, paid: 9000, copay: 3000 }),
      ]),
    );

    expect(first.created.map((item) => [item.patientControlNumber, item.amountMinor])).toEqual([
      ['PCN-1001', 5000],
    ]);
    expect(again.created).toEqual([]);
    expect(again.duplicates.map((item) => item.patientControlNumber)).toEqual(['PCN-1001']);
    expect(third.created.map((item) => [item.patientControlNumber, item.amountMinor])).toEqual([
      ['PCN-1002', 3000],
    ]);
    expect(new Set([first.remittanceId, again.remittanceId, third.remittanceId]).size).toBe(1);
    const requests = succeeded(await staff.sdk.requests.list(organizationId, {}, { limit: 100 }));
    expect(amountsOf(requests)).toEqual([3000, 5000]);
    expect(await count('remittance', 'organization_id = $1', [organizationId])).toBe(1);
    expect(await count('claim_payment', 'organization_id = $1', [organizationId])).toBe(2);
  });

  test('two ingests at once, on separate pools: one remittance, one set of requests', async () => {
    const hosts = [instanceOn(database, gateway), instanceOn(database, gateway)] as const;
    const organizationId = await organizationOnFake(hosts[0], 'org_br14_race');
    const claimPayments: ClaimPaymentInput[] = [];
    for (let index = 1; index <= 6; index += 1) {
      const pcn = `PCN-20${index}`;
      await memberWithClaims(hosts[0].sdk, organizationId, `member${index}`, [pcn]);
      claimPayments.push(
        claimPayment(pcn, `CLM020${index}`, { charge: 20000, paid: 8000, copay: index * 1000 }),
      );
    }
    const input = remittance('TRACE0002', claimPayments);

    const reports = await Promise.all(
      hosts.map((host) => host.sdk.remittances.ingest(organizationId, input)),
    );

    const [one, two] = reports.map(succeeded);
    expect(one?.remittanceId).toBe(two?.remittanceId);
    expect([...(one?.created ?? []), ...(two?.created ?? [])]).toHaveLength(6);
    expect([...(one?.duplicates ?? []), ...(two?.duplicates ?? [])]).toHaveLength(6);
    const requests = succeeded(
      await hosts[1].sdk.requests.list(organizationId, {}, { limit: 100 }),
    );
    expect(amountsOf(requests)).toEqual([1000, 2000, 3000, 4000, 5000, 6000]);
    expect(new Set(requests.map((request) => request.claimId)).size).toBe(6);
    expect(await count('remittance', 'organization_id = $1', [organizationId])).toBe(1);
    expect(await count('claim_payment', 'organization_id = $1', [organizationId])).toBe(6);
  });
});

describe('BR-17a: two batch runs at once, on the Stripe simulator', () => {
  let stripe: SimulatedStripe;

  beforeAll(async () => {
    stripe = await simulatedStripe();
  });

  afterAll(async () => {
    await stripe?.close();
  });

  test.each([
    ['one SDK instance running twice', 1],
    ['two SDK instances, each with its own storage', 2],
  ])('%s: three invoices, each request linked to exactly one', async (_, instances) => {
    const hosts = Array.from({ length: instances }, () => instanceOn(database, stripe.gateway()));
    const staff = hosts[0] as Instance;
    const organizationId = await billingOrganization(
      staff.sdk,
      `org_br17a_${instances}`,
      async (accountId) => {
        await stripe.sim.testHelpers.completeOnboarding(accountId);
      },
    );
    const drafts: PaymentRequest[] = [];
    for (const [index, amountMinor] of [5000, 3000, 2500].entries()) {
      const [claimId] = await memberWithClaims(staff.sdk, organizationId, `r${index + 1}`, [
        `PCN-R${index + 1}`,
      ]);
      drafts.push(await draftFor(staff.sdk, organizationId, present(claimId), amountMinor));
    }

    const runs = await Promise.all([
      staff.sdk.batch.runNow(organizationId),
      (hosts[1] ?? staff).sdk.batch.runNow(organizationId),
    ]);

    expect(runs.map((run) => succeeded(run).sent).sort()).toEqual([0, 3]);
    const invoices = stripe.invoicesPerRequest();
    expect(drafts.map((draft) => invoices.get(draft.id))).toEqual([1, 1, 1]);
    const gateway = stripe.gateway();
    const sends = stripe.sendsPerInvoice();
    for (const draft of drafts) {
      const stored = succeeded(await staff.sdk.requests.get(organizationId, draft.id));
      const invoiceId = stored.gateway.invoiceId ?? '';
      const invoice = succeeded(await gateway.getInvoice(invoiceId));

      expect(stored.status).toBe('sent');
      expect([invoice.tags.requestId, invoice.amountDue]).toEqual([draft.id, draft.amount]);
      expect(sends.get(invoiceId)).toBe(1);
    }
  });
});

describe('BR-20: the same webhook event, delivered again and again, is applied once', () => {
  /** A request sent by `staff`, and the signed delivery of its invoice's `invoice.paid`. */
  async function paidDelivery(staff: Instance, organization: string) {
    const organizationId = await organizationOnFake(staff, organization);
    const [claimId] = await memberWithClaims(staff.sdk, organizationId, 'jane', ['PCN-1001']);
    const draft = await draftFor(staff.sdk, organizationId, present(claimId), 5000);
    succeeded(await staff.sdk.batch.runNow(organizationId));
    const sent = succeeded(await staff.sdk.requests.get(organizationId, draft.id));
    const [paid] = gateway.payByCard(sent.gateway.invoiceId ?? '');
    if (paid?.type !== 'invoice.paid') {
      throw new Error(`the fake gateway answered a payment with ${paid?.type}`);
    }

    return {
      organizationId,
      request: sent,
      eventId: paid.id,
      delivery: gateway.signedDelivery(paid),
    };
  }

  /** What the database and the instances hold about the payment afterwards. */
  async function aftermath(
    instances: readonly Instance[],
    paid: Awaited<ReturnType<typeof paidDelivery>>,
  ) {
    const reader = instances[0] as Instance;
    const request = succeeded(await reader.sdk.requests.get(paid.organizationId, paid.request.id));
    const trail = succeeded(
      await reader.sdk.requests.auditTrail(paid.organizationId, paid.request.id),
    );
    return {
      status: request.status,
      amountPaid: request.amountPaid.minor,
      paidEntries: trail.filter((entry) => entry.to === 'paid').length,
      paidNotices: instances.flatMap((instance) =>
        instance.changes.filter(
          (change) => change.requestId === paid.request.id && change.to === 'paid',
        ),
      ).length,
      eventsStored: await count('gateway_event', 'event_id = $1', [paid.eventId]),
    };
  }

  /** Each delivery's outcome; a refused one shows its error code instead. */
  const statusesOf = (outcomes: readonly Result<WebhookOutcome, DomainError>[]) =>
    outcomes.map((outcome) => (outcome.isOk() ? outcome.value.status : outcome.error.code));

  test('twice, twice at once, after a restart, and to a second instance: one change', async () => {
    const first = instanceOn(database, gateway);
    const paid = await paidDelivery(first, 'org_br20');

    const inARow = [
      await first.sdk.webhooks.handle(paid.delivery),
      await first.sdk.webhooks.handle(paid.delivery),
    ];
    const atOnce = await Promise.all([
      first.sdk.webhooks.handle(paid.delivery),
      first.sdk.webhooks.handle(paid.delivery),
    ]);
    // The process restarts: a new storage and a new SDK on the same schema.
    const restarted = instanceOn(database, gateway);
    const afterRestart = await restarted.sdk.webhooks.handle(paid.delivery);
    const second = instanceOn(database, gateway);
    const onSecond = await second.sdk.webhooks.handle(paid.delivery);

    expect(statusesOf([...inARow, ...atOnce, afterRestart, onSecond])).toEqual([
      'applied',
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
    ]);
    expect(await aftermath([first, restarted, second], paid)).toEqual({
      status: 'paid',
      amountPaid: 5000,
      paidEntries: 1,
      paidNotices: 1,
      eventsStored: 1,
    });
  });

  test('first deliveries racing on four instances: one applies, the others see it', async () => {
    const instances = Array.from({ length: 4 }, () => instanceOn(database, gateway));
    const paid = await paidDelivery(instances[0] as Instance, 'org_br20_race');

    const outcomes = await Promise.all(
      instances.map((instance) => instance.sdk.webhooks.handle(paid.delivery)),
    );

    expect(statusesOf(outcomes).sort()).toEqual(['applied', 'duplicate', 'duplicate', 'duplicate']);
    expect(await aftermath(instances, paid)).toEqual({
      status: 'paid',
      amountPaid: 5000,
      paidEntries: 1,
      paidNotices: 1,
      eventsStored: 1,
    });
  });
});
