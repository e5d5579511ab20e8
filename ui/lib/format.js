// How the page writes money, moments and durations: one way each, wherever they appear.

/** Atelier's turnaround when a service doesn't give one. */
export const DEFAULT_TURNAROUND_HOURS = 48;

export const MINUTE_MS = 60 * 1000;
export const HOUR_MS = 60 * MINUTE_MS;

/** "5" / "5.5" / "5.00" → "$5.00". Money stays text from the API to the screen: no floating point. */
export function money(price) {
  if (price === null || price === undefined || price === "") return "Price on request";
  const text = String(price);
  const match = /^(\d+)(?:\.(\d{0,2}))?$/.exec(text);
  if (!match) return `$${text}`;
  return `$${match[1]}.${(match[2] ?? "").padEnd(2, "0")}`;
}

/** A service's turnaround: "24 h", or Atelier's default when it gives none. */
export function turnaround(hours) {
  return hours == null ? `Atelier's default turnaround (${DEFAULT_TURNAROUND_HOURS} h)` : `${hours} h`;
}

function toDate(value) {
  if (value === null || value === undefined || value === "") return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "Mar 5, 2025, 9:41 PM": a day and a time (ISO text, a Date or milliseconds); "" when unknown. */
export function dateTime(value) {
  return toDate(value)?.toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) ?? "";
}

/** "9:41 PM": a time today the creator can plan around (a check, a retry, a rate limit's end). */
export function clockTime(value) {
  return toDate(value)?.toLocaleTimeString([], { timeStyle: "short" }) ?? "";
}

/** "3 h", "2 h 15 min", "40 min", "2 d 3 h": rounded down to the minute, never "0 min". */
export function duration(ms) {
  const minutes = Math.max(1, Math.floor(ms / MINUTE_MS));
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours >= 24) {
    const days = Math.floor(hours / 24);
    const left = hours % 24;
    return left ? `${days} d ${left} h` : `${days} d`;
  }
  if (!hours) return `${rest} min`;
  return rest && hours < 6 ? `${hours} h ${rest} min` : `${hours} h`;
}

/** How much of a long text (a client's brief) shows before "Show all". */
export const FOLD_CHARS = 600;
export const FOLD_LINES = 12;

/**
 * The start of a long text: at most `chars` characters and `lines` lines, never cutting a
 * character in two. `folded` says whether anything was left out. Only the start is read,
 * so a megabyte of text costs no more than a short one.
 */
export function fold(text, { chars = FOLD_CHARS, lines = FOLD_LINES } = {}) {
  const value = String(text ?? "");
  let end = Math.min(value.length, chars);
  let breaks = 0;
  for (let i = 0; i < end; i += 1) {
    if (value.charCodeAt(i) === 10 && ++breaks >= lines) {
      end = i;
      break;
    }
  }
  if (end >= value.length) return { head: value, folded: false };
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // half of an emoji: leave it whole for later
  return { head: value.slice(0, end), folded: true };
}

// Direction marks, embeddings, overrides and isolates, and zero-width characters: the same
// set the notifications drop (core/src/alerts.rs).
const HIDDEN = /[\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/;

/** Whether a stranger's text holds characters that change how it reads without showing. */
export function hasHiddenCharacters(text) {
  return HIDDEN.test(String(text ?? ""));
}

/** "1,048,576": a count the creator can read. */
export function count(n) {
  return Number(n).toLocaleString();
}
