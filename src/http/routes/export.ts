import { Readable } from 'node:stream';
import { assertFacility, assertUnit } from '../../fleet/fleet.ts';
import { forReads } from '../../readings/context.ts';
import { exportReadingsCsv } from '../../readings/export.ts';
import { ExportQuery } from '../schemas/resources.ts';
import { BEARER, rangeOf, tenantOf, type App, type RouteDeps } from './deps.ts';

/** CSV export of readings with the `/temperature` filters, streamed page by page. */
export const registerExportRoutes = (app: App, { ctx, yieldToLight }: RouteDeps): void => {
  app.get(
    '/api/v1/temperature/export.csv',
    {
      // Streams up to a year of raw readings: limited per token (plugins/heavy-requests.ts).
      config: { scope: 'read', heavy: true },
      schema: {
        tags: ['temperature'],
        security: BEARER,
        summary:
          'Readings as CSV (oldest first, up to 366 days, streamed; optionally one facility or storage unit)',
        querystring: ExportQuery,
        produces: ['text/csv'],
      },
    },
    async (req, reply) => {
      const { facility_id, storage_unit_id, ...q } = req.query;
      const tenant = tenantOf(req);
      // A facility or unit of another customer is a 404, exactly as if it did not exist.
      if (facility_id) await assertFacility(ctx, facility_id, tenant);
      if (storage_unit_id) await assertUnit(ctx, storage_unit_id, tenant);
      const scope = {
        ...tenant,
        ...(facility_id ? { facilityId: facility_id } : {}),
        ...(storage_unit_id ? { unitId: storage_unit_id } : {}),
      };
      // The readings may lag (read replica); the id checks above use the primary.
      const gen = exportReadingsCsv(forReads(ctx), scope, { ...rangeOf(q), ...q });
      // Validate the range before the 200 goes out: the first chunk (header) is produced after the check.
      const first = await gen.next();
      const stream = Readable.from(
        (async function* () {
          if (!first.done) yield first.value;
          // Each page is thousands of rows of CSV work on the event loop: cheap requests first.
          for await (const chunk of gen) {
            await yieldToLight();
            yield chunk;
          }
        })(),
      );
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="temperature-readings.csv"')
        .send(stream);
    },
  );
};
