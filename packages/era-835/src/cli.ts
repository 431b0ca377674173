#!/usr/bin/env node
import { once } from 'node:events';
import { closeSync, openSync, readSync } from 'node:fs';
import type { Diagnostic } from './diagnostics';
import type { ClaimPayment, TransactionHeader } from './model';
import { type Era835Input, stream835, summarize835 } from './parse';

const USAGE = `usage: era835 claims FILE   print every claim payment as a JSON array
       era835 stats FILE    print the totals of the file as one JSON object
FILE "-" reads standard input; warnings go to standard error.`;

/** Document-level problems held back until the input proves to be an 835 (bounded). */
const HELD_BACK_LIMIT = 100;

const READ_BYTES = 1 << 20;

/** Claims are written to standard output in batches of about this many characters. */
const OUTPUT_BATCH = 1 << 16;

/** What is wrong with a command line that asks for nothing we do, in one line. */
function wrongUse(command: string | undefined, file: string | undefined, extra: number): string {
  if (command === undefined) return 'no command given';
  if (command !== 'claims' && command !== 'stats') return `unknown command "${command}"`;
  if (file === undefined) return `${command} needs a FILE (or - for standard input)`;
  return `${command} takes one FILE, got ${extra + 1}`;
}

async function main(args: readonly string[]): Promise<number> {
  const [command, file, ...rest] = args;
  // Asking for help is not a mistake: usage goes to standard output and the exit is clean.
  if (args.length === 1 && (command === '--help' || command === '-h' || command === 'help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  if ((command !== 'claims' && command !== 'stats') || file === undefined || rest.length > 0) {
    process.stderr.write(`era835: ${printable(wrongUse(command, file, rest.length))}\n${USAGE}\n`);
    return 2;
  }

  const name = file === '-' ? 'standard input' : file;
  try {
    const input = file === '-' ? process.stdin : readFileInChunks(file);
    return command === 'claims' ? await printClaims(input, name) : await printStats(input, name);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`era835: ${printable(`cannot read ${name}: ${reason}`)}\n`);
    return 1;
  }
}

/**
 * A file read synchronously into one reused buffer: nothing is allocated per chunk, which
 * keeps memory flat. Safe because the parser copies what it keeps before asking for more.
 */
function* readFileInChunks(path: string): Generator<Buffer, void, undefined> {
  const descriptor = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      const length = readSync(descriptor, buffer, 0, READ_BYTES, null);
      if (length === 0) return;
      yield buffer.subarray(0, length);
    }
  } finally {
    closeSync(descriptor);
  }
}

async function printClaims(input: Era835Input, name: string): Promise<number> {
  // Until an 835 transaction set shows up, document-level problems are held back, so that an
  // input that is no 835 at all gets one line. Past the limit they are printed after all:
  // memory stays bounded and no problem is lost.
  let heldBack: Diagnostic[] | null = [];
  let first: Diagnostic | undefined;
  let an835 = false;
  let opened = false;
  let text = '';
  for await (const event of stream835(input, { unit: 'claim' })) {
    if (event.type === 'diagnostic') {
      first ??= event.diagnostic;
      if (heldBack === null) warn(event.diagnostic);
      else if (heldBack.length < HELD_BACK_LIMIT) heldBack.push(event.diagnostic);
      else {
        for (const diagnostic of heldBack) warn(diagnostic);
        warn(event.diagnostic);
        heldBack = null;
      }
      continue;
    }

    an835 = true;
    if (heldBack !== null) {
      for (const diagnostic of heldBack) warn(diagnostic);
      heldBack = null;
    }
    if (event.type === 'transaction') {
      for (const diagnostic of event.transaction.diagnostics) warn(diagnostic);
      continue;
    }

    text += `${opened ? ',\n' : '[\n'}${JSON.stringify(claimRow(event.transaction, event.claim))}`;
    opened = true;
    for (const diagnostic of event.claim.diagnostics) warn(diagnostic);
    if (text.length >= OUTPUT_BATCH) {
      await write(text);
      text = '';
    }
  }

  if (!an835) return notAn835(name, first);
  await write(`${text}${opened ? '\n]\n' : '[]\n'}`);
  return 0;
}

async function printStats(input: Era835Input, name: string): Promise<number> {
  let firstError: Diagnostic | undefined;
  const stats = await summarize835(input, {
    onDiagnostic: (diagnostic) => {
      if (firstError === undefined && diagnostic.severity === 'error') firstError = diagnostic;
    },
  });
  if (stats.transactions === 0) return notAn835(name, firstError);
  await write(`${JSON.stringify(stats, null, 2)}\n`);
  return 0;
}

/** The claim as `era835 claims` prints it: exactly these fields, in this order. */
function claimRow(transaction: TransactionHeader, claim: ClaimPayment) {
  const responsibility = claim.patientResponsibility;
  return {
    interchangeControlNumber: transaction.interchange?.controlNumber ?? null,
    transactionControlNumber: transaction.controlNumber,
    traceNumber: transaction.trace?.traceNumber ?? null,
    payerIdentifier: transaction.trace?.payerIdentifier ?? null,
    patientControlNumber: claim.patientControlNumber,
    statusCode: claim.statusCode,
    chargeCents: claim.chargeCents,
    paidCents: claim.paidCents,
    payerClaimControlNumber: claim.payerClaimControlNumber,
    patientResponsibility: {
      declaredCents: responsibility.declaredCents,
      adjustmentCents: responsibility.adjustmentCents,
      deductibleCents: responsibility.deductibleCents,
      coinsuranceCents: responsibility.coinsuranceCents,
      copayCents: responsibility.copayCents,
      otherCents: responsibility.otherCents,
    },
  };
}

function notAn835(name: string, reason: Diagnostic | undefined): number {
  const detail = reason?.message ?? 'it holds no 835 transaction set';
  process.stderr.write(`era835: ${printable(`${name} is not an X12 835: ${detail}`)}\n`);
  return 1;
}

function warn(diagnostic: Diagnostic): void {
  const line = `${diagnostic.severity} ${diagnostic.code}: ${diagnostic.message}`;
  process.stderr.write(`era835: ${printable(line)}\n`);
}

/**
 * Damaged input ends up in messages (a segment identifier that runs over a line break, bytes
 * of a binary file); its control characters are written as escapes, so that every problem
 * stays on one line and nothing reaches the terminal as a command.
 */
function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

async function write(text: string): Promise<void> {
  if (text !== '' && !process.stdout.write(text)) await once(process.stdout, 'drain');
}

// A reader that closes the pipe early (`era835 claims FILE | head`) is not an error; any other
// failure to write (a full disk) is, and says so in one line.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  process.stderr.write(`era835: cannot write the output: ${error.message}\n`);
  process.exit(1);
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
