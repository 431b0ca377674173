/**
 * Storage under load, through the SDK's use cases: storage-postgres on a local server beside
 * storage-memory, with the in-memory gateway (zero latency) so that only storage is measured.
 * - create 10,000 requests (`requests.create`), several at a time as a host serving staff does;
 * - four batch workers (four SDK instances, each with its own storage handle and, on
 *   PostgreSQL, its own pool) run the same organization at once until the 10,000 drafts are sent;
 * - apply 10,000 `invoice.paid` events, signed, through `webhooks.handle`.
 * Targets: 1,000 creates, 500 requests sent and 1,000 events a second. PostgreSQL gets a fresh
 * schema, dropped afterwards; the server is MEMBERPAY_BENCH_DATABASE_URL (default
 * postgres://127.0.0.1:5432/test).
 */
import { randomBytes } from 'node:crypto';
import {
  type ClaimId,
  createMemberPayments,
  type MemberPayments,
  type OrganizationId,
  type StoragePort,
} from '@memberpay/core';
import { FakePaymentGateway } from '@memberpay/core/testing';
import { InMemoryStorage } from '@memberpay/storage-memory';
import { dropSchema, migrate, PostgresStorage } from '@memberpay/storage-postgres';
import { perSecond, printTable, shown, withUser } from './support';

const COUNT = Number(process.env.BENCH_REQUESTS ?? 10_000);
/** Requests a host serves at once: staff creating requests, webhook deliveries. */
const CONCURRENCY = 8;
const WORKERS = 4;
const POOL_SIZE = 10;

interface Measured {
  readonly done: number;
  readonly ms: number;
}

interface Figures {
  readonly create: Measured;
  readonly batch: Measured;
  readonly webhooks: Measured;
}

/** Runs `work` over `items`, at most `lanes` at a time. */
async function inLanes<Item>(
  items: readonly Item[],
  lanes: number,
  work: (item: Item, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      await work(items[index] as Item, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
}

async function timed(work: () => Promise<number>): Promise<Measured> {
  const started = performance.now();
  const done = await work();
  return { done, ms: performance.now() - started };
}

/** An organization ready to bill, with one member and one claim per request to come. */
async function billingOrganization(
  sdk: MemberPayments,
  gateway: FakePaymentGateway,
): Promise<{ organizationId: OrganizationId; claims: ClaimId[] }> {
  const organization = (
    await sdk.organizations.create({
      name: 'Bench Clinic',
      timeZone: 'America/New_York',
      settings: { memberPaymentsEnabled: true },
    })
  )._unsafeUnwrap();
  const link = await sdk.organizations.startPayoutOnboarding(organization.id, {
    refreshUrl: 'https://bench.example/r',
    returnUrl: 'https://bench.example/r',
  });
  await sdk.webhooks.apply(gateway.completeOnboarding(link._unsafeUnwrap().accountId));

  const claims: ClaimId[] = [];
  await inLanes(Array.from({ length: COUNT }), CONCURRENCY, async (_, index) => {
    const member = await sdk.members.create(organization.id, {
      name: `Member ${index}`,
      email: `m${index}@example.test`,
    });
    const claim = await sdk.claims.create(organization.id, {
      memberId: member._unsafeUnwrap().id,
      patientControlNumber: `PCN-${index}`,
      dateOfService: '2024-01-02',
      chargeAmount: '100.00',
    });
    claims.push(claim._unsafeUnwrap().id);
  });
  return { organizationId: organization.id, claims };
}

/** The three measures on one kind of storage; `open` gives what one host process would open. */
async function measure(open: () => StoragePort): Promise<Figures> {
  const gateway = new FakePaymentGateway();
  const sdkOn = (storage: StoragePort) => createMemberPayments({ storage, gateway });
  const staff = sdkOn(open());
  const { organizationId, claims } = await billingOrganization(staff, gateway);

  const create = await timed(async () => {
    let created = 0;
    await inLanes(claims, CONCURRENCY, async (claimId, index) => {
      const request = await staff.requests.create(organizationId, {
        claimId,
        internalId: `INV-${index}`,
        amount: '25.00',
        createdBy: 'bench',
      });
      created += request.isOk() ? 1 : 0;
    });
    return created;
  });

  const workers = Array.from({ length: WORKERS }, () => sdkOn(open()));
  const batch = await timed(async () => {
    const reports = await Promise.all(workers.map((worker) => worker.batch.runNow(organizationId)));
    return reports.reduce((sent, report) => sent + (report.isOk() ? report.value.sent : 0), 0);
  });

  const deliveries = gateway
    .invoices()
    .flatMap((invoice) => gateway.payByCard(invoice.id))
    .map((event) => gateway.signedDelivery(event));
  const webhooks = await timed(async () => {
    let applied = 0;
    await inLanes(deliveries, CONCURRENCY, async (delivery) => {
      const outcome = await staff.webhooks.handle(delivery);
      applied += outcome.isOk() && outcome.value.status === 'applied' ? 1 : 0;
    });
    return applied;
  });

  return { create, batch, webhooks };
}

async function measurePostgres(connectionString: string): Promise<Figures | null> {
  const schema = `memberpay_bench_${randomBytes(4).toString('hex')}`;
  const migrated = await migrate({ connectionString, schema });
  if (migrated.isErr()) {
    console.log(
      `storage-postgres: no usable PostgreSQL at ${shown(connectionString)} ` +
        `(${migrated.error.code}); measuring storage-memory only`,
    );
    return null;
  }

  const opened: PostgresStorage[] = [];
  try {
    return await measure(() => {
      const storage = new PostgresStorage({ connectionString, schema, poolSize: POOL_SIZE });
      opened.push(storage);
      return storage;
    });
  } finally {
    await Promise.all(opened.map((storage) => storage.close()));
    (await dropSchema({ connectionString, schema }))._unsafeUnwrap();
  }
}

const databaseUrl = withUser(
  process.env.MEMBERPAY_BENCH_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test',
);
const postgres = await measurePostgres(databaseUrl);
const memoryStore = new InMemoryStorage();
const memory = await measure(() => memoryStore);

const count = COUNT.toLocaleString('en-US');
const rate = (figures: Figures | null, pick: (figures: Figures) => Measured) => {
  if (figures === null) {
    return 'not run';
  }

  const { done, ms } = pick(figures);
  const cell = `${perSecond(done, ms).toLocaleString('en-US')}/s`;
  return done === COUNT ? cell : `${cell} (${done.toLocaleString('en-US')} of ${count} done)`;
};

printTable(
  `Storage through the SDK: ${count} requests; creates and webhook deliveries ` +
    `${CONCURRENCY} at a time; ${WORKERS} batch workers, each its own SDK and storage ` +
    `(PostgreSQL pool of ${POOL_SIZE} each) at ${shown(databaseUrl)}`,
  [
    {
      measure: `create ${count} requests`,
      target: '>= 1,000/s',
      'storage-memory': rate(memory, (figures) => figures.create),
      'storage-postgres': rate(postgres, (figures) => figures.create),
    },
    {
      measure: `${WORKERS} workers claim and send ${count} drafts`,
      target: '>= 500/s',
      'storage-memory': rate(memory, (figures) => figures.batch),
      'storage-postgres': rate(postgres, (figures) => figures.batch),
    },
    {
      measure: `apply ${count} webhook events`,
      target: '>= 1,000/s',
      'storage-memory': rate(memory, (figures) => figures.webhooks),
      'storage-postgres': rate(postgres, (figures) => figures.webhooks),
    },
  ],
);
