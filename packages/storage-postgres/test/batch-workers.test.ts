import type { OrganizationId, PaymentRequest } from '@memberpay/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  billingOrganization,
  draftFor,
  type Instance,
  instanceOn,
  memberWithClaims,
  type SimulatedStripe,
  simulatedStripe,
  succeeded,
} from './support/sdk';
import { chooseBackend, openTestDatabase, type TestDatabase } from './support/test-database';

const backend = await chooseBackend();

const WORKERS = 4;
const MEMBERS = 18;

describe.runIf(backend === 'server')(
  'four batch workers at once (needs the PostgreSQL server)',
  () => {
    let database: TestDatabase;
    let stripe: SimulatedStripe;
    let workers: Instance[];
    let organizationId: OrganizationId;
    const drafts: PaymentRequest[] = [];

    beforeAll(async () => {
      database = await openTestDatabase(backend);
      stripe = await simulatedStripe();
      // Four hosts: each its own pool on the same schema, its own gateway, small pages so that
      // the workers take turns at the queue instead of one of them claiming everything.
      workers = Array.from({ length: WORKERS }, () =>
        instanceOn(database, stripe.gateway(), { pageSize: 3, concurrency: 2 }),
      );
      const staff = workers[0] as Instance;
      organizationId = await billingOrganization(staff.sdk, 'org_1', async (accountId) => {
        await stripe.sim.testHelpers.completeOnboarding(accountId);
      });

      // One to three claims per member, so requests of one member (one customer) go out at once.
      for (let member = 0; member < MEMBERS; member += 1) {
        const claimCount = (member % 3) + 1;
        const patientControlNumbers = Array.from(
          { length: claimCount },
          (_, claim) => `PCN-${member}-${claim}`,
        );
        const claims = await memberWithClaims(
          staff.sdk,
          organizationId,
          `member${member}`,
          patientControlNumbers,
        );
        for (const claimId of claims) {
          drafts.push(
            await draftFor(staff.sdk, organizationId, claimId, 1000 + drafts.length * 25),
          );
        }
      }
    });

    afterAll(async () => {
      await stripe?.close();
      await database?.close();
    });

    test('run the same organization at once: every request is sent exactly once', async () => {
      // Each worker opens the connections it will use before the race, so that none starts late.
      await Promise.all(
        workers.flatMap((worker) =>
          [1, 2, 3].map(async () => succeeded(await worker.sdk.organizations.get(organizationId))),
        ),
      );

      const reports = await Promise.all(
        workers.map((worker) => worker.sdk.batch.runNow(organizationId)),
      );

      expect(reports.map((report) => (report.isOk() ? 'ok' : report.error.code))).toEqual(
        workers.map(() => 'ok'),
      );
      expect(reports.map((report) => succeeded(report).failed)).toEqual([[], [], [], []]);
      const sent = reports.map((report) => succeeded(report).sent);
      expect(drafts).toHaveLength(36);
      expect(sent.reduce((sum, count) => sum + count, 0)).toBe(drafts.length);
      expect(sent.every((count) => count > 0)).toBe(true);

      const stored = succeeded(
        await (workers[0] as Instance).sdk.requests.list(organizationId, {}, { limit: 100 }),
      );
      const invoiceIds = stored.map((request) => request.gateway.invoiceId);
      expect(stored.map((request) => request.status)).toEqual(drafts.map(() => 'sent'));
      expect(new Set(invoiceIds).size).toBe(drafts.length);

      expect(Object.fromEntries(stripe.invoicesPerRequest())).toEqual(
        Object.fromEntries(drafts.map((draft) => [draft.id, 1])),
      );
      expect(Object.fromEntries(stripe.sendsPerInvoice())).toEqual(
        Object.fromEntries(invoiceIds.map((invoiceId) => [invoiceId, 1])),
      );
      expect(stripe.sim.events.list({ type: 'customer.created' })).toHaveLength(MEMBERS);

      const gateway = stripe.gateway();
      for (const request of stored) {
        const invoice = succeeded(await gateway.getInvoice(request.gateway.invoiceId ?? ''));
        expect([invoice.tags.requestId, invoice.amountDue, invoice.status]).toEqual([
          request.id,
          request.amount,
          'open',
        ]);
      }

      expect(
        await database.sql(
          `SELECT to_status, count(*)::int AS entries, ` +
            `count(DISTINCT request_id)::int AS requests ` +
            `FROM "${database.schema}".audit_entry WHERE action = 'status_changed' ` +
            'GROUP BY to_status ORDER BY to_status',
        ),
      ).toEqual([
        { to_status: 'sending', entries: drafts.length, requests: drafts.length },
        { to_status: 'sent', entries: drafts.length, requests: drafts.length },
      ]);
    });
  },
);
