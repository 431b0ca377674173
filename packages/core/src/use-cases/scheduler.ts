import { err, errAsync, ok, type Result, ResultAsync } from 'neverthrow';
import { z } from 'zod';
import type { Actor } from '../domain/audit';
import type { DomainError, ErrorCode } from '../domain/errors';
import { asId } from '../domain/ids';
import { addLocalDays, type LocalDate, localDateAt, zonedInstant } from '../domain/local-date';
import type { Organization } from '../domain/organization';
import type { BatchRun } from '../ports/storage.port';
import { cancelLoaded } from './cancel-and-refund';
import { type Context, validate } from './context';
import {
  type BatchProgress,
  type BatchReport,
  progressCallbackSchema,
  runBatch,
} from './overnight-batch';
import { sendRequestedRefunds } from './refunds';

/** A refund intent older than this, never answered by the gateway, is sent again by a tick. */
const FOLLOW_UP_AFTER_MS = 60 * 1000;

/** The code a tick reports for an organization whose work threw instead of returning an error. */
const UNEXPECTED_FAILURE: ErrorCode = 'BATCH.UNEXPECTED_ERROR';

interface TickOptions {
  readonly onProgress?: (progress: BatchProgress) => void;
}

const tickOptionsSchema = z.object({ onProgress: progressCallbackSchema.optional() }).strict();

type TickError = TickReport['errors'][number];

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
  // Written out, not `TickOptions`: the public `batch.tick` takes its type from here, and a
  // name the package does not export cannot appear in hosts' declaration files.
  options?: { readonly onProgress?: (progress: BatchProgress) => void } | null,
): ResultAsync<TickReport, DomainError> {
  const given = options ?? {};
  const valid = validate(tickOptionsSchema, given, 'tick options');
  if (valid.isErr()) {
    return errAsync(valid.error);
  }

  return new ResultAsync(tickNow(context, given));
}

async function tickNow(
  context: Context,
  options: TickOptions,
): Promise<Result<TickReport, DomainError>> {
  const at = context.clock.now();
  const batches: BatchReport[] = [];
  const errors: TickError[] = [];
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
      const worked = await tickSafely(context, organization, at, options);
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

interface OrganizationTick {
  readonly batch: BatchReport | null;
  readonly refundsResumed: number;
}

/**
 * One organization's work, where even an exception (a bug, or stored data no check foresaw)
 * becomes that organization's error: it must never keep the other organizations waiting.
 */
async function tickSafely(
  context: Context,
  organization: Organization,
  at: Date,
  options: TickOptions,
): Promise<Result<OrganizationTick, Omit<TickError, 'organizationId'>>> {
  try {
    return await tickOrganization(context, organization, at, options);
  } catch (thrown) {
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    return err({ code: UNEXPECTED_FAILURE, message: `Unexpected failure: ${message}` });
  }
}

async function tickOrganization(
  context: Context,
  organization: Organization,
  at: Date,
  options: TickOptions,
): Promise<Result<OrganizationTick, DomainError>> {
  const today = localDateAt(at, organization.timeZone);
  const yesterday = addLocalDays(today, -1);
  let batch: BatchReport | null = null;

  // Yesterday's run too, should no tick have come between its hour and midnight: a day is
  // never skipped. Storage keeps one scheduled run per day, so neither runs twice.
  for (const day of [yesterday, today]) {
    const due = scheduledInstant(organization, day);
    if (at.getTime() < due.getTime()) {
      continue;
    }

    const run = await daysRun(context, organization, day, due, day === today);
    if (run.isErr()) {
      return err(run.error);
    }

    if (run.value === null) {
      continue;
    }

    const worked = await runBatch(context, organization.id, {
      runId: run.value.id,
      cutoff: run.value.cutoff,
      notAttemptedSince: run.value.startedAt,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    if (worked.isErr()) {
      return err(worked.error);
    }

    batch = worked.value;
    if (run.value.finishedAt === null) {
      await context.storage.transaction(async (tx) => {
        await tx.batchRuns.update({ ...(run.value as BatchRun), finishedAt: context.clock.now() });
        return ok(undefined);
      });
    }
  }

  if (batch === null) {
    const texts = await runBatch(context, organization.id, { textsOnly: true });
    if (texts.isErr()) {
      return err(texts.error);
    }

    batch = texts.value;
  }

  const resumed = await resumeFollowUps(context, organization);
  return resumed.map((refundsResumed) => ({ batch, refundsResumed }));
}

/**
 * A day's scheduled run: the one another worker started, or a new one. For yesterday
 * (`start` false) an existing run is not joined again, and one is started only if none was.
 */
async function daysRun(
  context: Context,
  organization: Organization,
  day: LocalDate,
  cutoff: Date,
  start: boolean,
): Promise<Result<BatchRun | null, DomainError>> {
  const existing = await context.storage.transaction(async (tx) =>
    ok(await tx.batchRuns.findScheduled(organization.id, day)),
  );
  if (existing.isErr()) {
    return err(existing.error);
  }

  if (existing.value) {
    return ok(start ? existing.value : null);
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
    // Another worker started it a moment ago: join it.
    return daysRun(context, organization, day, cutoff, start);
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

/**
 * Sends again the gateway calls nobody heard back from: refunds whose intent is stored but
 * whose call failed or never happened, and cancels waiting to void an invoice.
 */
async function resumeFollowUps(
  context: Context,
  organization: Organization,
): Promise<Result<number, DomainError>> {
  const actor: Actor = { kind: 'system', process: 'scheduler' };
  const requestedBefore = new Date(context.clock.now().getTime() - FOLLOW_UP_AFTER_MS);
  let resumed = 0;
  let after: string | null = null;

  for (;;) {
    const page = await context.storage.transaction(async (tx) =>
      ok(await tx.requests.findFollowUps(organization.id, requestedBefore, { limit: 100, after })),
    );
    if (page.isErr()) {
      return err(page.error);
    }

    if (page.value.length === 0) {
      return ok(resumed);
    }

    for (const request of page.value) {
      const unsent = request.refunds.some((refund) => refund.status === 'requested');
      const outcome = unsent
        ? await sendRequestedRefunds(context, request, actor)
        : await cancelLoaded(context, request, actor);
      if (outcome.isErr()) {
        context.logger.warn('a follow-up failed; the next tick tries again', {
          requestId: request.id,
          code: outcome.error.code,
        });
      }

      resumed += 1;
    }

    after = page.value.at(-1)?.id ?? null;
  }
}
