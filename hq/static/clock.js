// Headquarters' time for every page: the zone comes from headquarters (hq.timezone, /api/public/clock)
// and so does the clock (the page keeps the skew), so "today" and every printed time are the county's,
// whatever zone or clock the browser has. The page never guesses a zone.
"use strict";
const ZtcClock = (() => {
  let zone = null, skewMs = 0;
  const cache = {};
  function fmt() {
    if (!zone) throw new Error("ZtcClock.load() first");
    return cache[zone] || (cache[zone] = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23",
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }));
  }
  // The wall clock in headquarters' zone at an instant (ms since the epoch), as numbers.
  function wall(ms) {
    const p = {};
    for (const x of fmt().formatToParts(new Date(ms))) if (x.type !== "literal") p[x.type] = Number(x.value);
    return p;
  }
  const two = (n) => String(n).padStart(2, "0");
  const ms = (ts) => ts * 1000;
  return {
    async load() {
      const c = await (await fetch("/api/public/clock")).json();
      zone = c.timezone; skewMs = c.now * 1000 - Date.now();
      return c;
    },
    zone: () => zone,
    nowMs: () => Date.now() + skewMs,                      // headquarters' clock, not the browser's
    date(ts) { const w = wall(ms(ts)); return `${w.year}-${two(w.month)}-${two(w.day)}`; },
    time(ts) { const w = wall(ms(ts)); return `${two(w.hour)}:${two(w.minute)}:${two(w.second)}`; },
    hm(ts) { const w = wall(ms(ts)); return `${two(w.hour)}:${two(w.minute)}`; },
    dayHm(ts) { const w = wall(ms(ts)); return `${w.month}/${w.day} ${two(w.hour)}:${two(w.minute)}`; },
    today() { return this.date(this.nowMs() / 1000); },
    // 00:00 of YYYY-MM-DD in headquarters' zone, in seconds since the epoch (for date inputs).
    startOfDay(text) {
      const [y, m, d] = text.split("-").map(Number);
      let guess = Date.UTC(y, m - 1, d);
      for (let i = 0; i < 2; i++) { const w = wall(guess); guess -= Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Date.UTC(y, m - 1, d); }
      return guess / 1000;
    },
  };
})();
window.ZtcClock = ZtcClock;
