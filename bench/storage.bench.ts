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
 *
 * The yardstick beside them is the bare driver on the same server: transactions of the shape a
 * create has (BEGIN, two reads, two inserts, COMMIT), as many at a time, with nothing of ours
 * in between. Its rate is the ceiling this machine puts on any create, and it moves from one
 * machine (or day) to the next far more than the ratio to it does.
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
import pg from 'pg';
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

/** The bare driver: COUNT transactions shaped like a create, CONCURRENCY at a time. */
async function measureBareDriver(connectionString: string, schema: string): Promise<Measured> {
  const pool = new pg.Pool({ connectionString, max: CONCURRENCY });
  const table = `"${schema}".bench_yardstick`;
  try {
    await pool.query(`CREATE TABLE ${table} (id text PRIMARY KEY, organization_id text NOT NULL,
      amount_minor bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);

    return await timed(async () => {
      let done = 0;
      await inLanes(Array.from({ length: COUNT }), CONCURRENCY, async (_, index) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
          await client.query(`SELECT count(*) FROM ${table} WHERE id = $1`, ['organization']);
          await client.query(`SELECT count(*) FROM ${table} WHERE id = $1`, [`claim-${index}`]);
          const columns = 'id, organization_id, amount_minor';
          const insert = `INSERT INTO ${table} (${columns}) VALUES ($1, $2, $3)`;
          await client.query(insert, [`request-${index}`, 'organization', 2500]);
          await client.query(insert, [`audit-${index}`, 'organization', 2500]);
          await client.query('COMMIT');
          done += 1;
        } finally {
          client.release();
        }
      });
      return done;
    });
  } finally {
    await pool.end();
  }
}

async function measurePostgres(
  connectionString: string,
): Promise<{ figures: Figures; yardstick: Measured } | null> {
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
    const yardstick = await measureBareDriver(connectionString, schema);
    const figures = await measure(() => {
      const storage = new PostgresStorage({ connectionString, schema, poolSize: POOL_SIZE });
      opened.push(storage);
      return storage;
    });
    return { figures, yardstick };
  } finally {
    await Promise.all(opened.map((storage) => storage.close()));
    (await dropSchema({ connectionString, schema }))._unsafeUnwrap();
  }
}

const databaseUrl = withUser(
  process.env.MEMBERPAY_BENCH_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test',
);
const measured = await measurePostgres(databaseUrl);
const postgres = measured?.figures ?? null;
const memoryStore = new InMemoryStorage();
const memory = await measure(() => memoryStore);

const count = COUNT.toLocaleString('en-US');
const cell = (measure: Measured | null) => {
  if (measure === null) {
    return 'not run';
  }

  const text = `${perSecond(measure.done, measure.ms).toLocaleString('en-US')}/s`;
  return measure.done === COUNT
    ? text
    : `${text} (${measure.done.toLocaleString('en-US')} of ${count} done)`;
};
const rate = (figures: Figures | null, pick: (figures: Figures) => Measured) =>
  cell(figures === null ? null : pick(figures));

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
    {
      measure: 'yardstick: bare pg, create-shaped transactions (6 statements)',
      target: 'the ceiling',
      'storage-memory': '-',
      'storage-postgres': cell(measured?.yardstick ?? null),
    },
  ],
);

if (measured) {
  const { figures, yardstick } = measured;
  const share = (figures.create.ms === 0 ? 0 : yardstick.ms / figures.create.ms) * 100;
  console.log(`PostgreSQL creates run at ${share.toFixed(0)}% of the bare driver's rate here.`);
}
