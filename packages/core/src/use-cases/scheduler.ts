import { err, ok, type Result, ResultAsync } from 'neverthrow';
import type { Actor } from '../domain/audit';
import type { DomainError } from '../domain/errors';
import { asId } from '../domain/ids';
import { type LocalDate, localDateAt, zonedInstant } from '../domain/local-date';
import type { Organization } from '../domain/organization';
import type { BatchRun } from '../ports/storage.port';
import { cancelLoaded } from './cancel-and-refund';
import type { Context } from './context';
import { type BatchProgress, type BatchReport, runBatch } from './overnight-batch';

/** A refund intent older than this, never answered by the gateway, is sent again by a tick. */
const REFUND_RETRY_AFTER_MS = 60 * 1000;

export interface TickReport {
  readonly at: Date;
  readonly batches: readonly BatchReport[];
  readonly refundsResumed: number;
  /** Organizations whose work failed this tick; the next tick tries them again. */
  readonly errors: ReadonlyArray<{
    readonly organizationId: string;
    readonly code: string;
    readonly message: string;
  }>;
}

/** The instant an organization's batch is due on a local day, in its own time zone. */
export function scheduledInstant(organization: Organization, day: LocalDate): Date {
  const { batchHour, batchMinute } = organization.settings;
  return zonedInstant(day, batchHour, batchMinute, organization.timeZone);
}

/**
 * Call this from a scheduler every few minutes, from as many workers as you like. For each
 * organization whose local batch time has passed today it starts that day's run once (one
 * scheduled run per organization and local day, enforced by storage, so daylight-saving days
 * neither repeat nor skip it) or joins and resumes it; it also sends texts whose morning has
 * come and resends refund calls that never got an answer.
 */
export function tick(
  context: Context,
  options: { readonly onProgress?: (progress: BatchProgress) => void } = {},
): ResultAsync<TickReport, DomainError> {
  return new ResultAsync(tickNow(context, options));
}

async function tickNow(
  context: Context,
  options: { readonly onProgress?: (progress: BatchProgress) => void },
): Promise<Result<TickReport, DomainError>> {
  const at = context.clock.now();
  const batches: BatchReport[] = [];
  const errors: Array<TickReport['errors'][number]> = [];
  let refundsResumed = 0;
  let after: string | null = null;

  for (;;) {
    const page = await context.storage.transaction(async (tx) =>
      ok(await tx.organizations.list({ limit: 100, after })),
    );
    if (page.isErr()) {
      return err(page.error);
    }

    if (page.value.length === 0) {
      return ok({ at, batches, refundsResumed, errors });
    }

    for (const organization of page.value) {
      const worked = await tickOrganization(context, organization, at, options);
      if (worked.isErr()) {
        errors.push({
          organizationId: organization.id,
          code: worked.error.code,
          message: worked.error.message,
        });
        context.logger.warn('scheduled work failed for an organization', {
          organizationId: organization.id,
          code: worked.error.code,
        });
        continue;
      }

      if (
        worked.value.batch &&
        (worked.value.batch.sent > 0 ||
          worked.value.batch.heldCount > 0 ||
          worked.value.batch.failedCount > 0 ||
          worked.value.batch.textsSent > 0)
      ) {
        batches.push(worked.value.batch);
      }

      refundsResumed += worked.value.refundsResumed;
    }

    after = page.value.at(-1)?.id ?? null;
  }
}

async function tickOrganization(
  context: Context,
  organization: Organization,
  at: Date,
  options: { readonly onProgress?: (progress: BatchProgress) => void },
): Promise<Result<{ batch: BatchReport | null; refundsResumed: number }, DomainError>> {
  const today = localDateAt(at, organization.timeZone);
  const due = scheduledInstant(organization, today);

  const run =
    at.getTime() >= due.getTime() ? await todaysRun(context, organization, today, due) : ok(null);
  if (run.isErr()) {
    return err(run.error);
  }

  const batch = run.value
    ? await runBatch(context, organization.id, {
        runId: run.value.id,
        cutoff: run.value.cutoff,
        notAttemptedSince: run.value.startedAt,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      })
    : await runBatch(context, organization.id, { textsOnly: true });
  if (batch.isErr()) {
    return err(batch.error);
  }

  if (run.value && run.value.finishedAt === null) {
    await context.storage.transaction(async (tx) => {
      await tx.batchRuns.update({ ...(run.value as BatchRun), finishedAt: context.clock.now() });
      return ok(undefined);
    });
  }

  const refunds = await resumeRefunds(context, organization);
  return refunds.map((refundsResumed) => ({ batch: batch.value, refundsResumed }));
}

/** Today's scheduled run: the one another worker started, or a new one. */
async function todaysRun(
  context: Context,
  organization: Organization,
  day: LocalDate,
  cutoff: Date,
): Promise<Result<BatchRun, DomainError>> {
  const existing = await context.storage.transaction(async (tx) =>
    ok(await tx.batchRuns.findScheduled(organization.id, day)),
  );
  if (existing.isErr() || existing.value) {
    return existing.map((run) => run as BatchRun);
  }

  const started = await context.storage.transaction(async (tx) =>
    ok(
      await tx.batchRuns.insert({
        id: asId(context.ids.next('run')),
        organizationId: organization.id,
        localDate: day,
        kind: 'scheduled',
        cutoff,
        startedAt: context.clock.now(),
        finishedAt: null,
        version: 1,
      }),
    ),
  );
  if (started.isErr() && started.error.code === 'STORAGE.DUPLICATE') {
    // Another worker started it a moment ago: join that run.
    return todaysRun(context, organization, day, cutoff);
  }

  if (started.isOk()) {
    context.logger.info('overnight batch started', {
      organizationId: organization.id,
      runId: started.value.id,
      localDate: day,
    });
  }

  return started;
}

async function resumeRefunds(
  context: Context,
  organization: Organization,
): Promise<Result<number, DomainError>> {
  const pending = await context.storage.transaction(async (tx) =>
    ok(
      await tx.requests.list(
        organization.id,
        { statuses: ['refund_pending'], includeDeleted: true },
        { limit: 100 },
      ),
    ),
  );
  if (pending.isErr()) {
    return err(pending.error);
  }

  const actor: Actor = { kind: 'system', process: 'scheduler' };
  const staleBefore = context.clock.now().getTime() - REFUND_RETRY_AFTER_MS;
  let resumed = 0;
  for (const request of pending.value) {
    const unanswered = request.refunds.some(
      (refund) => refund.status === 'requested' && refund.requestedAt.getTime() < staleBefore,
    );
    if (unanswered) {
      const outcome = await cancelLoaded(context, request, actor);
      if (outcome.isErr()) {
        return err(outcome.error);
      }

      resumed += 1;
    }
  }

  return ok(resumed);
}
