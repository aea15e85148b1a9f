import { setImmediate } from 'node:timers/promises';

/**
 * Bytes parsed between two turns of the event loop. Parsing is synchronous per piece, and a 64 KiB
 * socket read of tiny rows (`{},` or `1\n`) is tens of thousands of rows: cut it smaller so other
 * work in the process (the API, in `tms up`) waits a few milliseconds at most.
 */
export const SLICE_BYTES = 8 * 1024;

/** The body's bytes in pieces of at most `sliceBytes`, with a turn of the event loop before each. */
export async function* yieldingSlices(
  body: AsyncIterable<Buffer | string>,
  sliceBytes = SLICE_BYTES,
): AsyncGenerator<Buffer> {
  for await (const piece of body) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    for (let i = 0; i < chunk.length; i += sliceBytes) {
      await setImmediate();
      yield chunk.subarray(i, i + sliceBytes);
    }
  }
}
