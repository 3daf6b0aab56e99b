// Times for the partner and admin apps: coarse relative ages ("4 min ago") for lists that update
// live, absolute clock times for timelines, and durations for the board's averages. Pure.
import { LOCALE } from '$lib/catalog/money';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "4 min ago", "2 h ago", "3 d ago" (a future time counts as now: clocks differ). */
export function formatAge(iso: string, now: number): string {
	const then = Date.parse(iso);
	if (Number.isNaN(then)) return '';
	const age = Math.max(0, now - then);
	if (age < MINUTE) return 'just now';
	if (age < HOUR) return `${Math.floor(age / MINUTE)} min ago`;
	if (age < DAY) return `${Math.floor(age / HOUR)} h ago`;
	return `${Math.floor(age / DAY)} d ago`;
}

/** A duration for people: "45 s", "23 min", "1 h 5 min". */
export function formatDuration(ms: number): string {
	if (!Number.isFinite(ms) || ms < 0) return '–';
	if (ms < MINUTE) return `${Math.round(ms / 1000)} s`;
	const minutes = Math.round(ms / MINUTE);
	if (minutes < 60) return `${minutes} min`;
	const hours = Math.floor(minutes / 60);
	const rest = minutes % 60;
	return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

function sameDay(a: Date, b: Date): boolean {
	return (
		a.getFullYear() === b.getFullYear() &&
		a.getMonth() === b.getMonth() &&
		a.getDate() === b.getDate()
	);
}

/** "14:05" today, "Mar 3, 14:05" on another day (in the viewer's time zone). */
export function formatClock(iso: string, now: number = Date.now(), locale = LOCALE): string {
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return '';
	const time = date.toLocaleTimeString(locale, { hour: 'numeric', minute: '2-digit' });
	if (sameDay(date, new Date(now))) return time;
	const day = date.toLocaleDateString(locale, { month: 'short', day: 'numeric' });
	return `${day}, ${time}`;
}

/** The full date and time, for a `title` tooltip. */
export function formatFull(iso: string, locale = LOCALE): string {
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return '';
	return date.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Local midnight of the day `now` falls in (the board's "today"). */
export function startOfDay(now: number): number {
	const date = new Date(now);
	date.setHours(0, 0, 0, 0);
	return date.getTime();
}
