import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_WEB_DIR = path.join(REPO_ROOT, 'dist', 'web');

/**
 * The dashboard only talks to this origin; no inline script or style, no framing. uPlot and Preact
 * set styles through the CSSOM, which `style-src 'self'` allows.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const ASSET_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

const SECURITY_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const NOT_BUILT_HTML = (building: boolean) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tms dashboard not built</title>
${building ? '<meta http-equiv="refresh" content="5">' : ''}</head>
<body><h1>The tms dashboard is not built</h1>
<p>${
  building
    ? 'It is being built now (vite build); this page reloads in a few seconds.'
    : 'Build it with <code>npm run build:web</code> (<code>npm ci</code> does it too), then reload.'
}</p>
<p>The REST API works regardless: <a href="/docs">/docs</a>, <a href="/health">/health</a>.</p></body></html>`;

export interface DashboardOptions {
  /** Where the built dashboard lives (default `dist/web` of the repository). */
  webDir?: string;
  /** Build the dashboard in the background when it is missing and a browser asks for it (default true when vite is installed). */
  buildWhenMissing?: boolean;
}

/** Whether the request comes from something that wants a page (a browser), not a JSON client. */
const wantsHtml = (req: FastifyRequest): boolean => (req.headers.accept ?? '').includes('text/html');

/**
 * Serves the single-page dashboard: `index.html` at `/` for browsers (JSON clients still get the
 * API's `/` answer), hashed assets under `/assets/` cached for a year. Registered after the API
 * routes; it adds no route that could shadow one. (Assets are served by a tiny handler rather than
 * @fastify/static, whose routes cannot carry the `scope` every route here must declare.)
 */
export const registerDashboard = async (app: FastifyInstance, opts: DashboardOptions = {}): Promise<void> => {
  const webDir = opts.webDir ?? DEFAULT_WEB_DIR;
  const indexFile = path.join(webDir, 'index.html');
  let building: Promise<void> | null = null;

  const startBuild = (): void => {
    if (building || opts.buildWhenMissing === false) return;
    let viteBin: string;
    try {
      viteBin = path.join(
        path.dirname(createRequire(import.meta.url).resolve('vite/package.json')),
        'bin',
        'vite.js',
      );
    } catch {
      return; // vite is a dev dependency: a production install must ship dist/web
    }
    app.log.warn({ webDir }, 'dashboard not built: building it now (vite build)');
    building = new Promise<void>((resolve) => {
      const child = spawn(process.execPath, [viteBin, 'build', '--config', 'web/vite.config.ts'], {
        cwd: REPO_ROOT,
        stdio: 'ignore',
      });
      child.on('error', () => resolve());
      child.on('close', (code) => {
        if (code !== 0) app.log.error({ code }, 'dashboard build failed: run npm run build:web');
        resolve();
      });
    }).finally(() => {
      building = null;
    });
  };

  const sendIndex = async (reply: FastifyReply): Promise<FastifyReply> => {
    void reply.headers(SECURITY_HEADERS).header('cache-control', 'no-cache').type('text/html; charset=utf-8');
    try {
      return reply.send(await readFile(indexFile));
    } catch {
      startBuild();
      return reply.status(503).send(NOT_BUILT_HTML(building !== null));
    }
  };

  // GET / belongs to the API (a JSON banner); a browser asking for a page gets the dashboard instead.
  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return;
    const url = req.url.split('?')[0];
    if ((url === '/' && wantsHtml(req)) || url === '/index.html') return sendIndex(reply);
  });

  // Hashed build assets (`index-3f9a1c.js`): immutable, so browsers cache them for a year.
  app.get<{ Params: { '*': string } }>(
    '/assets/*',
    { config: { scope: 'public' }, schema: { hide: true } as Record<string, unknown> },
    async (req, reply) => {
      const name = req.params['*'];
      const type = ASSET_TYPES[path.extname(name)];
      // Flat directory of generated names: anything else (.., slashes, odd characters) is not ours.
      if (!type || !/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith('.')) return reply.callNotFound();
      let body: Buffer;
      try {
        body = await readFile(path.join(webDir, 'assets', name));
      } catch {
        return reply.callNotFound();
      }
      return reply.type(type).header('cache-control', 'public, max-age=31536000, immutable').send(body);
    },
  );

  // The API's onSend hook gives every response a JSON-only CSP and no-store; dashboard responses
  // get theirs here (this hook is registered later, so it runs after and wins).
  app.addHook('onSend', async (req, reply, payload) => {
    const url = req.url.split('?')[0] ?? '';
    if (url.startsWith('/assets/') && reply.statusCode === 200) {
      void reply.header('cache-control', 'public, max-age=31536000, immutable');
      void reply.header('content-security-policy', DASHBOARD_CSP);
    } else if (
      String(reply.getHeader('content-type') ?? '').startsWith('text/html') &&
      (url === '/' || url === '/index.html')
    ) {
      void reply.headers(SECURITY_HEADERS).header('cache-control', 'no-cache');
    }
    return payload;
  });
};
