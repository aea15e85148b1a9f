import { Type, type Static } from 'typebox';
import {
  acknowledgeAlarm,
  getAlarm,
  listAlarms,
  shelveAlarm,
  unshelveAlarm,
} from '../../alarms/alarm-verbs.ts';
import {
  getEquipmentTypeRules,
  getUnitRules,
  putEquipmentTypeRules,
  putUnitRules,
  resetEquipmentTypeRules,
  resetUnitRules,
} from '../../alarms/rule-verbs.ts';
import { parseInstant } from '../../readings/time.ts';
import {
  AcknowledgeBody,
  AlarmDetail,
  AlarmDetailQuery,
  AlarmItem,
  AlarmListQuery,
  AlarmRulesPut,
  EquipmentTypeParams,
  EquipmentTypeRules,
  EquipmentTypeRulesPut,
  EquipmentTypeRulesQuery,
  ShelveBody,
  UnitAlarmRules,
  UnshelveBody,
} from '../schemas/alarms.ts';
import { IdParams, Paginated, toPage } from '../schemas/common.ts';
import { BEARER, rangeOf, tenantOf, type App, type RouteDeps } from './deps.ts';

type RuleList = Parameters<typeof putUnitRules>[3];

/** PUT bodies are `{"rules": [...]}` or the bare list. */
const rulesOf = (body: unknown): RuleList =>
  (Array.isArray(body) ? body : (body as { rules: RuleList }).rules) as RuleList;

/** Alarms: list, detail, acknowledge, shelve; a unit's alarm rules; per-equipment-type defaults. */
/** The alarm list's query string as the verbs' filter (the customer and the admin list share it). */
export const alarmFilterOf = (q: Static<typeof AlarmListQuery>) => ({
  state: q.state,
  severity: q.severity,
  kind: q.kind,
  unitId: q.storage_unit_id,
  facilityId: q.facility_id,
  ...rangeOf(q),
  sort: q.sort,
  unit: q.unit,
  limit: q.limit,
  offset: q.offset,
});

