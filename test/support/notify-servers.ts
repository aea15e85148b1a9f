import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Db } from '../../src/db/types.ts';
import type { UnitRef } from './factories.ts';

// Real receivers for notification tests: an SMTP server (smtp-server) that keeps every message it
// accepts, and an HTTP server that checks webhook signatures the way a customer's receiver would.

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  /** Headers (lower-case names, first value) and the decoded text of the message. */
  headers: Record<string, string>;
  text: string;
  acceptedAtMs: number;
}

/** Undoes quoted-printable soft breaks and escapes (nodemailer's default for mostly-ASCII text). */
const decodeQuotedPrintable = (s: string): string =>
  Buffer.from(
    s
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('utf8');

/** RFC 2047 encoded words in a header (=?UTF-8?Q?…?= / =?UTF-8?B?…?=). */
const decodeHeader = (v: string): string =>
  v.replace(/=\?utf-8\?([QB])\?([^?]*)\?=\s*/gi, (_m, enc: string, data: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(data, 'base64').toString('utf8')
      : decodeQuotedPrintable(data.replace(/_/g, ' ')),
  );

const parseMail = (raw: string) => {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) {
      const k = line.slice(0, i).trim().toLowerCase();
      headers[k] ??= decodeHeader(line.slice(i + 1).trim());
    }
  }
  return { headers, text: decodeQuotedPrintable(rest.join('\n\n')) };
};

export interface SmtpTestServer {
  url: string;
  port: number;
  mails: ReceivedMail[];
  close(): Promise<void>;
}

/** An SMTP server on 127.0.0.1 (any port, or the one given), plain text, no authentication. */
export const startSmtpServer = async (port = 0): Promise<SmtpTestServer> => {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          ...parseMail(raw),
          acceptedAtMs: Date.now(),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${actual}`,
    port: actual,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
  /** True when X-TMS-Signature is the HMAC-SHA256 of the raw body under the secret given. */
  signatureValid: boolean;
  receivedAtMs: number;
}

export interface WebhookTestServer {
  url: string;
  port: number;
  received: ReceivedWebhook[];
  /** The status answered; a function sees how many requests came before. */
  respond: number | ((n: number) => number);
  /** The secret signatures are checked with (set after creating the channel). */
  secret: string;
  close(): Promise<void>;
}

const verify = (secret: string, raw: string, header: string | undefined): boolean => {
  if (!header?.startsWith('sha256=')) return false;
  const want = Buffer.from(createHmac('sha256', secret).update(raw).digest('hex'));
  const got = Buffer.from(header.slice(7));
  return got.length === want.length && timingSafeEqual(got, want);
};

/** An HTTP server on 127.0.0.1 that records POSTs and checks their signature. */
export const startWebhookServer = async (port = 0): Promise<WebhookTestServer> => {
  const state: WebhookTestServer = {
    url: '',
    port: 0,
    received: [],
    respond: 200,
    secret: '',
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const n = state.received.length;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        /* recorded as empty: the test's assertions on it fail */
      }
      state.received.push({
        headers: req.headers,
        raw,
        body,
        signatureValid: verify(state.secret, raw, req.headers['x-tms-signature'] as string | undefined),
        receivedAtMs: Date.now(),
      });
      res.statusCode = typeof state.respond === 'function' ? state.respond(n) : state.respond;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}/hook`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
};

/** A port nothing listens on right now (for "the receiver is down"). */
export const freePort = async (): Promise<number> => {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
};

/** Inserts an open alarm on a unit directly (the evaluator's job in production), detected now. */
export const insertAlarm = async (
  db: Db,
  unit: UnitRef,
  o: {
    severity?: 'warning' | 'critical';
    kind?: 'high' | 'low';
    thresholdC?: number;
    peakC?: number;
    startedAt?: Date;
    late?: boolean;
  } = {},
): Promise<string> => {
  const started = o.startedAt ?? new Date(Date.now() - 10 * 60_000);
  const [row] = await db.query<{ id: string }>(
    `INSERT INTO alarms (customer_id, facility_id, storage_unit_id, rule_id, kind, severity, rule_snapshot,
       threshold_c, started_at, confirmed_at, late, peak_c)
     VALUES ($1, $2, $3, $4, $5, $6, '{}'::jsonb, $7, $8, $8, $9, $10) RETURNING id`,
    [
      unit.customer_id,
      unit.facility_id,
      unit.id,
      `${o.kind ?? 'high'}-${o.severity ?? 'critical'}`,
      o.kind ?? 'high',
      o.severity ?? 'critical',
      o.thresholdC ?? 8,
      started,
      o.late ?? false,
      o.peakC ?? 9.5,
    ],
  );
  return row!.id;
};
