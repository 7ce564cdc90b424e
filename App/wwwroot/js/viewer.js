// What the server needs to know about the viewer, remembered in cookies so the next page's first HTML uses it.
const year = 60 * 60 * 24 * 365;

function remember(name, value) {
  document.cookie = value
    ? `${name}=${encodeURIComponent(value)}; path=/; max-age=${year}; samesite=lax`
    : `${name}=; path=/; max-age=0; samesite=lax`;
}

// The viewer's time zone (IANA name), so the server renders times in it.
export function timeZone() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  remember("automations-tz", zone);
  return zone;
}

// The theme chosen with the toggle ("dark" or "light"), or null to follow the system's colour scheme.
export function setTheme(choice) {
  remember("automations-theme", choice);
}
