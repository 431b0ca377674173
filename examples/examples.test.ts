import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createMemberPayments,
  DomainError,
  type MemberPayments,
  type OrganizationSettings,
  type PaymentRequest,
} from '@memberpay/core';
import { ManualClock } from '@memberpay/core/testing';
import { InMemoryStorage } from '@memberpay/storage-memory';
import { StripePaymentGateway } from '@memberpay/stripe-adapter';
import { type StripeSimulator, startStripeSimulator } from '@memberpay/stripe-adapter/simulator';
import { err } from 'neverthrow';
import { check } from 'proper-lockfile';
import { describe, expect, test } from 'vitest';
import { planIngestion } from './ingest-835/plan';
import { runScheduledTick } from './scheduler/tick';
import { openEmbeddedStorage } from './shared/environment';
import { describeFailure } from './shared/failure';
import { startWebhookEndpoint } from './shared/webhook-endpoint';

const root = fileURLToPath(new URL('..', import.meta.url));
const sample = fileURLToPath(new URL('./demo/sample-835.txt', import.meta.url));
const corpus = join(root, '..', 'shared', 'corpus', 'era835');
if (!existsSync(corpus)) {
  console.info('examples: the public 835 ingest test skipped: ../shared/corpus/era835 is absent');
}

function runExample(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(
    process.execPath,
    ['--conditions=@memberpay/source', '--import', 'tsx', script, ...args],
    { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } },
  );
}

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
        runExample('examples/demo/main.ts', [], { MEMBERPAY_DATA_DIR: folder, PORT: '' }),
      );

      for (const run of runs) {
        expect(run.stderr).toBe('');
        expect(run.status).toBe(0);
        expect(run.stdout).toContain('   9 claim payments read; 6 requests created as drafts.');
        expect(run.stdout).toContain(
          'Stripe sent invoice.sent for 6 invoices: verified and applied.',
        );
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

  test('a data folder open once is refused to a second opener, in one line', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'memberpay-lock-'));
    try {
      const first = await openEmbeddedStorage(folder);
      const second = openEmbeddedStorage(folder);
      await expect(second).rejects.toThrow(
        `${folder} is in use by another process (embedded PGlite allows one at a time): ` +
          'stop that process, or set DATABASE_URL to a PostgreSQL server',
      );

      await first.close();
      expect(await check(folder)).toBe(false);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test('an example that fails says why in one line and exits 1', () => {
    const run = runExample('examples/ingest-835/main.ts', ['no-such-file.835']);

    expect(run.stderr).toBe("error: ENOENT: no such file or directory, open 'no-such-file.835'\n");
    expect(run.status).toBe(1);
  });

  test('a failure is told as its code, its message and what caused it', () => {
    const cause = Object.assign(new Error('connection lost'), {
      detail: new Error('getaddrinfo ENOTFOUND api.stripe.com'),
    });
    const error = new DomainError(
      'GATEWAY.FAILED',
      'The gateway failed: connection lost',
      {},
      cause,
    );
    let thrown: unknown;
    try {
      err(error)._unsafeUnwrap();
    } catch (caught) {
      thrown = caught;
    }

    expect(describeFailure(error)).toBe(
      'GATEWAY.FAILED: The gateway failed: connection lost (getaddrinfo ENOTFOUND api.stripe.com)',
    );
    expect(describeFailure(thrown)).toBe(describeFailure(error));
  });

  test('the webhook endpoint names a busy port, and logs each delivery it refuses', async () => {
    const lines: string[] = [];
    const first = await startWebhookEndpoint({ log: (line) => lines.push(line) });
    const port = Number(new URL(first.url).port);
    try {
      await expect(startWebhookEndpoint({ port })).rejects.toThrow(
        `Port ${port} on 127.0.0.1 is already in use`,
      );

      first.serve(
        createMemberPayments({
          storage: new InMemoryStorage(),
          gateway: new StripePaymentGateway({ secretKey: 'sk_test_x', webhookSecrets: [] }),
        }),
      );
      const response = await fetch(first.url, {
        method: 'POST',
        headers: { 'stripe-signature': 't=1,v1=00' },
        body: '{}',
      });

      expect(response.status).toBe(400);
      expect(lines).toEqual([
        'webhook delivery refused (400): No webhook signing secret is configured; ' +
          'check STRIPE_WEBHOOK_SECRET',
      ]);
      expect(first.refusedCount).toBe(1);
    } finally {
      await first.close();
    }
  });
});
