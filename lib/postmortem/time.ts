/**
 * Times as the postmortem prints them: UTC, spelled out by hand so the output does not depend on
 * the runtime's locale data; anything unparseable is kept verbatim rather than invented.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Nov 24, 2026`. */
function formatDay(d: Date): string {
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
}

function formatTime(d: Date): string {
  return `${d.toISOString().slice(11, 19)} UTC`;
}

/** `14:02:11 UTC` for an ISO time. */
export function formatClock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : formatTime(d);
}

/** `Nov 24, 2026, 14:02:11 UTC` for an ISO time. */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${formatDay(d)}, ${formatTime(d)}`;
}

/** `14:02:11 UTC`, with the date in front once `iso` is on another day than `day` (`YYYY-MM-DD`). */
export function formatStamp(iso: string, day: string | undefined): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return iso.slice(0, 10) === day ? formatTime(d) : `${formatDay(d)} ${formatTime(d)}`;
}

/** `1 h 2 min`, `7 min 19 s`, `45 s`. */
export function formatLength(from: string, to: string): string {
  const total = Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
  if (Number.isNaN(total)) return 'unknown length';
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return s > 0 ? `${m} min ${s} s` : `${m} min`;
  return `${s} s`;
}
