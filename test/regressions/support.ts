import {
  type ClaimPaymentInput,
  createMemberPayments,
  type DomainError,
  type PaymentGatewayPort,
  type PaymentRequest,
  StorageError,
  type StoragePort,
  type UnitOfWork,
} from '@memberpay/core';
import {
  aClaimPaymentInput,
  aRemittanceInput,
  aReversalInput,
  FakePaymentGateway,
  ManualClock,
  SequentialIds,
} from '@memberpay/core/testing';
import { InMemoryStorage } from '@memberpay/storage-memory';
import { type Result, ResultAsync } from 'neverthrow';
import { expect } from 'vitest';
import { aWorld, org, type World } from '../support/world';

export const ORG = org('org_1');

/** A processed claim payment for `patientControlNumber`; the member owes `owed` cents. */
export const claimPayment = aClaimPaymentInput;

/** The payer takes back an earlier claim payment: every amount negated (CLP02 22). */
export const reversal = aReversalInput;

/** A remittance of the test payer with these claim payments. */
export const remittance = aRemittanceInput;

/** An organization that bills from remittances, with one member and claim per control number. */
export async function clinicWithClaims(
  patientControlNumbers: readonly string[],
  world: World = aWorld(),
): Promise<World> {
  await world.organization('org_1', { generateFromRemittance: true });
  for (const patientControlNumber of patientControlNumbers) {
    const someone = await world.member('org_1');
    await world.claim('org_1', someone.id, { patientControlNumber });
  }

  return world;
}

export async function requestsOf(world: World) {
  return (
    await world.sdk.requests.list(ORG, { includeDeleted: true }, { limit: 100 })
  )._unsafeUnwrap();
}

/** The member pays the invoice by card and every event reaches the webhook. */
/** Ingests one remittance of the test payer with these claim payments; it must succeed. */
export async function ingestClaimPayments(
  world: World,
  trace: string,
  claimPayments: ClaimPaymentInput[],
  options: { dryRun?: boolean } = {},
) {
  return (
    await world.sdk.remittances.ingest(ORG, remittance(trace, claimPayments), options)
  )._unsafeUnwrap();
}

export async function claimOf(world: World, patientControlNumber: string) {
  return (
    await world.sdk.claims.findByPatientControlNumber(ORG, patientControlNumber)
  )._unsafeUnwrap();
}

/** The notes on a request's audit trail (holds, visit payments), oldest first. */
export async function notesOn(world: World, requestId: string) {
  const trail = (await world.sdk.requests.auditTrail(ORG, requestId))._unsafeUnwrap();
  return trail.filter((entry) => entry.action === 'note');
}

/** What the requests still ask of the member, less what was given back. */
export async function stillBilled(world: World): Promise<number> {
  return (await requestsOf(world))
    .filter((request) => request.status !== 'canceled' && request.status !== 'refunded')
    .reduce((total, request) => total + request.amount.minor - request.amountRefunded.minor, 0);
}

/**
 * A clinic with claim PCN-1, for which a first remittance billed `owed` cents and the batch
 * sent the invoice; returns the sent request.
 */
export async function sentClaim(owed = 5000) {
  const world = await clinicWithClaims(['PCN-1']);
  await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', owed)]);
  await world.sdk.batch.runNow(ORG);
  const [sent] = await requestsOf(world);
  expect(sent?.status).toBe('sent');
  return { world, sent: sent as PaymentRequest };
}

/**
 * A clinic with claim PCN-1, whose member paid the 50.00 a first remittance billed, and whose
 * refunds succeed at once; returns the paid request.
 */
export async function paidClaim() {
  const world = await clinicWithClaims(['PCN-1']);
  world.gateway.refundsStartAs = 'succeeded';
  await ingestClaimPayments(world, 'T1', [claimPayment('PCN-1', 5000)]);
  const [paid] = await requestsOf(world);
  await sendAndPay(world, paid?.id as string);
  return { world, paid: await world.request('org_1', paid?.id as string) };
}

export async function payInFull(world: World, invoiceId: string): Promise<void> {
  for (const event of world.gateway.payByCard(invoiceId)) {
    await world.deliver(event);
  }
}

/** Sends every draft, then the member pays the one invoice of `requestId`. */
export async function sendAndPay(world: World, requestId: string): Promise<string> {
  await world.sdk.batch.runNow(ORG);
  const invoiceId = (await world.request('org_1', requestId)).gateway.invoiceId as string;
  await payInFull(world, invoiceId);
  return invoiceId;
}

