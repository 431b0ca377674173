import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { PGlite } from '@electric-sql/pglite';
import type { LoggerPort, PaymentGatewayPort, StoragePort } from '@memberpay/core';
import { migrate, PostgresStorage } from '@memberpay/storage-postgres';
import { StripePaymentGateway } from '@memberpay/stripe-adapter';
import { type StripeSimulator, startStripeSimulator } from '@memberpay/stripe-adapter/simulator';
import Stripe from 'stripe';

export interface OpenedStorage {
  readonly storage: StoragePort;
  /** Where the data lives, for people. */
  readonly where: string;
  close(): Promise<void>;
}

/**
 * PostgreSQL from `DATABASE_URL` when it is set; otherwise an embedded PostgreSQL (PGlite)
 * kept in `folder`. Migrations are applied either way.
 */
export async function openStorage(folder: string, logger?: LoggerPort): Promise<OpenedStorage> {
  const connectionString = withUser(process.env.DATABASE_URL);
  if (connectionString) {
    (await migrate({ connectionString }))._unsafeUnwrap();
    const storage = new PostgresStorage({ connectionString, ...(logger ? { logger } : {}) });
    return {
      storage,
      where: `PostgreSQL at ${new URL(connectionString).host}`,
      close: () => storage.close(),
    };
  }

  mkdirSync(folder, { recursive: true });
  const pglite = await PGlite.create(folder);
  (await migrate({ pglite }))._unsafeUnwrap();
  return {
    storage: new PostgresStorage({ pglite, ...(logger ? { logger } : {}) }),
    where: `embedded PostgreSQL (PGlite) in ${folder}`,
    close: () => pglite.close(),
  };
}

/**
 * node-postgres takes the user name from `USER` when the URL has none; where that is unset too
 * (a container), the operating system's user name is the sensible default.
 */
function withUser(connectionString: string | undefined): string | undefined {
  if (!connectionString) {
    return connectionString;
  }

  const url = new URL(connectionString);
  if (!url.username && !process.env.PGUSER && !process.env.USER) {
    url.username = userInfo().username;
  }

  return url.toString();
}

export interface OpenedStripe {
  readonly gateway: PaymentGatewayPort;
  /** A plain client, for what a host does outside the SDK (webhook endpoints, the Dashboard). */
  readonly stripe: Stripe;
  /** The local Stripe, when no `STRIPE_SECRET_KEY` is set. */
  readonly simulator: StripeSimulator | null;
  readonly where: string;
  close(): Promise<void>;
}

/**
 * Real Stripe (test mode) when `STRIPE_SECRET_KEY` is set, with `STRIPE_WEBHOOK_SECRET`
 * from `stripe listen --forward-to <webhookUrl>`; otherwise the local simulator, with two
 * webhook endpoints (platform and Connect) delivering to `webhookUrl`.
 */
export async function openStripe(webhookUrl: string): Promise<OpenedStripe> {
  // A simulator started apart (`pnpm stripe-sim`) takes any test key.
  const secretKey =
    process.env.STRIPE_SECRET_KEY ??
    (process.env.STRIPE_API_BASE ? 'sk_test_memberpay_local' : undefined);
  if (secretKey) {
    if (!secretKey.startsWith('sk_test_')) {
      throw new Error('STRIPE_SECRET_KEY must be a test-mode key (sk_test_...) for examples');
    }

    const webhookSecrets = (process.env.STRIPE_WEBHOOK_SECRET ?? '').split(',').filter(Boolean);
    const api = apiFromEnvironment();
    return {
      gateway: new StripePaymentGateway({ secretKey, webhookSecrets, ...(api ? { api } : {}) }),
      stripe: new Stripe(secretKey, api ?? {}),
      simulator: null,
      where: api ? `the Stripe API at ${process.env.STRIPE_API_BASE}` : 'Stripe (test mode)',
      close: async () => undefined,
    };
  }

  // Bank payments and refunds take a moment to settle, as they do at Stripe (much longer there).
  const simulator = await startStripeSimulator({
    port: 0,
    bankSettlementDelayMs: 1500,
    refunds: { startPending: true, settleAfterMs: 1000 },
  });
  const platform = simulator.webhooks.addEndpoint({ url: webhookUrl });
  const connect = simulator.webhooks.addEndpoint({ url: webhookUrl, connect: true });
  return {
    gateway: new StripePaymentGateway({
      secretKey: simulator.apiKey,
      api: simulator.stripeOptions,
      webhookSecrets: [platform.secret, connect.secret],
    }),
    stripe: new Stripe(simulator.apiKey, simulator.stripeOptions),
    simulator,
    where: `the local Stripe simulator at ${simulator.url}`,
    close: () => simulator.close(),
  };
}

/**
 * `STRIPE_API_BASE` points the gateway somewhere other than api.stripe.com, for example at a
 * simulator started with `pnpm stripe-sim`.
 */
export function apiFromEnvironment(): {
  readonly host: string;
  readonly port: number;
  readonly protocol: 'http' | 'https';
} | null {
  const base = process.env.STRIPE_API_BASE;
  if (!base) {
    return null;
  }

  const url = new URL(base);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return {
    host: url.hostname,
    port: Number(url.port || (protocol === 'http' ? 80 : 443)),
    protocol,
  };
}
