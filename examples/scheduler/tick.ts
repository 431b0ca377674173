import {
  type ClockPort,
  createMemberPayments,
  type LoggerPort,
  type PaymentGatewayPort,
  type StoragePort,
  type TickReport,
} from '@memberpay/core';

/**
 * One scheduler tick: every organization whose local batch time has passed today gets that
 * day's run (once, however many ticks or workers), waiting texts whose morning has come go
 * out, and refund calls that never got an answer are sent again.
 */
export async function runScheduledTick(dependencies: {
  readonly storage: StoragePort;
  readonly gateway: PaymentGatewayPort;
  readonly clock?: ClockPort;
  readonly logger?: LoggerPort;
}): Promise<TickReport> {
  const payments = createMemberPayments(dependencies);
  const report = await payments.batch.tick();
  if (report.isErr()) {
    throw report.error;
  }

  return report.value;
}
