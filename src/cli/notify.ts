import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { AppError } from '../lib/errors.ts';
import { printJson } from './output.ts';
import { runOp } from './run-op.ts';

interface Delivery {
  id: number;
  channel_id: string | null;
  channel_type: string;
  target: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  last_error: string | null;
  sent_at: string | null;
}

/** `tms notify test`. */
export const registerNotifyCommands = (program: Command): void => {
  const notify = program
    .command('notify')
    .description('Alarm notifications: test a channel or the SMTP settings');
  notify
    .command('test')
    .description('Send a test message now and print the outcome (exit 1 when it was not delivered)')
    .option('--channel <id>', 'a notification channel id (GET /api/v1/notification-channels)')
    .option('--customer <code>', 'with --email or --webhook: send for this customer without a channel')
    .option('--email <address>', 'an ad-hoc e-mail address (checks SMTP_URL and TMS_MAIL_FROM)')
    .option('--webhook <url>', 'an ad-hoc webhook URL (sent unsigned: there is no channel secret)')
    .option('--json', 'print the delivery row as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  tms notify test --channel 0b6f…\n  SMTP_URL=smtp://mail.example.com:587 tms notify test --customer A --email qa@example.com',
    )
    .action(
      async (opts: {
        channel?: string;
        customer?: string;
        email?: string;
        webhook?: string;
        json?: boolean;
      }) => {
        const adhoc = opts.email ?? opts.webhook;
        if (opts.channel ? opts.customer || adhoc : !(opts.customer && adhoc) || (opts.email && opts.webhook))
          throw new AppError(
            'VALIDATION',
            'Give --channel <id>, or --customer <code> with one of --email or --webhook',
          );
        const d = await runOp<Delivery>(
          loadConfig(),
          'notify.test',
          opts.channel
            ? { channel: opts.channel }
            : { customer: opts.customer, type: opts.email ? 'email' : 'webhook', target: adhoc },
        );
        if (opts.json) printJson(d);
        else if (d.status === 'sent')
          console.log(`Sent: ${d.channel_type} to ${d.target} (delivery ${d.id}).`);
        else if (d.status === 'failed')
          console.log(
            `Not delivered: ${d.channel_type} to ${d.target}: ${d.last_error ?? 'unknown error'} (delivery ${d.id}).`,
          );
        else
          console.log(
            `Still pending after 15 s: ${d.channel_type} to ${d.target} (delivery ${d.id}); see GET /api/v1/notifications.`,
          );
        if (d.status !== 'sent') process.exitCode = 1;
      },
    );
};
