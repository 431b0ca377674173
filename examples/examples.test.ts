import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createMemberPayments,
  type MemberPayments,
  type OrganizationSettings,
  type PaymentRequest,
} from '@memberpay/core';
import { ManualClock } from '@memberpay/core/testing';
import { InMemoryStorage } from '@memberpay/storage-memory';
import { StripePaymentGateway } from '@memberpay/stripe-adapter';
import { type StripeSimulator, startStripeSimulator } from '@memberpay/stripe-adapter/simulator';
import { describe, expect, test } from 'vitest';
import { planIngestion } from './ingest-835/plan';
import { runScheduledTick } from './scheduler/tick';
import { startWebhookEndpoint } from './shared/webhook-endpoint';

const root = fileURLToPath(new URL('..', import.meta.url));
const sample = fileURLToPath(new URL('./demo/sample-835.txt', import.meta.url));
const corpus = join(root, '..', 'shared', 'corpus', 'era835');

async function simulatorGateway(clock?: ManualClock) {
  const sim = await startStripeSimulator({ port: 0, ...(clock ? { clock } : {}) });
  const endpoint = await startWebhookEndpoint();
  const platform = sim.webhooks.addEndpoint({ url: endpoint.url });
  const connect = sim.webhooks.addEndpoint({ url: endpoint.url, connect: true });
  const gateway = new StripePaymentGateway({
    secretKey: sim.apiKey,
    api: sim.stripeOptions,
    webhookSecrets: [platform.secret, connect.secret],
    maxRequestsPerSecond: null,
    clock: sim.clock,
  });
  return { sim, endpoint, gateway };
}

/** An onboarded clinic (member payments on) with one member, one claim and a 20.00 draft. */
async function clinicWithADraft(
  sdk: MemberPayments,
  sim: StripeSimulator,
  org: string,
  settings: Partial<OrganizationSettings>,
): Promise<PaymentRequest> {
  await sdk.organizations.create({
    id: org,
    name: 'Clinic',
    timeZone: 'America/New_York',
    settings: { memberPaymentsEnabled: true, ...settings },
  });
  const link = await sdk.organizations.startPayoutOnboarding(org, {
    refreshUrl: 'https://c.example/r',
    returnUrl: 'https://c.example/r',
  });
  await sim.testHelpers.completeOnboarding(link._unsafeUnwrap().accountId);
  await sim.webhooks.drain();
  const member = await sdk.members.create(org, { name: 'Jane Doe', email: 'jane@example.test' });
  const claim = await sdk.claims.create(org, {
    memberId: member._unsafeUnwrap().id,
    patientControlNumber: 'PCN-1',
    dateOfService: '2024-01-02',
    chargeAmount: '100.00',
  });
  const request = await sdk.requests.create(org, {
    claimId: claim._unsafeUnwrap().id,
    internalId: 'INV-1',
    amount: '20.00',
    createdBy: 'staff',
  });
  return request._unsafeUnwrap();
}

describe('examples', () => {
  test('the demo runs to the end on the shipped sample, twice in the same data folder', () => {
    const folder = mkdtempSync(join(tmpdir(), 'memberpay-demo-'));
    try {
      const runs = [1, 2].map(() =>
        spawnSync(
          process.execPath,
          ['--conditions=@memberpay/source', '--import', 'tsx', 'examples/demo/main.ts'],
          { cwd: root, encoding: 'utf8', env: { ...process.env, MEMBERPAY_DATA_DIR: folder } },
        ),
      );

      for (const run of runs) {
        expect(run.stderr).toBe('');
        expect(run.status).toBe(0);
        expect(run.stdout).toContain('Stripe confirmed the refund (refund.updated): refunded.');
        expect(run.stdout).toMatch(
          /Omar Hall +RFC-20002 +2024-01-09 +\$40\.00 +draft \(no_delivery_channel\)/,
        );
        expect(run.stdout).toMatch(/David Chen +RFC-10002 +2024-01-03 +\$150\.00 +paid/);
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 120_000);

  test('the webhook server applies what the local Stripe sends', async () => {
    const { sim, endpoint, gateway } = await simulatorGateway();
    const sdk = createMemberPayments({ storage: new InMemoryStorage(), gateway });
    endpoint.serve(sdk);
    try {
      const org = 'org_1';
      const request = await clinicWithADraft(sdk, sim, org, {});
      await sdk.batch.runNow(org);
      const sent = (await sdk.requests.get(org, request.id))._unsafeUnwrap();

      await sim.testHelpers.payInvoiceWithCard(sent.gateway.invoiceId as string);
      await sim.webhooks.drain();

      expect((await sdk.organizations.get(org))._unsafeUnwrap().payoutAccount.state).toBe('active');
      expect((await sdk.requests.get(org, request.id))._unsafeUnwrap().status).toBe('paid');
      expect(sim.webhooks.deliveries().every((delivery) => delivery.status === 200)).toBe(true);
    } finally {
      await endpoint.close();
      await sim.close();
    }
  });

  test('the ingest script tells what the shipped sample would create', async () => {
    const plan = await planIngestion(sample);

    const created = plan.reports.flatMap((report) =>
      report.created.map((item) => [item.patientControlNumber, item.amountMinor]),
    );
    expect(created).toEqual([
      ['RFC-10001', 2500],
      ['RFC-10002', 15000],
      ['RFC-10005', 2000],
      ['RFC-20001', 4400],
      ['RFC-20002', 4000],
      ['RFC-20003', 1500],
    ]);
    expect(plan.reports.flatMap((report) => report.skipped.map((item) => item.statusCode))).toEqual(
      ['4', '19', '22'],
    );
    expect(plan.diagnostics).toEqual([]);
  });

  test.skipIf(!existsSync(corpus))(
    'the ingest script reads a public 835 (skipped without ../shared)',
    async () => {
      const plan = await planIngestion(join(corpus, 'LinuxForHealth__x12', 'managed-care.835'));

      expect(plan.reports[0]?.created.map((item) => item.amountMinor)).toEqual([30000, 60000]);
    },
  );

  test('the scheduler tick sends an organization’s drafts after its local batch time', async () => {
    const clock = new ManualClock('2024-01-10T06:00:00.000Z');
    const { sim, endpoint, gateway } = await simulatorGateway(clock);
    const storage = new InMemoryStorage();
    const sdk = createMemberPayments({ storage, gateway, clock });
    endpoint.serve(sdk);
    try {
      const org = 'org_1';
      await clinicWithADraft(sdk, sim, org, { batchHour: 2, batchMinute: 0 });

      const early = await runScheduledTick({ storage, gateway, clock });
      clock.set('2024-01-10T07:05:00.000Z');
      const due = await runScheduledTick({ storage, gateway, clock });
      const again = await runScheduledTick({ storage, gateway, clock });

      expect(early.batches).toEqual([]);
      expect(due.batches.map((batch) => batch.sent)).toEqual([1]);
      expect(again.batches).toEqual([]);
    } finally {
      await endpoint.close();
      await sim.close();
    }
  });
});
