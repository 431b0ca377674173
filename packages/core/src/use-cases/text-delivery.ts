import { err, ok, type Result } from 'neverthrow';
import type { Actor } from '../domain/audit';
import type { DomainError } from '../domain/errors';
import { addLocalDays, localDateAt, localMinuteOfDay, zonedInstant } from '../domain/local-date';
import { canReceiveText, type Member } from '../domain/member';
import { formatMoney } from '../domain/money';
import type { Organization } from '../domain/organization';
import type { PaymentRequest, TextDelivery } from '../domain/payment-request';
import { auditEntry } from '../domain/status-machine';
import { type Context, transitionContext } from './context';

/** Who sends an organization's texts, and who hears of each one that went out. */
export interface TextSender {
  readonly context: Context;
  readonly organization: Organization;
  readonly actor: Actor;
  readonly onSent: () => void;
}

/** The first instant at or after `now` inside the organization's daytime window for texts. */
export function nextTextWindow(
  now: Date,
  timeZone: string,
  window: { readonly startHour: number; readonly endHour: number },
): Date {
  const minute = localMinuteOfDay(now, timeZone);
  if (minute >= window.startHour * 60 && minute < window.endHour * 60) {
    return now;
  }

  const today = localDateAt(now, timeZone);
  const day = minute >= window.endHour * 60 ? addLocalDays(today, 1) : today;
  return zonedInstant(day, window.startHour, 0, timeZone);
}

export function planText(
  context: Context,
  organization: Organization,
  member: Member,
  now: Date,
): TextDelivery | null {
  if (!organization.settings.textDeliveryEnabled || !canReceiveText(member)) {
    return null;
  }

  return {
    status: 'waiting',
    notBefore: nextTextWindow(now, organization.timeZone, context.options.textWindow),
    sentAt: null,
    messageId: null,
    error: null,
  };
}

/** Sends the texts whose time has come (texts from a night batch wait for the morning). */
export async function sendDueTexts(sender: TextSender): Promise<Result<void, DomainError>> {
  const { context, organization } = sender;
  if (!organization.settings.textDeliveryEnabled) {
    return ok(undefined);
  }

  for (;;) {
    const due = await context.storage.transaction(async (tx) =>
      ok(
        await tx.requests.findTextsDue(
          organization.id,
          context.clock.now(),
          context.options.pageSize,
        ),
      ),
    );
    if (due.isErr()) {
      return err(due.error);
    }

    if (due.value.length === 0) {
      return ok(undefined);
    }

    for (const request of due.value) {
      const member = await context.storage.transaction(async (tx) =>
        ok(await tx.members.get(organization.id, request.memberId)),
      );
      if (member.isErr()) {
        return err(member.error);
      }

      await deliverText(sender, request, member.value);
    }
  }
}

export async function deliverText(
  sender: TextSender,
  request: PaymentRequest,
  member: Member | null,
): Promise<void> {
  const { context, organization } = sender;
  const outcome = await textOutcome(sender, request, member);

  await context.storage.transaction(async (tx) => {
    const current = await tx.requests.get(organization.id, request.id);
    if (current?.text?.status !== 'waiting') {
      return ok(undefined);
    }

    const stored = await tx.requests.update({
      ...current,
      text: outcome.text,
      updatedAt: context.clock.now(),
    });
    await tx.audit.append(
      auditEntry(stored, current.status, {
        ...transitionContext(context, sender.actor, outcome.reason),
        action: outcome.text.status === 'sent' ? 'text_sent' : 'text_failed',
        details: { messageId: outcome.text.messageId },
      }),
    );
    return ok(undefined);
  });
  if (outcome.text.status === 'sent') {
    sender.onSent();
  }
}

async function textOutcome(
  sender: TextSender,
  request: PaymentRequest,
  member: Member | null,
): Promise<{ text: TextDelivery; reason: string }> {
  const { context, organization } = sender;
  const now = context.clock.now();
  const waiting = request.text as TextDelivery;
  const link = request.gateway.hostedInvoiceUrl;
  const stillTextable = member !== null && canReceiveText(member) && link !== null;
  if (!stillTextable || context.messages === null) {
    const reason =
      context.messages === null
        ? 'no message sender is configured'
        : link === null
          ? 'the invoice has no hosted link to send'
          : 'the member can no longer receive texts';
    return {
      text: { ...waiting, status: 'failed', error: reason },
      reason: `text not sent: ${reason}`,
    };
  }

  const sent = await context.messages.sendText({
    to: member.phone as string,
    body:
      `${organization.name}: you have a bill of ${formatMoney(request.amount)}. ` +
      `View and pay: ${link}`,
    organizationId: organization.id,
    requestId: request.id,
    idempotencyKey: `mp:${request.id}:r${request.revision}:text`,
  });
  if (sent.isOk()) {
    return {
      text: {
        ...waiting,
        status: 'sent',
        sentAt: now,
        messageId: sent.value.messageId,
        error: null,
      },
      reason: 'invoice link sent by text',
    };
  }

  if (sent.error.retryable) {
    // Try again on a later run, a quarter of an hour from now at the earliest.
    const notBefore = nextTextWindow(
      new Date(now.getTime() + 15 * 60 * 1000),
      organization.timeZone,
      context.options.textWindow,
    );
    return {
      text: { ...waiting, notBefore, error: sent.error.message },
      reason: `text will be retried: ${sent.error.message}`,
    };
  }

  return {
    text: { ...waiting, status: 'failed', error: sent.error.message },
    reason: `text failed: ${sent.error.message}`,
  };
}
