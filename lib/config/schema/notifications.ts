/** The `notifications` section: who hears about incidents. */
import * as z from 'zod/mini';
import { DEFAULTS } from '../defaults.ts';
import '../zod-english.ts';
import { described, strict } from './helpers.ts';
import { httpsEndpointSchema } from './leaves.ts';

export const notificationsSchema = strict({
  emails: described(
    z._default(z.array(z.email({ error: 'must be an email address like oncall@example.com' })), () => [
      ...DEFAULTS.notifications.emails,
    ]),
    'Email addresses subscribed to incident notifications.',
  ),
  httpsEndpoints: described(
    z._default(z.array(httpsEndpointSchema), () => [...DEFAULTS.notifications.httpsEndpoints]),
    'HTTPS endpoints subscribed to incident notifications (SNS https protocol).',
  ),
});
export type NotificationsConfig = z.output<typeof notificationsSchema>;
