/**
 * The overnight batch from cron. Run one tick every five minutes; the SDK decides which
 * organizations are due (each at its own local hour, once per local day):
 *
 *   *\/5 * * * *  cd /srv/clinic && DATABASE_URL=... STRIPE_SECRET_KEY=... \
 *                 pnpm example:scheduler >> /var/log/memberpay.log
 *
 * Several machines may run it at the same time: they share the work.
 */
import { openStorage, openStripe } from '../shared/environment';
import { exitOnFailure } from '../shared/failure';
import { count } from '../shared/words';
import { runScheduledTick } from './tick';

exitOnFailure();
if (!process.env.STRIPE_SECRET_KEY && !process.env.STRIPE_API_BASE) {
  console.error(
    'Set STRIPE_SECRET_KEY, or STRIPE_API_BASE to a simulator started with pnpm stripe-sim',
  );
  process.exit(2);
}

// Webhooks reach the webhook server, not this process: the URL here is never used.
const stripe = await openStripe('http://127.0.0.1/unused');
const database = await openStorage(process.env.MEMBERPAY_DATA_DIR ?? '.memberpay/demo-db');
try {
  const report = await runScheduledTick({ storage: database.storage, gateway: stripe.gateway });
  for (const batch of report.batches) {
    console.log(
      `${report.at.toISOString()} ${batch.organizationId}: sent ${batch.sent}, ` +
        `held ${batch.heldCount}, failed ${batch.failedCount}, texts ${batch.textsSent}`,
    );
  }
  for (const problem of report.errors) {
    console.error(
      `${report.at.toISOString()} ${problem.organizationId}: ${problem.code} ${problem.message}`,
    );
  }
  console.log(
    `${report.at.toISOString()} tick done: ${count(report.batches.length, 'organization')} worked`,
  );
} finally {
  await stripe.close();
  await database.close();
}
