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
 * `unit: 'claim'` each claim and each problem of a transaction set outside its claims as soon
 * as it has been read.
 */
export type Era835Event =
  | {
      readonly type: 'claim';
      readonly claim: ClaimPayment;
      readonly transaction: TransactionHeader;
    }
  | { readonly type: 'transaction'; readonly transaction: Transaction }
  | {
      readonly type: 'diagnostic';
      readonly diagnostic: Diagnostic;
      /** With `unit: 'claim'`, the transaction set a problem outside its claims belongs to. */
      readonly transaction?: TransactionHeader;
    };

export interface StreamOptions {
  /**
   * `transaction` (the default): each transaction set arrives whole, its claims included, so
   * memory is bounded by the largest transaction set. `claim`: each claim arrives on its own
   * with the header of its transaction set, each problem of the transaction set outside its
   * claims arrives as a `diagnostic` event with that header as soon as it is found, and the
   * transaction set follows with its provider adjustments but empty `claims` and
   * `diagnostics`, so memory is bounded by the largest claim.
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
  return parseWhole(input);
}

/** {@link parse835} with the reader's options, for tests that compare its two ways. */
export function parseWhole(
  input: string | Uint8Array,
  options: { readonly fastLane?: boolean } = {},
): Era835Document {
  const transactions: Transaction[] = [];
  const diagnostics: Diagnostic[] = [];
  const reader = new Era835Reader(
    new ModelBuilder({ transaction: (transaction) => transactions.push(transaction) }),
    (diagnostic) => diagnostics.push(diagnostic),
    options,
  );
  reader.push(toBuffer(input));
  reader.end();
  return { transactions, diagnostics };
}

/**
 * Parses an 835 of any size as it arrives, yielding one transaction set (or one claim, see
 * {@link StreamOptions}) at a time; memory does not grow with the input. The events are the
 * same however the input is cut into chunks. Breaking out of the loop closes the input (a
 * Node stream is destroyed).
 */
export function stream835(
  input: Era835Input,
  options: StreamOptions = {},
): AsyncGenerator<Era835Event, void, undefined> {
  return new EventStream(input, options.unit === 'claim');
}

const DONE: IteratorReturnResult<void> = Object.freeze({ done: true, value: undefined });

/**
 * The events of {@link stream835}, as an async iterator written by hand: an async generator
 * awaits every value it yields, which cost a tenth of a typed parse in microtask turns. Here
 * an event that is ready costs one resolved promise. Events wait in `ready` only for the
 * slice of input that made them, so that they die young. Calls are served in order: one that
 * must wait for input makes the calls after it wait behind it.
 */
class EventStream implements AsyncGenerator<Era835Event, void, undefined> {
  private ready: Era835Event[] = [];
  private index = 0;
  private readonly reader: Era835Reader;
  private source: Iterator<string | Uint8Array> | AsyncIterator<string | Uint8Array> | null;
  private readonly sourceIsAsync: boolean;
  /** The chunk being fed in slices, and where its next slice starts. */
  private chunk: Buffer | null = null;
  private from = 0;
  private finished = false;
  /** Calls still waiting behind one that reads input, and the last of them. */
  private queued = 0;
  private last: Promise<unknown> = Promise.resolve();

  constructor(input: Era835Input, byClaim: boolean) {
    const sink: ModelSink = {
      transaction: (transaction) => this.ready.push({ type: 'transaction', transaction }),
    };
    if (byClaim) {
      sink.claim = (claim, transaction) => this.ready.push({ type: 'claim', claim, transaction });
      sink.problem = (diagnostic, transaction) =>
        this.ready.push({ type: 'diagnostic', diagnostic, transaction });
    }
    this.reader = new Era835Reader(new ModelBuilder(sink), (diagnostic) =>
      this.ready.push({ type: 'diagnostic', diagnostic }),
    );

    if (typeof input === 'string' || input instanceof Uint8Array) {
      this.source = [input][Symbol.iterator]();
      this.sourceIsAsync = false;
    } else if (Symbol.asyncIterator in input) {
      this.source = input[Symbol.asyncIterator]();
      this.sourceIsAsync = true;
    } else {
      this.source = input[Symbol.iterator]();
      this.sourceIsAsync = false;
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Era835Event, void>> {
    if (this.queued === 0) {
      const event = this.take();
      if (event !== undefined) return Promise.resolve({ done: false, value: event });
    }
    return this.serve(async () => {
      try {
        return await this.advance();
      } catch (error) {
        // As a generator that throws is over, so is this stream; its input is let go.
        await this.close().catch(() => undefined);
        throw error;
      }
    });
  }

  return(): Promise<IteratorResult<Era835Event, void>> {
    return this.serve(async () => {
      await this.close();
      return DONE;
    });
  }

  throw(error: unknown): Promise<IteratorResult<Era835Event, void>> {
    return this.serve(async () => {
      await this.close();
      throw error;
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  /** Runs `call` after every call made before it has settled. */
  private serve<T>(call: () => Promise<T>): Promise<T> {
    this.queued++;
    const result = this.last.then(call);
    const settled = () => {
      this.queued--;
    };
    this.last = result.then(settled, settled);
    return result;
  }

  private take(): Era835Event | undefined {
    const ready = this.ready;
    if (this.index < ready.length) return ready[this.index++];
    if (ready.length > 0) {
      this.ready = [];
      this.index = 0;
    }
    return undefined;
  }

  /** Feeds input until an event is ready or the input is over. */
  private async advance(): Promise<IteratorResult<Era835Event, void>> {
    for (;;) {
      const event = this.take();
      if (event !== undefined) return { done: false, value: event };
      if (this.finished) return DONE;

      const chunk = this.chunk;
      if (chunk !== null && this.from < chunk.length) {
        // Large chunks are fed in slices, so that few events wait at a time.
        const from = this.from;
        this.from = from + SLICE_BYTES;
        this.reader.push(chunk.subarray(from, this.from));
        continue;
      }

      const source = this.source;
      const step = source === null ? DONE : source.next();
      const result = this.sourceIsAsync ? await step : (step as IteratorResult<unknown>);
      if (result.done === true) {
        this.finish();
      } else {
        this.chunk = toBuffer(result.value as string | Uint8Array);
        this.from = 0;
      }
    }
  }

  private finish(): void {
    this.source = null;
    this.chunk = null;
    this.finished = true;
    this.reader.end();
  }

  /** Stops reading: no more events, and the input is told it is no longer wanted. */
  private async close(): Promise<void> {
    const source = this.source;
    this.source = null;
    this.chunk = null;
    this.finished = true;
    this.ready = [];
    this.index = 0;
    if (source?.return !== undefined) await source.return();
  }
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
