import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  asId,
  createMemberPayments,
  type OrganizationSettings,
  type StoragePort,
} from '@memberpay/core';
import { ManualClock, RecordingLogger, SequentialIds } from '@memberpay/core/testing';
import { InMemoryStorage } from '@memberpay/storage-memory';
import {
  readRawBody,
  StripePaymentGateway,
  type StripePaymentGatewayOptions,
} from '@memberpay/stripe-adapter';
import {
  type StripeSimulatorOptions,
  startStripeSimulator,
} from '@memberpay/stripe-adapter/simulator';
import Stripe from 'stripe';

export interface StripeWorldOptions {
  readonly start?: string;
  readonly timeZone?: string;
  readonly simulator?: StripeSimulatorOptions;
  readonly gateway?: Partial<StripePaymentGatewayOptions>;
  readonly storage?: StoragePort;
}

/**
 * The SDK as a host runs it, against the local Stripe: the real adapter over HTTP, and a
 * webhook endpoint on a local port that reads the raw body and hands it to the SDK.
 */
export async function aStripeWorld(options: StripeWorldOptions = {}) {
  const clock = new ManualClock(options.start ?? new Date().toISOString());
  const sim = await startStripeSimulator({
    port: 0,
    clock,
    bankSettlementDelayMs: null,
    ...options.simulator,
  });
  const storage = options.storage ?? new InMemoryStorage();
  const logger = new RecordingLogger();
  const answers: number[] = [];

  let handle: (input: { rawBody: string; signature: string }) => Promise<number> = async () => 503;
  const endpoint = await listen(async (request, response) => {
    const rawBody = await readRawBody(request);
    const signature = String(request.headers['stripe-signature'] ?? '');
    const status = rawBody.isErr() ? 400 : await handle({ rawBody: rawBody.value, signature });
    answers.push(status);
    response.writeHead(status).end();
  });
  const platform = sim.webhooks.addEndpoint({ url: endpoint.url });
  const connect = sim.webhooks.addEndpoint({ url: endpoint.url, connect: true });

  const gateway = new StripePaymentGateway({
    secretKey: sim.apiKey,
    api: sim.stripeOptions,
    maxNetworkRetries: 1,
    maxRequestsPerSecond: null,
    webhookSecrets: [platform.secret, connect.secret],
    clock: sim.clock,
    sleep: async () => undefined,
    ...options.gateway,
  } as StripePaymentGatewayOptions);
  const sdk = createMemberPayments({
    storage,
    gateway,
    clock: sim.clock,
    ids: new SequentialIds(),
    logger,
  });
  handle = async (input) => {
    const outcome = await sdk.webhooks.handle(input);
    if (outcome.isOk()) {
      return 200;
    }

    return outcome.error.code === 'WEBHOOK.INVALID' ? 400 : 500;
  };

  const stripe = new Stripe(sim.apiKey, { ...sim.stripeOptions, maxNetworkRetries: 0 });

  const organization = async (id = 'org_1', settings: Partial<OrganizationSettings> = {}) => {
    await sdk.organizations.create({
      id,
      name: `Clinic ${id}`,
      timeZone: options.timeZone ?? 'America/New_York',
      settings: { memberPaymentsEnabled: true, ...settings },
    });
    const link = (
      await sdk.organizations.startPayoutOnboarding(asId(id), {
        refreshUrl: 'https://clinic.example/refresh',
        returnUrl: 'https://clinic.example/return',
      })
    )._unsafeUnwrap();
    await sim.testHelpers.completeOnboarding(link.accountId, { businessName: `Clinic ${id}` });
    await sim.webhooks.drain();
    return (await sdk.organizations.get(asId(id)))._unsafeUnwrap();
  };

  let members = 0;
  const draft = async (
    organizationId: string,
    amount: string,
    member: { email?: string | null; memberId?: string } = {},
  ) => {
    let memberId = member.memberId;
    if (!memberId) {
      members += 1;
      memberId = (
        await sdk.members.create(asId(organizationId), {
          name: `Member ${members}`,
          email: member.email === undefined ? `member${members}@example.test` : member.email,
          phone: '+15555550100',
        })
      )._unsafeUnwrap().id;
    }

    const suffix = Math.random().toString(36).slice(2, 8);
    const claim = (
      await sdk.claims.create(asId(organizationId), {
        memberId,
        patientControlNumber: `PCN-${organizationId}-${members}-${suffix}`,
        dateOfService: '2024-01-02',
        chargeAmount: '200.00',
      })
    )._unsafeUnwrap();
    return (
      await sdk.requests.create(asId(organizationId), {
        claimId: claim.id,
        internalId: `INV-${claim.id}`,
        amount,
        description: 'Co-pay for your visit',
        createdBy: 'staff_1',
      })
    )._unsafeUnwrap();
  };

  const request = async (organizationId: string, requestId: string) =>
    (await sdk.requests.get(asId(organizationId), asId(requestId)))._unsafeUnwrap();

  return {
    sdk,
    sim,
    stripe,
    gateway,
    storage,
    clock,
    logger,
    answers,
    platformSecret: platform.secret,
    organization,
    draft,
    request,
    /** Waits until every webhook the simulator owes has been delivered and answered. */
    settle: () => sim.webhooks.drain(),
    close: async () => {
      await sim.close();
      await endpoint.close();
    },
  };
}

export type StripeWorld = Awaited<ReturnType<typeof aStripeWorld>>;

async function listen(
  handler: Parameters<typeof createServer>[1],
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
