import { Type } from 'typebox';
import {
  createChannel,
  deleteChannel,
  listChannelsOf,
  listDeliveriesOf,
  testChannel,
  updateChannel,
} from '../../alarms/channels.ts';
import { customerOf } from '../plugins/auth.ts';
import { IdParams, Paginated, toPage } from '../schemas/common.ts';
import {
  Channel,
  ChannelCreate,
  ChannelUpdate,
  CreatedChannel,
  Delivery,
  DeliveryQuery,
} from '../schemas/notifications.ts';
import { BEARER, type App, type RouteDeps } from './deps.ts';

const WHOLE_CUSTOMER = 'tokens limited to some units: 403';

/** Notification channels (CRUD, test send) and the delivery log. */
export const registerNotificationRoutes = (app: App, { ctx }: RouteDeps): void => {
  const tags = ['notifications'];
  const read = { scope: 'read' as const };
  const write = { scope: 'write' as const };
  const caller = (req: Parameters<typeof customerOf>[0]) => {
    const p = customerOf(req);
    return { customerId: p.customerId, accessibleUnits: p.accessibleUnits };
  };

  app.get(
    '/api/v1/notification-channels',
    {
      config: read,
      schema: {
        tags,
        security: BEARER,
        summary: "The customer's notification channels (never a webhook's secret)",
        response: { 200: Type.Array(Channel) },
      },
    },
    async (req) => listChannelsOf(ctx, caller(req)),
  );
  app.post(
    '/api/v1/notification-channels',
    {
      config: write,
      schema: {
        tags,
        security: BEARER,
        summary: `Create a channel: an e-mail address, or a webhook URL (same SSRF rules as source URLs; 422 otherwise) whose signing secret is in this response only; ${WHOLE_CUSTOMER}`,
        body: ChannelCreate,
        response: { 201: CreatedChannel },
      },
    },
    async (req, reply) => reply.status(201).send(await createChannel(ctx, caller(req), req.body)),
  );
  app.put(
    '/api/v1/notification-channels/:channel_id',
    {
      config: write,
      schema: {
        tags,
        security: BEARER,
        summary: `Change a channel (its type is fixed; omitted fields unchanged); ${WHOLE_CUSTOMER}`,
        params: IdParams('channel_id'),
        body: ChannelUpdate,
        response: { 200: Channel },
      },
    },
    async (req) => updateChannel(ctx, caller(req), req.params.channel_id, req.body),
  );
  app.delete(
    '/api/v1/notification-channels/:channel_id',
    {
      config: write,
      schema: {
        tags,
        security: BEARER,
        summary: `Delete a channel and return it; its delivery log stays, messages still queued for it are given up; ${WHOLE_CUSTOMER}`,
        params: IdParams('channel_id'),
        response: { 200: Channel },
      },
    },
    async (req) => deleteChannel(ctx, caller(req), req.params.channel_id),
  );
  app.post(
    '/api/v1/notification-channels/:channel_id/test',
    {
      config: write,
      schema: {
        tags,
        security: BEARER,
        summary: `Send a test message and wait up to 15 s for the outcome: the delivery row (status sent, failed with last_error, or pending when no ingest process picked it up); ${WHOLE_CUSTOMER}`,
        params: IdParams('channel_id'),
        response: { 200: Delivery },
      },
    },
    async (req) => testChannel(ctx, caller(req), req.params.channel_id),
  );
  app.get(
    '/api/v1/notifications',
    {
      config: read,
      schema: {
        tags,
        security: BEARER,
        summary:
          'The delivery log: every notification queued, its status, attempts and last error; newest first (a token limited to some units sees those units\u2019 alarms and test sends)',
        querystring: DeliveryQuery,
        response: { 200: Paginated(Delivery) },
      },
    },
    async (req) => {
      const q = req.query;
      const r = await listDeliveriesOf(ctx, caller(req), q);
      return toPage(r.items, r.total, q.limit, q.offset);
    },
  );
};
