// The viewer's time zone (IANA name), so the server renders times in it.
export function timeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