export const registerAlarmRoutes = (app: App, { ctx }: RouteDeps): void => {
  const read = { scope: 'read' as const };
  const write = { scope: 'write' as const };
  const tags = ['alarms'];
  const AlarmId = IdParams('alarm_id');

  app.get(
    '/api/v1/alarms',
    {
      config: read,
      schema: {
        tags,
        security: BEARER,
        summary:
          'Alarms (state open = not closed; start_date/end_date on started_at); newest first, or sort=priority',
        querystring: AlarmListQuery,
        response: { 200: Paginated(AlarmItem) },
      },
    },
    async (req) => {
      const q = req.query;
      const r = await listAlarms(ctx, tenantOf(req), alarmFilterOf(q));
      return toPage(r.items, r.total, q.limit, q.offset);
    },
  );
  app.get(
    '/api/v1/alarms/:alarm_id',
    {
      config: read,
      schema: {
        tags,
        security: BEARER,
        summary: 'One alarm with its record: figures, rule snapshot and events in order',
        params: AlarmId,
        querystring: AlarmDetailQuery,
        response: { 200: AlarmDetail },
      },
    },
    async (req) => getAlarm(ctx, req.params.alarm_id, tenantOf(req), req.query.unit),
  );
  app.post(
    '/api/v1/alarms/:alarm_id/acknowledge',
    {
      config: write,
      schema: {
        tags,
        security: BEARER,
        summary: 'Acknowledge with a comment (required); 409 when acknowledged already',
        params: AlarmId,
        body: AcknowledgeBody,
        response: { 200: AlarmDetail },
      },
    },
    // Who acknowledges is the request's token (the audit scope); the comment is the entry's reason.
    async (req) => acknowledgeAlarm(ctx, req.params.alarm_id, tenantOf(req), req.body.comment),
  );
  app.post(
    '/api/v1/alarms/:alarm_id/shelve',
    {
      config: write,
      schema: {
        tags,
        security: BEARER,
        summary:
          'Shelve for `minutes` (≤ 7 days) or `until`, with a reason: no escalation or repeats meanwhile; minutes 0 unshelves',
        params: AlarmId,
        body: ShelveBody,
        response: { 200: AlarmDetail },
      },
    },
    // The body's `reason` reaches the verb through the audit scope (audit-scope.ts takes it out of the body).
    async (req) =>
      shelveAlarm(ctx, req.params.alarm_id, tenantOf(req), {
        minutes: req.body.minutes,
        until: parseInstant(req.body.until, 'until'),
      }),
  );
  app.post(
    '/api/v1/alarms/:alarm_id/unshelve',
    {
      config: write,
      schema: {
        tags,
        security: BEARER,
        summary: 'End a shelving early; 409 when not shelved',
        params: AlarmId,
        body: UnshelveBody,
        response: { 200: AlarmDetail },
      },
    },
    async (req) => unshelveAlarm(ctx, req.params.alarm_id, tenantOf(req)),
  );

  const UnitId = IdParams('unit_id');
  app.get(
    '/api/v1/units/:unit_id/alarm-rules',
    {
      config: read,
      schema: {
        tags,
        security: BEARER,
        summary: "The unit's alarm rules in its own temperature unit, and where they come from",
        params: UnitId,
        response: { 200: UnitAlarmRules },
      },
    },
    async (req) => getUnitRules(ctx, req.params.unit_id, tenantOf(req)),
  );
  app.put(
    '/api/v1/units/:unit_id/alarm-rules',
    {
      config: write,
      schema: {
        tags,
        security: BEARER,
        summary:
          "Replace the unit's rules (in its own temperature unit; omitted fields take the defaults of the kind and severity)",
        params: UnitId,
        body: AlarmRulesPut,
        response: { 200: UnitAlarmRules },
      },
    },
    async (req) => putUnitRules(ctx, req.params.unit_id, tenantOf(req), rulesOf(req.body)),
  );
  app.delete(
    '/api/v1/units/:unit_id/alarm-rules',
    {
      config: write,
      schema: {
        tags,
        security: BEARER,
        summary: "Drop the unit's own rules: back to its equipment type's default, else the computed ones",
        params: UnitId,
        response: { 200: UnitAlarmRules },
      },
    },
    async (req) => resetUnitRules(ctx, req.params.unit_id, tenantOf(req)),
  );

  const typeSchema = {
    tags,
    security: BEARER,
    params: EquipmentTypeParams,
    querystring: EquipmentTypeRulesQuery,
    response: { 200: EquipmentTypeRules },
  };
  app.get(
    '/api/v1/alarm-rule-defaults/:equipment_type',
    {
      config: read,
      schema: {
        ...typeSchema,
        summary: "The customer's default rules for units of an equipment type (°C unless unit=F)",
      },
    },
    async (req) => getEquipmentTypeRules(ctx, tenantOf(req), req.params.equipment_type, req.query.unit),
  );
  app.put(
    '/api/v1/alarm-rule-defaults/:equipment_type',
    {
      config: write,
      schema: {
        ...typeSchema,
        summary:
          'Replace the default rules of an equipment type (temperatures in temperature_unit, default °C); units with their own rules keep them',
        querystring: Type.Object({}),
        body: EquipmentTypeRulesPut,
      },
    },
    async (req) => {
      const b = req.body;
      const unit = Array.isArray(b) ? undefined : b.temperature_unit;
      return putEquipmentTypeRules(ctx, tenantOf(req), req.params.equipment_type, rulesOf(b), unit);
    },
  );
  app.delete(
    '/api/v1/alarm-rule-defaults/:equipment_type',
    {
      config: write,
      schema: { ...typeSchema, summary: 'Drop the default rules of an equipment type' },
    },
    async (req) => resetEquipmentTypeRules(ctx, tenantOf(req), req.params.equipment_type, req.query.unit),
  );
};