export function refundedMinor(world: World): number {
  return world.gateway
    .refunds()
    .filter((refund) => refund.status !== 'failed' && refund.status !== 'canceled')
    .reduce((total, refund) => total + refund.amount.minor, 0);
}

/**
 * In-memory storage whose next writes of a payment request can be made to fail as if the
 * database had gone away for a moment (`STORAGE.UNAVAILABLE`) or another writer had changed
 * the row first (`STORAGE.CONFLICT`), to see what a unit of work leaves behind.
 */
export class FlakyStorage implements StoragePort {
  readonly #inner = new InMemoryStorage();
  /** Request updates to let through before the ones that fail. */
  #passBeforeFailing = 0;
  #failures = 0;
  #kind: 'unavailable' | 'conflict' = 'unavailable';

  /** The next `count` request updates fail, after `after` more succeed. */
  failRequestUpdates(
    count: number,
    options: { after?: number; kind?: 'unavailable' | 'conflict' } = {},
  ): void {
    this.#failures = count;
    this.#passBeforeFailing = options.after ?? 0;
    this.#kind = options.kind ?? 'unavailable';
  }

  transaction<T, E extends DomainError>(
    work: (tx: UnitOfWork) => Promise<Result<T, E>>,
  ): ResultAsync<T, E | DomainError> {
    return this.#inner.transaction((tx) => work(this.#flaky(tx)));
  }

  #flaky(tx: UnitOfWork): UnitOfWork {
    const requests = tx.requests;
    return {
      ...tx,
      requests: {
        ...requests,
        update: async (request) => {
          if (this.#failures > 0 && this.#passBeforeFailing === 0) {
            this.#failures -= 1;
            throw new StorageError(this.#kind, 'payment_request', `injected ${this.#kind}`);
          }

          if (this.#failures > 0) {
            this.#passBeforeFailing -= 1;
          }

          return requests.update(request);
        },
      },
    };
  }
}

type GatewayMethod = Exclude<keyof PaymentGatewayPort, 'verifyWebhook'>;

/** Runs before the gateway call it is set for, with the call's arguments; may await anything. */
export type GatewayHook = (...args: never[]) => Promise<void>;

/**
 * The SDK on the fake gateway, with hooks that run before chosen gateway calls: how a test puts
 * a webhook delivery or a staff action in the middle of a batch step, as real timing can.
 */
export async function aHookedWorld() {
  const clock = new ManualClock('2024-01-10T15:00:00.000Z');
  const fake = new FakePaymentGateway({ now: () => clock.now() });
  const hooks = new Map<GatewayMethod, GatewayHook>();
  const port = new Proxy(fake, {
    get: (target, property, receiver) => {
      const member = Reflect.get(target, property, receiver);
      if (typeof member !== 'function') {
        return member;
      }

      const hook = hooks.get(property as GatewayMethod);
      if (!hook) {
        return member.bind(target);
      }

      return (...args: never[]) => {
        hooks.delete(property as GatewayMethod);
        return new ResultAsync(hook(...args).then(() => member.apply(target, args)));
      };
    },
  }) as PaymentGatewayPort;
  const sdk = createMemberPayments({
    storage: new InMemoryStorage(),
    gateway: port,
    clock,
    ids: new SequentialIds(),
  });
  const deliver = async (event: Parameters<FakePaymentGateway['signedDelivery']>[0]) =>
    sdk.webhooks.handle(fake.signedDelivery(event));

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
  await deliver(fake.completeOnboarding(onboarding._unsafeUnwrap().accountId));

  let drafts = 0;
  const draft = async (amount: string) => {
    drafts += 1;
    const member = await sdk.members.create(ORG, { name: 'Jane Doe', email: 'jane@example.test' });
    const claim = await sdk.claims.create(ORG, {
      memberId: member._unsafeUnwrap().id,
      patientControlNumber: `PCN-${drafts}`,
      dateOfService: '2024-01-02',
      chargeAmount: '200.00',
    });
    return (
      await sdk.requests.create(ORG, {
        claimId: claim._unsafeUnwrap().id,
        internalId: `INV-${drafts}`,
        amount,
        createdBy: 'staff_1',
      })
    )._unsafeUnwrap();
  };

  /** The next call of `method` first runs `hook` (once). */
  const before = (method: GatewayMethod, hook: GatewayHook) => {
    hooks.set(method, hook);
  };

  return { sdk, clock, gateway: fake, deliver, draft, before };
}
