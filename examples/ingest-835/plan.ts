import { readFile } from 'node:fs/promises';
import {
  asId,
  createMemberPayments,
  type IngestReport,
  type RemittanceInput,
} from '@memberpay/core';
import { FakePaymentGateway } from '@memberpay/core/testing';
import { parse835 } from '@memberpay/era-835';
import { toRemittanceInput } from '@memberpay/era-835/memberpay';
import { InMemoryStorage } from '@memberpay/storage-memory';
import { createMatchingRecords } from '../shared/members-from-835';

export interface Plan {
  readonly remittances: readonly RemittanceInput[];
  readonly reports: readonly IngestReport[];
  /** Transaction sets that could not become remittances, and why. */
  readonly refused: readonly string[];
  /** Problems the parser reported, as `code: message`. */
  readonly diagnostics: readonly string[];
}

/**
 * What ingesting an 835 would do for an organization that has claims for every claim payment
 * in it and generates requests from remittances: a dry run, nothing written anywhere.
 */
export async function planIngestion(path: string): Promise<Plan> {
  const document = parse835(await readFile(path));
  if (document.transactions.length === 0) {
    const problem = document.diagnostics[0]?.message ?? 'no 835 transaction set in it';
    throw new Error(`${path} is not an 835 remittance: ${problem}`);
  }

  const remittances: RemittanceInput[] = [];
  const refused: string[] = [];
  for (const transaction of document.transactions) {
    const mapped = toRemittanceInput(transaction);
    if (mapped.isOk()) {
      remittances.push(mapped.value);
    } else {
      refused.push(mapped.error.message);
    }
  }

  const payments = createMemberPayments({
    storage: new InMemoryStorage(),
    gateway: new FakePaymentGateway(),
  });
  const organizationId = asId<'Organization'>('org_preview');
  await payments.organizations.create({
    id: organizationId,
    name: 'Preview',
    timeZone: 'America/New_York',
    settings: { memberPaymentsEnabled: true, generateFromRemittance: true },
  });
  await createMatchingRecords(payments, organizationId, remittances);

  const reports: IngestReport[] = [];
  for (const remittance of remittances) {
    const report = await payments.remittances.ingest(organizationId, remittance, { dryRun: true });
    reports.push(report._unsafeUnwrap());
  }

  // Every problem the parser noted: the file's, each transaction set's and each claim's.
  const diagnostics = [
    ...document.diagnostics,
    ...document.transactions.flatMap((transaction) => [
      ...transaction.diagnostics,
      ...transaction.claims.flatMap((claim) => claim.diagnostics),
    ]),
  ].map((diagnostic) => `${diagnostic.code}: ${diagnostic.message}`);
  return { remittances, reports, refused, diagnostics };
}
