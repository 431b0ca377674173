/**
 * The overnight batch against the local Stripe with Stripe's test-mode pace: every call takes
 * 50 ms more and the simulator answers 429 beyond 25 requests a second. 1,000 drafts for 500
 * members (two each), in memory. Targets: at most 4 gateway calls per request for a new
 * member and 3 for one who already has a customer, at least 90% of the cap sustained, no
 * request left failed, memory that does not grow with the number of drafts.
 */
import { asId, createMemberPayments } from '@memberpay/core';
import { InMemoryStorage } from '@memberpay/storage-memory';
import { StripePaymentGateway } from '@memberpay/stripe-adapter';
import { startStripeSimulator } from '@memberpay/stripe-adapter/simulator';
import { mib, printTable } from './support';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 500);
const PER_MEMBER = 2;
const LATENCY_MS = 50;
const CAP = 25;

const sim = await startStripeSimulator({ port: 0, latencyMs: 0 });
const gateway = new StripePaymentGateway({ secretKey: sim.apiKey, api: sim.stripeOptions });
const storage = new InMemoryStorage();
const sdk = createMemberPayments({ storage, gateway });
const organizationId = asId<'Organization'>('org_bench');

await sdk.organizations.create({
  id: organizationId,
  name: 'Bench Clinic',
  timeZone: 'America/New_York',
  settings: { memberPaymentsEnabled: true },
});
const link = (
  await sdk.organizations.startPayoutOnboarding(organizationId, {
    refreshUrl: 'https://bench.example/r',
    returnUrl: 'https://bench.example/r',
  })
)._unsafeUnwrap();
await sim.testHelpers.completeOnboarding(link.accountId);
await sdk.organizations.refreshPayoutAccount(organizationId);

for (let index = 0; index < MEMBERS; index += 1) {
  const member = (
    await sdk.members.create(organizationId, {
      name: `Member ${index}`,
      email: `m${index}@example.test`,
    })
  )._unsafeUnwrap();
  for (let visit = 0; visit < PER_MEMBER; visit += 1) {
    const claim = (
      await sdk.claims.create(organizationId, {
        memberId: member.id,
        patientControlNumber: `PCN-${index}-${visit}`,
        dateOfService: '2024-01-02',
        chargeAmount: '100.00',
      })
    )._unsafeUnwrap();
    await sdk.requests.create(organizationId, {
      claimId: claim.id,
      internalId: `INV-${index}-${visit}`,
      amount: '25.00',
      createdBy: 'bench',
    });
  }
}

sim.calls.reset();
sim.faults.setLatency(LATENCY_MS);
sim.faults.setRateLimit(CAP);
globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const heapSamples: number[] = [];

const started = performance.now();
const report = (
  await sdk.batch.runNow(organizationId, {
    onProgress: ({ processed }) => {
      if (processed % 100 === 0) {
        globalThis.gc?.();
        heapSamples.push(process.memoryUsage().heapUsed - heapBefore);
      }
    },
  })
)._unsafeUnwrap();
const elapsedMs = performance.now() - started;

const byRoute = sim.calls.byRoute();
const httpCalls = sim.calls.count();
const rejected = sim.calls.list().filter((call) => call.status === 429).length;
const requests = MEMBERS * PER_MEMBER;
const rate = (httpCalls * 1000) / elapsedMs;
await sim.close();

printTable(
  `Overnight batch: ${requests} drafts, ${MEMBERS} members, +${LATENCY_MS} ms per call, cap ${CAP}/s`,
  [
    { measure: 'sent', value: report.sent, target: String(requests) },
    { measure: 'failed', value: report.failedCount, target: '0' },
    {
      measure: 'customers created (1 call each)',
      value: byRoute['POST /v1/customers'] ?? 0,
      target: String(MEMBERS),
    },
    {
      measure: 'invoices + items + sends',
      value:
        (byRoute['POST /v1/invoices'] ?? 0) +
        (byRoute['POST /v1/invoiceitems'] ?? 0) +
        (byRoute['POST /v1/invoices/:id/send'] ?? 0),
      target: String(3 * requests),
    },
    {
      measure: 'HTTP calls per request',
      value: (httpCalls / requests).toFixed(2),
      target: '<= 3.5 (4 new, 3 known)',
    },
    { measure: 'answered 429', value: rejected, target: '-' },
    {
      measure: 'calls per second sustained',
      value: rate.toFixed(1),
      target: `>= ${(0.9 * CAP).toFixed(1)}`,
    },
    { measure: 'share of the cap', value: `${Math.round((rate / CAP) * 100)}%`, target: '>= 90%' },
    { measure: 'wall time', value: `${(elapsedMs / 1000).toFixed(1)} s`, target: '-' },
    {
      measure: 'heap growth during the run (per 100 sent)',
      value: heapSamples.map((bytes) => mib(bytes)).join(', '),
      target: 'flat',
    },
  ],
);
