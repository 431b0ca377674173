/**
 * Applying gateway events in memory: 10,000 invoices paid, each delivered as a signed webhook
 * through `webhooks.handle` (verification included). Target: at least 2,000 events a second.
 */
import { asId, createMemberPayments } from '@memberpay/core';
import { FakePaymentGateway, ManualClock, SequentialIds } from '@memberpay/core/testing';
import { InMemoryStorage } from '@memberpay/storage-memory';
import { perSecond, printTable } from './support';

const COUNT = Number(process.env.BENCH_EVENTS ?? 10_000);

const clock = new ManualClock('2024-01-10T15:00:00.000Z');
const gateway = new FakePaymentGateway({ now: () => clock.now() });
const storage = new InMemoryStorage();
const sdk = createMemberPayments({ storage, gateway, clock, ids: new SequentialIds() });
const organizationId = asId<'Organization'>('org_bench');

await sdk.organizations.create({
  id: organizationId,
  name: 'Bench Clinic',
  timeZone: 'America/New_York',
  settings: { memberPaymentsEnabled: true },
});
const link = await sdk.organizations.startPayoutOnboarding(organizationId, {
  refreshUrl: 'https://bench.example/r',
  returnUrl: 'https://bench.example/r',
});
await sdk.webhooks.apply(gateway.completeOnboarding(link._unsafeUnwrap().accountId));

for (let index = 0; index < COUNT; index += 1) {
  const member = await sdk.members.create(organizationId, {
    name: `Member ${index}`,
    email: `m${index}@example.test`,
  });
  const claim = await sdk.claims.create(organizationId, {
    memberId: member._unsafeUnwrap().id,
    patientControlNumber: `PCN-${index}`,
    dateOfService: '2024-01-02',
    chargeAmount: '100.00',
  });
  await sdk.requests.create(organizationId, {
    claimId: claim._unsafeUnwrap().id,
    internalId: `INV-${index}`,
    amount: '25.00',
    createdBy: 'bench',
  });
}
clock.advance(1000);
await sdk.batch.runNow(organizationId);

const deliveries = gateway
  .invoices()
  .flatMap((invoice) => gateway.payByCard(invoice.id))
  .map((event) => gateway.signedDelivery(event));

const started = performance.now();
let applied = 0;
for (const delivery of deliveries) {
  const outcome = await sdk.webhooks.handle(delivery);
  applied += outcome.isOk() && outcome.value.status === 'applied' ? 1 : 0;
}
const elapsed = performance.now() - started;

printTable('Applying webhook events (in memory, signature verified)', [
  {
    events: deliveries.length,
    applied,
    ms: Math.round(elapsed),
    'events/s': perSecond(deliveries.length, elapsed),
    target: '>= 2,000/s',
  },
]);
