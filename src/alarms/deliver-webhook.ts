import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { assertFetchableUrl } from '../ingestion/address-guard.ts';
import { guardLookup } from '../ingestion/fetch-source.ts';
import type { RenderedMessage } from './messages.ts';

// Webhooks: POST the message's JSON, signed. The receiver checks
//   X-TMS-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed by the channel's secret>
// and may use Idempotency-Key to drop a repeated delivery; X-TMS-Timestamp (epoch seconds) repeats
// the body's signed `sent_at` for receivers that reject stale messages.
// The connection goes through the source collectors' guard (ingestion/): the same URL rules, and the
// name is resolved again at connect time and refused if any address is link-local or metadata.
// node:http rather than global fetch because fetch offers no hook for that lookup.

export const WEBHOOK_TIMEOUT_MS = 10_000;

const guardedLookup = guardLookup();

/** The signature header value for a body. */
export const signatureOf = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/**
 * POSTs the message to `url`. Resolves on a 2xx answer; rejects with a short reason otherwise (the
 * status only, never the receiver's body: the delivery log must not turn into a way to read
 * responses from hosts a customer can name).
 */
export const postWebhook = (
  url: string,
  secret: string | null,
  message: RenderedMessage,
  idempotencyKey: string,
  now: Date,
  timeoutMs = WEBHOOK_TIMEOUT_MS,
): Promise<void> => {
  const target = assertFetchableUrl(url);
  const body = JSON.stringify(message.payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'user-agent': 'tms-notifier',
    'idempotency-key': idempotencyKey,
    'x-tms-timestamp': String(Math.floor(now.getTime() / 1000)),
  };
  if (secret) headers['x-tms-signature'] = signatureOf(secret, body);
  const lib = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(target, { method: 'POST', headers, lookup: guardedLookup, agent: false });
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new Error(
          e.code === 'EFORBIDDEN' ? e.message : `cannot reach ${target.host}: ${e.code ?? e.message}`,
        ),
      );
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      // Drain and drop the body; only the status matters.
      res.resume();
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) resolve();
      else reject(new Error(`webhook answered HTTP ${status}`));
    });
    req.end(body);
  });
};
