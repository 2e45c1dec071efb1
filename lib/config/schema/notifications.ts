/** The `notifications` section: who hears about incidents. */
import * as z from 'zod/mini';
import { DEFAULTS } from '../defaults.ts';
import '../zod-english.ts';
import { strict } from './helpers.ts';
import { httpsEndpointSchema } from './leaves.ts';

export const notificationsSchema = strict({
  emails: z._default(z.array(z.email({ error: 'must be an email address like oncall@example.com' })), () => [
    ...DEFAULTS.notifications.emails,
  ]),
  httpsEndpoints: z._default(z.array(httpsEndpointSchema), () => [...DEFAULTS.notifications.httpsEndpoints]),
});
export type NotificationsConfig = z.output<typeof notificationsSchema>;
