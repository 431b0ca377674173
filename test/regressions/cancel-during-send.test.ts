import {
  asId,
  createMemberPayments,
  type GatewayInvoice,
  type PaymentGatewayPort,
} from '@memberpay/core';
import { FakePaymentGateway, ManualClock, SequentialIds } from '@memberpay/core/testing';
import { InMemoryStorage } from '@memberpay/storage-memory';
import { type Result, ResultAsync } from 'neverthrow';
import { describe, expect, test } from 'vitest';
import { ORG } from './support';

/**
 * The fake gateway, except that the batch's `sendInvoice` waits at a gate until someone tries
 * to delete the same draft, or the test opens it: the send then reaches the gateway after the
 * cancel began, as it can when two calls cross on the network.
 */
class CrossingGateway {
  readonly fake: FakePaymentGateway;
  readonly port: PaymentGatewayPort;
  readonly sendReached: Promise<void>;
  readonly openGate: () => void;
  #reached: () => void = () => undefined;
  #openGate: () => void = () => undefined;
  #sent: Promise<unknown> = Promise.resolve();

  constructor(clock: ManualClock) {
    this.fake = new FakePaymentGateway({ now: () => clock.now() });
    this.sendReached = new Promise((resolve) => {
      this.#reached = resolve;
    });
    const gate = new Promise<void>((resolve) => {
      this.#openGate = resolve;
    });
    this.openGate = () => this.#openGate();

    const sendInvoice = (input: { invoiceId: string; idempotencyKey: string }) => {
      this.#reached();
      const sent = gate.then(() => this.fake.sendInvoice(input));
      this.#sent = sent;
      return new ResultAsync(sent as Promise<Result<GatewayInvoice, never>>);
    };
    const deleteDraftInvoice = (invoiceId: string) => {
      this.#openGate();
      return new ResultAsync(
        this.#sent.then(() => this.fake.deleteDraftInvoice(invoiceId)),
      ) as ReturnType<PaymentGatewayPort['deleteDraftInvoice']>;
    };

    this.port = new Proxy(this.fake, {
      get: (target, property, receiver) => {
        if (property === 'sendInvoice') {
          return sendInvoice;
        }

        if (property === 'deleteDraftInvoice') {
          return deleteDraftInvoice;
        }

        const member = Reflect.get(target, property, receiver);
        return typeof member === 'function' ? member.bind(target) : member;
      },
    }) as PaymentGatewayPort;
  }
}

describe('cancel while the batch is sending the same request', () => {
  // Cancel found the invoice a draft and tried to delete it just as the batch's send finalized and
  // emailed it; the batch then walks away from the canceled request. The member keeps a payable
  // invoice for a bill staff withdrew.
  test('an invoice sent in the same moment as the cancel ends void, not open', async () => {
    const clock = new ManualClock('2024-01-10T15:00:00.000Z');
    const gateway = new CrossingGateway(clock);
    const sdk = createMemberPayments({
      storage: new InMemoryStorage(),
      gateway: gateway.port,
      clock,
      ids: new SequentialIds(),
    });
    await sdk.organizations.create({
      id: 'org_1',
      name: 'Clinic',
      timeZone: 'America/New_York',
      settings: { memberPaymentsEnabled: true },
    });
    const onboarding = await sdk.organizations.startPayoutOnboarding(ORG, {
      refreshUrl: 'https://clinic.example/refresh',
      returnUrl: 'https://clinic.example/return',
    });
    const ready = gateway.fake.completeOnboarding(onboarding._unsafeUnwrap().accountId);
    await sdk.webhooks.handle(gateway.fake.signedDelivery(ready));
    const member = await sdk.members.create(ORG, { name: 'Jane Doe', email: 'jane@example.test' });
    const claim = await sdk.claims.create(ORG, {
      memberId: member._unsafeUnwrap().id,
      patientControlNumber: 'PCN-1',
      dateOfService: '2024-01-02',
      chargeAmount: '200.00',
    });
    const draft = (
      await sdk.requests.create(ORG, {
        claimId: claim._unsafeUnwrap().id,
        internalId: 'INV-1',
        amount: '50.00',
        createdBy: 'staff_1',
      })
    )._unsafeUnwrap();

    const batch = sdk.batch.runNow(ORG);
    await gateway.sendReached;
    const canceled = await sdk.requests.cancel(ORG, draft.id, 'staff_1');
    gateway.openGate();
    await batch;

    const request = (await sdk.requests.get(ORG, asId(draft.id)))._unsafeUnwrap();
    expect(canceled.isOk()).toBe(true);
    expect(request.status).toBe('canceled');
    expect(gateway.fake.invoices().map((invoice) => invoice.status)).toEqual(['void']);
  });
});
