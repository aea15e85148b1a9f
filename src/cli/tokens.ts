import type { Command } from 'commander';
import type { IssuedToken, RevokedToken } from '../auth/tokens.ts';
import { loadConfig } from '../config/config.ts';
import type { TokenRecord } from '../db/tokens-repo.ts';
import { parseDurationMs } from '../domain/time.ts';
import { SCOPES, type Scope } from '../domain/tokens.ts';
import { AppError } from '../lib/errors.ts';
import { formatTable, printJson } from './output.ts';
import { runOp } from './run-op.ts';

const parseScopes = (text: string): Scope[] => {
  const scopes = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of scopes) {
    if (!SCOPES.includes(s as Scope))
      throw new AppError('VALIDATION', `Unknown scope '${s}' (scopes: read, write; admin via --admin)`);
  }
  return scopes as Scope[];
};

const when = (v: string | Date | null): string => (v ? String(v).replace('.000Z', 'Z') : '-');

export const registerTokenCommands = (program: Command): void => {
  const tokens = program
    .command('tokens')
    .description('API tokens: create, list, revoke (only hashes are stored)');

  tokens
    .command('create')
    .description('Create a token and print it once')
    .option('--customer <code>', 'the customer the token acts for, e.g. B')
    .option('--admin', 'an admin token (all customers; belongs to no customer)')
    .option('--scopes <list>', 'comma-separated scopes: read, write (write implies read)', 'read')
    .option('--name <name>', 'a label to recognise the token by')
    .option('--expires <duration>', 'lifetime such as 30d, 12h, 2w (default: no expiry)')
    .option('--rate-limit <perHour>', 'requests per hour allowed (default 1000)')
    .option('--reason <text>', 'why the token is created (kept in the audit trail)')
    .option('--json', 'print JSON including the token')
    .addHelpText(
      'after',
      '\nExamples:\n  tms tokens create --customer B --scopes read,write --expires 30d\n  tms tokens create --admin --json',
    )
    .action(
      async (opts: {
        customer?: string;
        admin?: boolean;
        scopes: string;
        name?: string;
        expires?: string;
        rateLimit?: string;
        reason?: string;
        json?: boolean;
      }) => {
        let expiresAt: string | undefined;
        if (opts.expires) {
          const ms = parseDurationMs(opts.expires);
          if (ms === undefined)
            throw new AppError(
              'VALIDATION',
              `--expires '${opts.expires}' is not a duration such as 30d or 12h`,
            );
          expiresAt = new Date(Date.now() + ms).toISOString();
        }
        let rateLimitPerHour: number | undefined;
        if (opts.rateLimit !== undefined) {
          rateLimitPerHour = Number(opts.rateLimit);
          if (!Number.isInteger(rateLimitPerHour) || rateLimitPerHour < 1)
            throw new AppError('VALIDATION', '--rate-limit must be a positive integer');
        }
        const t = await runOp<IssuedToken>(loadConfig(), 'tokens.create', {
          customer: opts.customer,
          admin: opts.admin === true,
          scopes: opts.admin ? undefined : parseScopes(opts.scopes),
          name: opts.name,
          expiresAt,
          rateLimitPerHour,
          reason: opts.reason,
        });
        if (opts.json) return printJson(t);
        console.log(
          `Created token ${t.id} (${t.token_name}) for ${t.customer_code ?? 'admin'} with scopes ${t.permissions.join(',')}` +
            `${t.expires_at ? `, expires ${when(t.expires_at)}` : ''}.`,
        );
        console.log('Store it now; it is not shown again:\n');
        console.log(`  ${t.token}\n`);
      },
    );

  tokens
    .command('list')
    .description('List active tokens (never the token itself)')
    .option('--customer <code>', "only this customer's tokens")
    .option('--all', 'include revoked tokens')
    .option('--json', 'print JSON')
    .action(async (opts: { customer?: string; all?: boolean; json?: boolean }) => {
      const list = await runOp<TokenRecord[]>(loadConfig(), 'tokens.list', {
        customer: opts.customer,
        all: opts.all === true,
      });
      if (opts.json) return printJson(list);
      if (list.length === 0) return console.log('No tokens.');
      console.log(
        formatTable(
          ['ID', 'PREFIX', 'CUSTOMER', 'SCOPES', 'NAME', 'EXPIRES', 'LAST USED', 'ACTIVE'],
          list.map((t) => [
            t.id,
            `${t.token_prefix}…`,
            t.customer_code ?? '(admin)',
            t.permissions.join(','),
            t.token_name,
            when(t.expires_at),
            when(t.last_used_at),
            t.is_active ? 'yes' : 'revoked',
          ]),
        ),
      );
    });

  tokens
    .command('revoke')
    .description('Revoke a token by its id (see tms tokens list); it stops working at once')
    .argument('<id>', 'token id')
    .option('--reason <text>', 'why the token is revoked (kept in the audit trail)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { reason?: string; json?: boolean }) => {
      const t = await runOp<RevokedToken>(loadConfig(), 'tokens.revoke', { id, reason: opts.reason });
      if (opts.json) return printJson(t);
      const more = t.descendants_revoked?.length ?? 0;
      console.log(
        `Revoked token ${t.id} (${t.token_name})${more ? ` and ${more} token(s) created from it` : ''}.`,
      );
    });
};
