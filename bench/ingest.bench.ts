/**
 * Remittance automation at scale: the 100 MB file from gen835 streamed through the parser,
 * mapped transaction by transaction, and ingested into in-memory storage with every claim
 * matched. Target: at least 20,000 claim payments a second, with the parser holding one
 * transaction set at a time rather than the file.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asId, createMemberPayments } from '@memberpay/core';
import { FakePaymentGateway } from '@memberpay/core/testing';
import { stream835 } from '@memberpay/era-835';
import { toRemittanceInput } from '@memberpay/era-835/memberpay';
import { InMemoryStorage } from '@memberpay/storage-memory';
import { mib, perSecond, printTable } from './support';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const GENERATOR = join(ROOT, '../shared/tools/gen835.mjs');
const FILE = join(ROOT, process.env.BENCH_835 ?? '.bench/era835-100M.835');
const MEMBERS = 5_000;

if (!existsSync(FILE)) {
  if (!existsSync(GENERATOR)) {
    console.log('ingest: ../shared/tools/gen835.mjs is absent; benchmark skipped');
    process.exit(0);
  }

  mkdirSync(join(ROOT, '.bench'), { recursive: true });
  spawnSync(process.execPath, [GENERATOR, '--size', '100M', '--out', FILE], { stdio: 'inherit' });
}

const sdk = createMemberPayments({
  storage: new InMemoryStorage(),
  gateway: new FakePaymentGateway(),
});
const organizationId = asId<'Organization'>('org_bench');
await sdk.organizations.create({
  id: organizationId,
  name: 'Bench Clinic',
  timeZone: 'America/New_York',
  settings: { memberPaymentsEnabled: true, generateFromRemittance: true },
});

// Setup, not measured: the claims the host already has, one per patient control number.
const members: string[] = [];
for (let index = 0; index < MEMBERS; index += 1) {
  const member = await sdk.members.create(organizationId, { name: `Member ${index}` });
  members.push(member._unsafeUnwrap().id);
}
const seen = new Set<string>();
for await (const event of stream835(createReadStream(FILE), { unit: 'claim' })) {
  if (event.type !== 'claim' || seen.has(event.claim.patientControlNumber)) {
    continue;
  }

  seen.add(event.claim.patientControlNumber);
  const claim = await sdk.claims.create(organizationId, {
    memberId: members[seen.size % MEMBERS] as string,
    patientControlNumber: event.claim.patientControlNumber,
    dateOfService: '2024-01-02',
    chargeAmount: { minor: Math.abs(event.claim.chargeCents), currency: 'usd' },
  });
  claim._unsafeUnwrap();
}

globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
let claimPayments = 0;
let created = 0;
let largestTransaction = 0;
let peakHeapGrowth = 0;

const started = performance.now();
for await (const event of stream835(createReadStream(FILE))) {
  if (event.type !== 'transaction') {
    continue;
  }

  const remittance = toRemittanceInput(event.transaction);
  if (remittance.isErr()) {
    continue;
  }

  const report = (await sdk.remittances.ingest(organizationId, remittance.value))._unsafeUnwrap();
  claimPayments += remittance.value.claimPayments.length;
  created += report.created.length;
  largestTransaction = Math.max(largestTransaction, remittance.value.claimPayments.length);
  peakHeapGrowth = Math.max(peakHeapGrowth, process.memoryUsage().heapUsed - heapBefore);
}
const elapsed = performance.now() - started;

printTable('Ingesting the 100 MB remittance file (in-memory storage, every claim matched)', [
  { measure: 'claim payments ingested', value: claimPayments, target: '-' },
  { measure: 'requests created', value: created, target: '-' },
  {
    measure: 'claim payments per second',
    value: perSecond(claimPayments, elapsed),
    target: '>= 20,000',
  },
  { measure: 'wall time', value: `${(elapsed / 1000).toFixed(1)} s`, target: '-' },
  {
    measure: 'largest transaction set held at once',
    value: `${largestTransaction} claims`,
    target: 'a page, not the file',
  },
  {
    measure: 'heap growth (the store keeps every request)',
    value: mib(peakHeapGrowth),
    target: 'grows with what is stored only',
  },
]);
