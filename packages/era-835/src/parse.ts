import { ModelBuilder, type ModelSink } from './builder';
import type { Diagnostic } from './diagnostics';
import type { ClaimPayment, Transaction, TransactionHeader } from './model';
import { Era835Reader, type Era835Stats } from './reader';

const SLICE_BYTES = 1 << 16;

/**
 * What the parser reads: text, bytes, or any async or sync iterable of chunks (a Node
 * `Readable` is one). Text is read as UTF-8; byte offsets in diagnostics count UTF-8 bytes.
 */
export type Era835Input =
  | string
  | Uint8Array
  | AsyncIterable<string | Uint8Array>
  | Iterable<string | Uint8Array>;

/**
 * What {@link stream835} yields, in input order: each 835 transaction set once its SE (or
 * whatever ends it) has been read, each problem found outside any transaction set, and with
 * `unit: 'claim'` each claim as soon as it has been read.
 */
export type Era835Event =
  | {
      readonly type: 'claim';
      readonly claim: ClaimPayment;
      readonly transaction: TransactionHeader;
    }
  | { readonly type: 'transaction'; readonly transaction: Transaction }
  | { readonly type: 'diagnostic'; readonly diagnostic: Diagnostic };

export interface StreamOptions {
  /**
   * `transaction` (the default): each transaction set arrives whole, its claims included, so
   * memory is bounded by the largest transaction set. `claim`: each claim arrives on its own
   * with the header of its transaction set, and the transaction set follows with its
   * provider adjustments and diagnostics but an empty `claims`, so memory is bounded by the
   * largest claim.
   */
  readonly unit?: 'transaction' | 'claim';
}

export interface Era835Document {
  readonly transactions: readonly Transaction[];
  /** Problems outside any transaction set (envelopes, data that is not X12), in input order. */
  readonly diagnostics: readonly Diagnostic[];
}

/** Parses a whole 835 held in memory. Never throws on bad input: problems are diagnostics. */
export function parse835(input: string | Uint8Array): Era835Document {
  const transactions: Transaction[] = [];
  const diagnostics: Diagnostic[] = [];
  const reader = new Era835Reader(
    new ModelBuilder({ transaction: (transaction) => transactions.push(transaction) }),
    (diagnostic) => diagnostics.push(diagnostic),
  );
  reader.push(toBuffer(input));
  reader.end();
  return { transactions, diagnostics };
}

/**
 * Parses an 835 of any size as it arrives, yielding one transaction set (or one claim, see
 * {@link StreamOptions}) at a time; memory does not grow with the input. The events are the
 * same however the input is cut into chunks.
 */
export async function* stream835(
  input: Era835Input,
  options: StreamOptions = {},
): AsyncGenerator<Era835Event, void, undefined> {
  let pending: Era835Event[] = [];
  const sink: ModelSink = {
    transaction: (transaction) => pending.push({ type: 'transaction', transaction }),
  };
  if (options.unit === 'claim') {
    sink.claim = (claim, transaction) => pending.push({ type: 'claim', claim, transaction });
  }
  const reader = new Era835Reader(new ModelBuilder(sink), (diagnostic) =>
    pending.push({ type: 'diagnostic', diagnostic }),
  );
  for await (const chunk of chunksOf(input)) {
    // Feeding large chunks in slices keeps the events waiting to be yielded few, so that
    // they die young instead of filling the old generation.
    for (let from = 0; from < chunk.length; from += SLICE_BYTES) {
      reader.push(chunk.subarray(from, from + SLICE_BYTES));
      if (pending.length > 0) {
        const ready = pending;
        pending = [];
        for (const event of ready) yield event;
      }
    }
  }
  reader.end();
  for (const event of pending) yield event;
}

export interface SummarizeOptions {
  /** Receives every problem as it is found, for hosts that want more than the counts. */
  readonly onDiagnostic?: (diagnostic: Diagnostic) => void;
}

/**
 * Counts and totals of an 835 without building the typed model: what `era835 stats` prints.
 * Memory stays flat whatever the input size; it finds exactly the problems the typed parse
 * finds.
 */
export async function summarize835(
  input: Era835Input,
  options: SummarizeOptions = {},
): Promise<Era835Stats> {
  const reader = new Era835Reader(null, options.onDiagnostic);
  for await (const chunk of chunksOf(input)) reader.push(chunk);
  reader.end();
  return reader.stats();
}

async function* chunksOf(input: Era835Input): AsyncGenerator<Buffer, void, undefined> {
  if (typeof input === 'string' || input instanceof Uint8Array) {
    yield toBuffer(input);
    return;
  }
  if (Symbol.asyncIterator in input) {
    for await (const chunk of input) yield toBuffer(chunk);
    return;
  }
  for (const chunk of input) yield toBuffer(chunk);
}

function toBuffer(chunk: string | Uint8Array): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array)
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`an 835 chunk must be a string or bytes, got ${typeof chunk}`);
}
