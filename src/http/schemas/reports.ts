import { Type } from 'typebox';
import { IdParams, TempUnit } from './common.ts';

/** Query of GET /api/v1/reports/{unit|facility}/{id}.{pdf|csv} (src/reports/reports.ts). */

const INSTANT_TEXT =
  'Required. ISO 8601 date or date-time; without an offset it is read in tz (2026-03-01 = local midnight)';
const ReportInstant = (description: string) =>
  Type.String({ format: 'iso-instant', maxLength: 40, description });

export const ReportQuery = Type.Object({
  // Required, but checked after the unit or facility is found in the caller's scope: another
  // customer's id is a 404 whatever the query.
  start_date: Type.Optional(ReportInstant(INSTANT_TEXT)),
  end_date: Type.Optional(ReportInstant(`${INSTANT_TEXT}; exclusive`)),
  tz: Type.Optional(
    Type.String({
      maxLength: 64,
      description: "IANA time zone of the report's times (default: the customer's)",
    }),
  ),
  unit: Type.Optional(TempUnit),
});

export const UnitReportParams = IdParams('unit_id');
export const FacilityReportParams = IdParams('facility_id');
