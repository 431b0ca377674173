#!/usr/bin/env node
import { once } from 'node:events';
import { closeSync, openSync, readSync } from 'node:fs';
import type { Diagnostic } from './diagnostics';
import type { ClaimPayment, TransactionHeader } from './model';
import { Era835Parser } from './parse';

const USAGE = `usage: era835 claims FILE   print every claim payment as a JSON array
       era835 stats FILE    print the totals of the file as one JSON object
FILE "-" reads standard input; warnings go to standard error.`;

/** Document-level problems held back until the input proves to be an 835 (bounded). */
const HELD_BACK_LIMIT = 100;

const READ_BYTES = 1 << 20;

/** The input is handed to the parser this many bytes at a time. */
const PUSH_BYTES = 1 << 16;

/** The bytes of a file or of standard input, in chunks. */
type Chunks = Iterable<Buffer> | AsyncIterable<Buffer>;

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
    const input = file === '-' ? readStandardInput() : readFileInChunks(file);
    return command === 'claims' ? await printClaims(input, name) : await printStats(input, name);
  } catch (error) {
    await flushWarnings();
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

/**
 * Standard input read like a file, into one reused buffer: the stream way allocates every chunk
 * anew, which costs a 100 MB input about 20 MiB more at its peak. A descriptor that its opener
 * made non-blocking (a parent process may) has nothing to read yet at times: it is then read
 * the stream way from there on, which loses nothing, since nothing was read.
 */
async function* readStandardInput(): AsyncGenerator<Buffer, void, undefined> {
  const buffer = Buffer.allocUnsafe(READ_BYTES);
  for (;;) {
    let length: number;
    try {
      length = readSync(0, buffer, 0, READ_BYTES, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Windows reports the end of a pipe as an error.
      if (code === 'EOF') return;
      if (code !== 'EAGAIN') throw error;
      yield* process.stdin;
      return;
    }
    if (length === 0) return;
    yield buffer.subarray(0, length);
  }
}

async function printClaims(input: Chunks, name: string): Promise<number> {
  // Until an 835 transaction set shows up, document-level problems are held back, so that an
  // input that is no 835 at all gets one line. Past the limit they are printed after all:
  // memory stays bounded and no problem is lost.
  let heldBack: Diagnostic[] | null = [];
  let first: Diagnostic | undefined;
  let an835 = false;
  let opened = false;
  let text = '';
  const sawAn835 = () => {
    an835 = true;
    if (heldBack !== null) {
      for (const diagnostic of heldBack) warn(diagnostic);
      heldBack = null;
    }
  };
  const parser = new Era835Parser({
    diagnostic: (diagnostic) => {
      first ??= diagnostic;
      if (heldBack === null) warn(diagnostic);
      else if (heldBack.length < HELD_BACK_LIMIT) heldBack.push(diagnostic);
      else {
        for (const held of heldBack) warn(held);
        warn(diagnostic);
        heldBack = null;
      }
    },
    transaction: () => sawAn835(),
    claim: (claim, transaction) => {
      sawAn835();
      text += `${opened ? ',\n' : '[\n'}${JSON.stringify(claimRow(transaction, claim))}`;
      opened = true;
      for (const diagnostic of claim.diagnostics) warn(diagnostic);
    },
  });

  // The parser hands claims over while it reads a chunk; they are written between chunks,
  // and chunks are pushed in slices so that the text waiting stays small.
  for await (const chunk of input) {
    for (let from = 0; from < chunk.length; from += PUSH_BYTES) {
      parser.push(chunk.subarray(from, from + PUSH_BYTES));
      if (text.length >= OUTPUT_BATCH) {
        await write(process.stdout, text);
        text = '';
      }
      if (warnings.length >= OUTPUT_BATCH) await flushWarnings();
    }
  }
  parser.end();
  await flushWarnings();

  if (!an835) return notAn835(name, first);
  await write(process.stdout, `${text}${opened ? '\n]\n' : '[]\n'}`);
  return 0;
}

async function printStats(input: Chunks, name: string): Promise<number> {
  let firstError: Diagnostic | undefined;
  const parser = new Era835Parser({
    diagnostic: (diagnostic) => {
      if (firstError === undefined && diagnostic.severity === 'error') firstError = diagnostic;
    },
  });
  for await (const chunk of input) parser.push(chunk);
  const stats = parser.end();
  if (stats.transactions === 0) return notAn835(name, firstError);
  await write(process.stdout, `${JSON.stringify(stats, null, 2)}\n`);
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

/** Problems not yet written to standard error; see {@link flushWarnings}. */
let warnings = '';

/** Set once standard error cannot be written (its reader went away): problems are dropped. */
let stderrGone = false;

function warn(diagnostic: Diagnostic): void {
  const line = `${diagnostic.severity} ${diagnostic.code}: ${diagnostic.message}`;
  warnings += `era835: ${printable(line)}\n`;
}

/**
 * Writes the problems gathered so far. A pipe keeps in memory what its reader has not taken
 * yet, so problems are written in batches that wait for it: a file damaged in every segment
 * (millions of lines) keeps memory flat.
 */
async function flushWarnings(): Promise<void> {
  const text = warnings;
  warnings = '';
  if (stderrGone) return;
  try {
    await write(process.stderr, text);
  } catch {
    stderrGone = true;
  }
}

/**
 * Damaged input ends up in messages (a segment identifier that runs over a line break, bytes
 * of a binary file); its control characters are written as escapes, so that every problem
 * stays on one line and nothing reaches the terminal as a command.
 */
function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

async function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  if (text !== '' && !stream.write(text)) await once(stream, 'drain');
}

// `era835 claims FILE 2>&1 >out.json | head` closes standard error early: the claims are still
// written, and a problem that cannot be told has nowhere else to go.
process.stderr.on('error', () => {
  stderrGone = true;
});

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
