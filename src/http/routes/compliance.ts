import type { Static } from 'typebox';
import { getCustomerDetail } from '../../fleet/customers.ts';
import { assertFacility, assertUnit } from '../../fleet/fleet.ts';
import { AppError } from '../../lib/errors.ts';
import { complianceReport } from '../../readings/compliance.ts';
import { forReads } from '../../readings/context.ts';
import { AdminComplianceQuery, Compliance, ComplianceQuery } from '../schemas/compliance.ts';
import { BEARER, rangeOf, tenantOf, type App, type RouteDeps } from './deps.ts';

/** MKT, time in range, excursions and completeness over a window (issue 12): a unit, a facility, or all the caller's units. */
export const registerComplianceRoutes = (app: App, { ctx }: RouteDeps): void => {
  // The figures may lag (read replica); the id checks use the primary.
  const reads = forReads(ctx);
  // The caller's customer, and its token's units if limited (tenantOf), or the customer an admin names.
  const report = async (q: Static<typeof ComplianceQuery>, t: { customerId: string; unitIds?: string[] }) => {
    if (q.window && q.start_date)
      throw new AppError(
        'VALIDATION',
        'window and start_date exclude each other: window counts back from end_date',
      );
    if (q.facility_id) await assertFacility(ctx, q.facility_id, t);
    if (q.storage_unit_id) await assertUnit(ctx, q.storage_unit_id, t);
    return complianceReport(
      reads,
      { ...t, facilityId: q.facility_id, unitId: q.storage_unit_id },
      { ...rangeOf(q), window: q.window, activationEnergyKjMol: q.activation_energy_kj_mol },
    );
  };
  app.get(
    '/api/v1/analytics/compliance',
    {
      // Up to a year of rollup rows, or of readings for a custom ΔH: limited per token.
      config: { scope: 'read' as const, heavy: true },
      schema: {
        tags: ['analytics'],
        security: BEARER,
        summary:
          'Mean kinetic temperature, time in range, excursions, degree-minutes and data completeness of a unit, a facility or all your units over [start_date, end_date) or a rolling USP <1079.2> window',
        description:
          "The window is [start_date, end_date): end_date is exclusive, and defaults to now; start_date defaults to 30 days before it. Up to 31 days (or with a custom activation energy) every reading is used, each holding its value until the next one for at most max_gap_minutes (basis readings); longer windows are computed from hourly rollups, count-weighted (basis rollups, approximate). Limits are each unit's alarm limits, else set point ∓ max_temperature_deviation.critical.",
        querystring: ComplianceQuery,
        response: { 200: Compliance },
      },
    },
    async (req) => report(req.query, tenantOf(req)),
  );
  app.get(
    '/api/v1/admin/analytics/compliance',
    {
      config: { scope: 'admin' as const, heavy: true },
      schema: {
        tags: ['admin'],
        security: BEARER,
        summary: "A customer's compliance figures (all its units, or one facility or unit of it)",
        querystring: AdminComplianceQuery,
        response: { 200: Compliance },
      },
    },
    async (req) => {
      const r = await report(req.query, { customerId: req.query.customer_id });
      // An unknown customer has no units: a 404 rather than empty figures.
      if (r.units.length === 0) await getCustomerDetail(ctx, req.query.customer_id);
      return r;
    },
  );
};
