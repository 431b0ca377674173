/**
 * `pnpm example:ingest FILE`: reads an 835 and prints, claim by claim, the payment requests
 * ingesting it would create, change or cancel. Writes nothing.
 */
import { formatMoney, money } from '@memberpay/core';
import { exitOnFailure } from '../shared/failure';
import { count } from '../shared/words';
import { planIngestion } from './plan';

exitOnFailure();
const path = process.argv[2];
if (!path) {
  console.error('usage: pnpm example:ingest FILE');
  process.exit(2);
}

const plan = await planIngestion(path);
for (const [index, report] of plan.reports.entries()) {
  const remittance = plan.remittances[index];
  console.log(`\n${remittance?.payerName ?? report.payerId}, trace ${report.traceNumber}`);
  for (const item of report.created) {
    const held = item.hold ? ` (held: ${item.hold})` : '';
    console.log(
      `  create  ${item.patientControlNumber}: ${formatMoney(money(item.amountMinor))}${held}`,
    );
  }
  for (const item of report.changed) {
    console.log(`  change  ${item.patientControlNumber}: ${item.how}`);
  }
  for (const item of report.canceled) {
    console.log(`  cancel  ${item.patientControlNumber}: ${item.how}`);
  }
  for (const item of report.heldForReview) {
    console.log(`  review  ${item.patientControlNumber}: ${item.reason}`);
  }
  for (const item of report.skipped) {
    console.log(
      `  skip    ${item.patientControlNumber} (status ${item.statusCode}): ${item.reason}`,
    );
  }
}

for (const reason of plan.refused) {
  console.log(`\nnot ingested: ${reason}`);
}

if (plan.diagnostics.length > 0) {
  const notes = count(plan.diagnostics.length, 'parser note');
  console.log(`\n${notes} (run pnpm era835 claims FILE for details)`);
}
