/**
 * The overnight batch against the local Stripe with Stripe's test-mode pace: every call takes
 * 50 ms more and the simulator answers 429 beyond 25 requests a second. 1,000 drafts for 500
 * members (two each). Targets: at most 4 gateway calls per request for a new member and 3 for
 * one who already has a customer, at least 90% of the cap sustained, no request left failed,
 * memory that does not grow with the number of drafts.
 *
 * The simulator runs in a process of its own and the requests live in PostgreSQL (when a server
 * answers), so that the heap measured is the batch's own working memory.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { asId, createMemberPayments, type StoragePort } from '@memberpay/core';
import { InMemoryStorage } from '@memberpay/storage-memory';
import { dropSchema, migrate, PostgresStorage } from '@memberpay/storage-postgres';
import { StripePaymentGateway } from '@memberpay/stripe-adapter';
import Stripe from 'stripe';
import { submitForm } from '../examples/demo/browser';
import { mib, printTable, shown, withUser } from './support';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 500);
const PER_MEMBER = 2;
const LATENCY_MS = 50;
const CAP = 25;

/** The simulator's command line, started apart; resolves with its URL once it listens. */
async function startSimulator() {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@memberpay/source',
      '--import',
      'tsx',
      'packages/stripe-adapter/src/simulator/cli.ts',
      '--port',
      '0',
      '--rps',
      String(CAP),
      '--latency-ms',
      String(LATENCY_MS),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const url = /listening on (\S+)/.exec(line)?.[1];
    if (url) {
      return { url: new URL(url), stop: () => child.kill('SIGTERM') };
    }
  }

  throw new Error('the simulator did not start');
}

/** Counts the HTTP requests stripe-node makes, and the 429 answers among them. */
function countingClient() {
  const counts = { requests: 0, rateLimited: 0 };
  const inner = Stripe.createNodeHttpClient();
  const client = Object.create(inner) as typeof inner;
  client.makeRequest = async (...args: Parameters<typeof inner.makeRequest>) => {
    counts.requests += 1;
    const response = await inner.makeRequest(...args);
    counts.rateLimited += response.getStatusCode() === 429 ? 1 : 0;
    return response;
  };
  return { client, counts };
}

async function openStorage(): Promise<{
  storage: StoragePort;
  where: string;
  close: () => Promise<void>;
}> {
  const connectionString = withUser(
    process.env.MEMBERPAY_BENCH_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test',
  );
  const schema = `memberpay_bench_${randomBytes(4).toString('hex')}`;
  const migrated = await migrate({ connectionString, schema });
  if (migrated.isErr()) {
    return {
      storage: new InMemoryStorage(),
      where: 'in memory (no PostgreSQL answered; the heap then holds every request too)',
      close: async () => undefined,
    };
  }

  const storage = new PostgresStorage({ connectionString, schema });
  return {
    storage,
    where: `PostgreSQL at ${shown(connectionString)}`,
    close: async () => {
      await storage.close();
      await dropSchema({ connectionString, schema });
    },
  };
}

const simulator = await startSimulator();
const database = await openStorage();
const { client, counts } = countingClient();
const api = {
  host: simulator.url.hostname,
  port: Number(simulator.url.port),
  protocol: 'http' as const,
};
const stripe = new Stripe('sk_test_memberpay_bench', { ...api, httpClient: client });
const sdk = createMemberPayments({
  storage: database.storage,
  gateway: new StripePaymentGateway({ stripe, mode: 'test' }),
});
const organizationId = asId<'Organization'>(`org_bench_${randomBytes(3).toString('hex')}`);

try {
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
  await submitForm(link._unsafeUnwrap().url, { business_name: 'Bench Clinic' });
  await sdk.organizations.refreshPayoutAccount(organizationId);

  for (let index = 0; index < MEMBERS; index += 1) {
    const member = await sdk.members.create(organizationId, {
      name: `Member ${index}`,
      email: `m${index}@example.test`,
    });
    for (let visit = 0; visit < PER_MEMBER; visit += 1) {
      const claim = await sdk.claims.create(organizationId, {
        memberId: member._unsafeUnwrap().id,
        patientControlNumber: `PCN-${index}-${visit}`,
        dateOfService: '2024-01-02',
        chargeAmount: '100.00',
      });
      await sdk.requests.create(organizationId, {
        claimId: claim._unsafeUnwrap().id,
        internalId: `INV-${index}-${visit}`,
        amount: '25.00',
        createdBy: 'bench',
      });
    }
  }

  counts.requests = 0;
  counts.rateLimited = 0;
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

  const requests = MEMBERS * PER_MEMBER;
  const rate = (counts.requests * 1000) / elapsedMs;
  printTable(
    `Overnight batch: ${requests} drafts, ${MEMBERS} members, +${LATENCY_MS} ms per call, ` +
      `cap ${CAP}/s; storage ${database.where}`,
    [
      { measure: 'sent', value: report.sent, target: String(requests) },
      { measure: 'failed', value: report.failedCount, target: '0' },
      {
        measure: 'HTTP calls per request',
        value: (counts.requests / requests).toFixed(2),
        target: `<= 3.5 (4 for ${MEMBERS} new members, 3 for their second request)`,
      },
      { measure: 'answered 429', value: counts.rateLimited, target: '-' },
      { measure: 'calls per second sustained', value: rate.toFixed(1), target: `>= ${0.9 * CAP}` },
      {
        measure: 'share of the cap',
        value: `${Math.round((rate / CAP) * 100)}%`,
        target: '>= 90%',
      },
      { measure: 'wall time', value: `${(elapsedMs / 1000).toFixed(1)} s`, target: '-' },
      {
        measure: 'heap growth after each 100 sent',
        value: heapSamples.map((bytes) => mib(bytes)).join(', '),
        target: 'flat',
      },
    ],
  );
} finally {
  simulator.stop();
  await database.close();
}
