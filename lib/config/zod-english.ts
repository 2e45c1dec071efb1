import { en } from 'zod/locales';
import * as z from 'zod/mini';

// Classic `zod` installs its English messages when its first schema is built; `zod/mini` leaves
// them out, and zod's own messages (a malformed event's ISO date, say) would read "Invalid input".
// Imported by every module that builds mini schemas; an explicitly configured locale still wins.
if (z.config().localeError === undefined) z.config(en());
