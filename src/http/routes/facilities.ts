import { Type } from 'typebox';
import {
  createFacility,
  createUnit,
  getFacility,
  getFacilityDetailed,
  getUnit,
  listFacilities,
  listUnits,
  updateFacility,
  updateUnit,
} from '../../fleet/fleet.ts';
import { customerOf } from '../plugins/auth.ts';
import { IdParams, Paginated, Pagination, TempUnit, toPage } from '../schemas/common.ts';
import {
  Facility,
  FacilityCreate,
  FacilityUpdate,
  FacilityWithUnits,
  Unit,
  UnitCreate,
  UnitUpdate,
} from '../schemas/resources.ts';
import { BEARER, tenantOf, type App, type RouteDeps } from './deps.ts';

const PageQuery = Type.Object(Pagination);

/** Facilities and storage units of the caller's customer. */
export const registerFacilityRoutes = (app: App, { ctx }: RouteDeps): void => {
  const read = { scope: 'read' as const };
  // Units carry their current reading and status: kept while the change feed is heard (plugins/response-cache.ts).
  const live = { scope: 'read' as const, cache: 'live' as const };
  const write = { scope: 'write' as const };
  const tags = ['facilities'];

  app.get(
    '/api/v1/facilities',
    {
      config: read,
      schema: {
        tags,
        security: BEARER,
        summary: 'Facilities',
        querystring: PageQuery,
        response: { 200: Paginated(Facility) },
      },
    },
    async (req) => {
      const r = await listFacilities(ctx, tenantOf(req), req.query.limit, req.query.offset);
      return toPage(r.items, r.total, req.query.limit, req.query.offset);
    },
  );
  app.get(
    '/api/v1/facilities/:facility_id',
    {
      config: read,
      schema: {
        tags,
        security: BEARER,
        summary: 'One facility',
        params: IdParams('facility_id'),
        response: { 200: Facility },
      },
    },
    async (req) => getFacility(ctx, req.params.facility_id, tenantOf(req)),
  );
  app.get(
    '/api/v1/facilities/:facility_id/detailed',
    {
      config: read,
      schema: {
        tags,
        security: BEARER,
        summary: 'A facility with its units and all-time temperature figures',
        params: IdParams('facility_id'),
        querystring: Type.Object({ unit: Type.Optional(TempUnit) }),
        response: { 200: FacilityWithUnits },
      },
    },
    async (req) => getFacilityDetailed(ctx, req.params.facility_id, tenantOf(req), req.query.unit),
  );
  app.get(
    '/api/v1/facilities/:facility_id/units',
    {
      config: live,
      schema: {
        tags,
        security: BEARER,
        summary: 'Storage units of a facility',
        params: IdParams('facility_id'),
        querystring: PageQuery,
        response: { 200: Paginated(Unit) },
      },
    },
    async (req) => {
      const r = await listUnits(
        ctx,
        req.params.facility_id,
        tenantOf(req),
        req.query.limit,
        req.query.offset,
      );
      return toPage(r.items, r.total, req.query.limit, req.query.offset);
    },
  );
  app.get(
    '/api/v1/units/:unit_id',
    {
      config: read,
      schema: {
        tags,
        security: BEARER,
        summary: 'One storage unit with its current state',
        params: IdParams('unit_id'),
        response: { 200: Unit },
      },
    },
    async (req) => getUnit(ctx, req.params.unit_id, tenantOf(req)),
  );
  app.post(
    '/api/v1/facilities',
    {
      config: write,
      schema: {
        tags,
        security: BEARER,
        summary: "Create a facility (the customer is the token's)",
        body: FacilityCreate,
        response: { 201: Facility },
      },
    },
    async (req, reply) => {
      const { customer_id: _ignored, ...input } = req.body;
      const created = await createFacility(ctx, customerOf(req).customerId, tenantOf(req), input);
      return reply.status(201).send(created);
    },
  );
  app.put(
    '/api/v1/facilities/:facility_id',
    {
      config: write,
      schema: {
        tags,
        security: BEARER,
        summary: 'Update a facility',
        params: IdParams('facility_id'),
        body: FacilityUpdate,
        response: { 200: Facility },
      },
    },
    async (req) => updateFacility(ctx, req.params.facility_id, tenantOf(req), req.body),
  );
  app.post(
    '/api/v1/facilities/:facility_id/units',
    {
      config: write,
      schema: {
        tags,
        security: BEARER,
        summary: 'Create a storage unit (the facility is the path one)',
        params: IdParams('facility_id'),
        body: UnitCreate,
        response: { 201: Unit },
      },
    },
    async (req, reply) => {
      const { facility_id: _ignored, ...input } = req.body;
      const created = await createUnit(ctx, req.params.facility_id, tenantOf(req), input);
      return reply.status(201).send(created);
    },
  );
  app.put(
    '/api/v1/units/:unit_id',
    {
      config: write,
      schema: {
        tags,
        security: BEARER,
        summary: 'Update a storage unit',
        params: IdParams('unit_id'),
        body: UnitUpdate,
        response: { 200: Unit },
      },
    },
    async (req) => updateUnit(ctx, req.params.unit_id, tenantOf(req), req.body as never),
  );
};
