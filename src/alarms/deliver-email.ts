import nodemailer from 'nodemailer';
import type { RenderedMessage } from './messages.ts';

// E-mail over SMTP (nodemailer). One transport per notifier; a message's Message-ID is derived from
// its idempotency key, so a send repeated after a crash (lease expired before the outcome was stored)
// carries the same Message-ID and mail clients and servers can recognise the duplicate.

export interface EmailSettings {
  /** SMTP_URL; undefined: every e-mail send fails, saying why. */
  smtpUrl: string | undefined;
  /** TMS_MAIL_FROM. */
  mailFrom: string;
}

/** A file sent with a message (scheduled reports: the PDF or CSV). */
export interface MailAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
}

export interface Mailer {
  /** Resolves when the SMTP server accepted the message; rejects with the reason otherwise. */
  send(
    to: string,
    message: Pick<RenderedMessage, 'subject' | 'text' | 'html'>,
    idempotencyKey: string,
    attachments?: readonly MailAttachment[],
  ): Promise<void>;
  close(): void;
}

export const SMTP_NOT_CONFIGURED =
  'SMTP_URL is not set: e-mail channels cannot send (see docs/configuration.md)';

/** `<a1b2….started@tms.example.com>`: the key made dot-atom safe, at the sender's domain. */
export const messageIdOf = (idempotencyKey: string, mailFrom: string): string => {
  const domain = /@([^\s>]+)/.exec(mailFrom)?.[1] ?? 'tms.invalid';
  return `<${idempotencyKey.replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+/g, '.')}@${domain}>`;
};

/** A mailer for the settings; sends nothing but clear failures when SMTP_URL is unset. */
export const createMailer = (s: EmailSettings): Mailer => {
  if (!s.smtpUrl)
    return {
      send: () => Promise.reject(new Error(SMTP_NOT_CONFIGURED)),
      close: () => undefined,
    };
  const transport = nodemailer.createTransport({
    url: s.smtpUrl,
    // A dead server must fail the attempt well inside the notifier's lease (60 s).
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    send: async (to, m, key, attachments) => {
      await transport.sendMail({
        from: s.mailFrom,
        to,
        subject: m.subject,
        text: m.text,
        html: m.html,
        messageId: messageIdOf(key, s.mailFrom),
        headers: { 'X-TMS-Idempotency-Key': key },
        ...(attachments?.length ? { attachments: attachments.map((a) => ({ ...a })) } : {}),
      });
    },
    close: () => transport.close(),
  };
};
