import { Readable } from 'node:stream';
import { exportReadingsCsv } from '../../readings/export.ts';
import { ExportQuery } from '../schemas/resources.ts';
import { BEARER, rangeOf, tenantOf, type App, type RouteDeps } from './deps.ts';

/** CSV export of readings with the `/temperature` filters, streamed page by page. */
export const registerExportRoutes = (app: App, { ctx }: RouteDeps): void => {
  app.get(
    '/api/v1/temperature/export.csv',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['temperature'],
        security: BEARER,
        summary: 'Readings as CSV (oldest first, up to 366 days, streamed)',
        querystring: ExportQuery,
        produces: ['text/csv'],
      },
    },
    async (req, reply) => {
      const q = req.query;
      const gen = exportReadingsCsv(ctx, tenantOf(req), { ...rangeOf(q), ...q });
      // Validate the range before the 200 goes out: the first chunk (header) is produced after the check.
      const first = await gen.next();
      const stream = Readable.from(
        (async function* () {
          if (!first.done) yield first.value;
          yield* gen;
        })(),
      );
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="temperature-readings.csv"')
        .send(stream);
    },
  );
};
