import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { PGlite } from '@electric-sql/pglite';
import type { LoggerPort, PaymentGatewayPort, StoragePort } from '@memberpay/core';
import { migrate, PostgresStorage } from '@memberpay/storage-postgres';
import { StripePaymentGateway } from '@memberpay/stripe-adapter';
import { type StripeSimulator, startStripeSimulator } from '@memberpay/stripe-adapter/simulator';
import { lock } from 'proper-lockfile';
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
  if (!connectionString) {
    return openEmbeddedStorage(folder, logger);
  }

  const migrated = await migrate({ connectionString });
  if (migrated.isErr()) {
    throw migrated.error;
  }

  const storage = new PostgresStorage({ connectionString, ...(logger ? { logger } : {}) });
  return {
    storage,
    where: `PostgreSQL at ${new URL(connectionString).host}`,
    close: () => storage.close(),
  };
}

/**
 * How long the lock of a process that died without releasing it (killed, crashed) keeps the
 * folder from others. A live process refreshes its lock well within this.
 */
const STALE_LOCK_MS = 10_000;

/**
 * An embedded PostgreSQL (PGlite) in `folder`, migrated. PGlite is single-process: a second
 * process writing the same folder corrupts it. So the folder is locked first (a `.lock` folder
 * beside it), released on close and when the process exits, and refused while another holds it.
 */
export async function openEmbeddedStorage(
  folder: string,
  logger?: LoggerPort,
): Promise<OpenedStorage> {
  try {
    mkdirSync(folder, { recursive: true });
  } catch (cause) {
    throw new Error(`Cannot make the folder ${folder} for the embedded database`, { cause });
  }

  const release = await lockFolder(folder);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(folder);
  } catch (cause) {
    await release();
    throw new Error(
      `Cannot open the embedded database in ${folder}: if it is damaged, delete the folder ` +
        '(its data is lost) or set MEMBERPAY_DATA_DIR to another one',
      { cause },
    );
  }

  const migrated = await migrate({ pglite });
  if (migrated.isErr()) {
    await pglite.close();
    await release();
    throw migrated.error;
  }

  return {
    storage: new PostgresStorage({ pglite, ...(logger ? { logger } : {}) }),
    where: `embedded PostgreSQL (PGlite) in ${folder}`,
    close: async () => {
      await pglite.close();
      await release();
    },
  };
}

async function lockFolder(folder: string): Promise<() => Promise<void>> {
  try {
    return await lock(folder, {
      stale: STALE_LOCK_MS,
      onCompromised: () => {
        throw new Error(
          `Lost the lock on ${folder}: this process stalled and another one took the folder ` +
            'over; stop one of them',
        );
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new Error(
        `${folder} is in use by another process (embedded PGlite allows one at a time): ` +
          'stop that process, or set DATABASE_URL to a PostgreSQL server',
      );
    }

    throw error;
  }
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
  /**
   * Whether the hosted pages (onboarding, invoices) are the simulator's plain forms, which a
   * script can fill in; Stripe's own pages need a person.
   */
  readonly simulatedPages: boolean;
  /** How many webhook signing secrets the gateway verifies deliveries with. */
  readonly webhookSecretCount: number;
  readonly where: string;
  close(): Promise<void>;
}

/** Whether Stripe (real, or a simulator started apart) runs outside this process. */
export function stripeIsExternal(): boolean {
  return Boolean(process.env.STRIPE_SECRET_KEY || process.env.STRIPE_API_BASE);
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
      simulatedPages: api !== null,
      webhookSecretCount: webhookSecrets.length,
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
    simulatedPages: true,
    webhookSecretCount: 2,
    where: `the local Stripe simulator at ${simulator.url}`,
    close: () => simulator.close(),
  };
}

/** The line to warn with when deliveries cannot be verified and will all be refused. */
export function missingSecretWarning(stripe: OpenedStripe): string | null {
  if (stripe.webhookSecretCount > 0) {
    return null;
  }

  return (
    'warning: STRIPE_WEBHOOK_SECRET is not set, so every webhook delivery will be refused ' +
    '(400): set it to the signing secrets that pnpm stripe-sim --forward-to or stripe listen print'
  );
}

/**
 * The webhook endpoint's port: `PORT` when it is set, otherwise `fallback` (0 takes any free
 * port).
 */
export function webhookPort(fallback: number): number {
  const text = process.env.PORT;
  if (text === undefined || text === '') {
    return fallback;
  }

  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT must be a port number from 0 (any free port) to 65535, not ${text}`);
  }

  return port;
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
