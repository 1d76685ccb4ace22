import { describe, expect, it } from "vitest";
import {
  addDays,
  closedPeriods,
  duePeriods,
  instantOfLocalTime,
  localDate,
  periodAt,
  periodContaining,
  periodDueAt,
  periodHours,
  spanPeriod,
  startOfLocalDay,
} from "../../src/archive/periods";

const at = (iso: string) => Date.parse(iso);
const bounds = (period: { from_ms: number; to_ms: number }) => [
  new Date(period.from_ms).toISOString(),
  new Date(period.to_ms).toISOString(),
];

describe("daily periods", () => {
  it("UTC days are midnight to midnight", () => {
    const day = periodContaining("daily", "2026-11-21", "UTC");
    expect(day).toMatchObject({ period_start: "2026-11-21", period_end: "2026-11-21" });
    expect(bounds(day)).toEqual(["2026-11-21T00:00:00.000Z", "2026-11-22T00:00:00.000Z"]);
  });

  it("America/New_York: the spring-forward day has 23 hours, the fall-back day 25", () => {
    const spring = periodContaining("daily", "2026-03-08", "America/New_York");
    expect(bounds(spring)).toEqual(["2026-03-08T05:00:00.000Z", "2026-03-09T04:00:00.000Z"]);
    expect(periodHours(spring)).toBe(23);
    const fall = periodContaining("daily", "2026-11-01", "America/New_York");
    expect(bounds(fall)).toEqual(["2026-11-01T04:00:00.000Z", "2026-11-02T05:00:00.000Z"]);
    expect(periodHours(fall)).toBe(25);
    expect(periodHours(periodContaining("daily", "2026-11-02", "America/New_York"))).toBe(24);
  });

  it("Asia/Kolkata is offset by half an hour and has no DST", () => {
    const day = periodContaining("daily", "2026-11-21", "Asia/Kolkata");
    expect(bounds(day)).toEqual(["2026-11-20T18:30:00.000Z", "2026-11-21T18:30:00.000Z"]);
    expect(periodHours(periodContaining("daily", "2026-03-08", "Asia/Kolkata"))).toBe(24);
  });

  it("Pacific/Chatham: +12:45, +13:45 in summer, and a 23-hour day when DST starts", () => {
    expect(bounds(periodContaining("daily", "2026-07-01", "Pacific/Chatham"))).toEqual([
      "2026-06-30T11:15:00.000Z",
      "2026-07-01T11:15:00.000Z",
    ]);
    const start = periodContaining("daily", "2026-09-27", "Pacific/Chatham");
    expect(bounds(start)).toEqual(["2026-09-26T11:15:00.000Z", "2026-09-27T10:15:00.000Z"]);
    expect(periodHours(start)).toBe(23);
    expect(periodHours(periodContaining("daily", "2026-04-05", "Pacific/Chatham"))).toBe(25);
  });

  it("an event at 23:59:59.999 local and one at 00:00:00.000 land in different periods", () => {
    for (const zone of ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]) {
      const midnight = startOfLocalDay("2026-11-22", zone);
      const before = periodAt("daily", midnight - 1, zone);
      const after = periodAt("daily", midnight, zone);
      expect(before.period_start, zone).toBe("2026-11-21");
      expect(after.period_start, zone).toBe("2026-11-22");
      expect(before.to_ms).toBe(after.from_ms);
      expect(midnight - 1).toBeGreaterThanOrEqual(before.from_ms);
      expect(midnight - 1).toBeLessThan(before.to_ms);
    }
    // The same at a DST change: 23:59:59.999 on the 25-hour day, then midnight.
    const nextDay = startOfLocalDay("2026-11-02", "America/New_York");
    expect(new Date(nextDay - 1).toISOString()).toBe("2026-11-02T04:59:59.999Z");
    expect(periodAt("daily", nextDay - 1, "America/New_York").period_start).toBe("2026-11-01");
    expect(periodAt("daily", nextDay, "America/New_York").period_start).toBe("2026-11-02");
  });

  it("days tile the year with no gap or overlap in every zone, even where midnight is skipped", () => {
    const zones = [
      "UTC",
      "America/New_York",
      "Asia/Kolkata",
      "Pacific/Chatham",
      "America/Santiago",
      "America/Havana",
      "Asia/Beirut",
      "Australia/Lord_Howe",
      "Pacific/Kiritimati",
      "America/St_Johns",
    ];
    // Chile moves its clocks at midnight: on 2026-09-06 local time jumps from 23:59:59 to 01:00.
    expect(bounds(periodContaining("daily", "2026-09-06", "America/Santiago"))[0]).toBe("2026-09-06T04:00:00.000Z");
    expect(localDate(startOfLocalDay("2026-09-06", "America/Santiago") - 1, "America/Santiago")).toBe("2026-09-05");
    for (const zone of zones) {
      let date = "2026-01-01";
      for (let i = 0; i < 365; i++, date = addDays(date, 1)) {
        const day = periodContaining("daily", date, zone);
        expect(localDate(day.from_ms, zone), `${zone} ${date}`).toBe(date);
        expect(localDate(day.from_ms - 1, zone) < date, `${zone} ${date}`).toBe(true);
        expect(day.to_ms).toBe(periodContaining("daily", addDays(date, 1), zone).from_ms);
        expect(periodHours(day)).toBeGreaterThanOrEqual(23);
        expect(periodHours(day)).toBeLessThanOrEqual(25);
      }
    }
  });
});

describe("weekly periods", () => {
  it("run Monday to Sunday in local time", () => {
    const week = periodContaining("weekly", "2026-11-19", "America/New_York");
    expect(week).toMatchObject({ period_start: "2026-11-16", period_end: "2026-11-22" });
    expect(bounds(week)).toEqual(["2026-11-16T05:00:00.000Z", "2026-11-23T05:00:00.000Z"]);
    // The week of the fall-back day is an hour longer.
    expect(periodHours(periodContaining("weekly", "2026-11-01", "America/New_York"))).toBe(7 * 24 + 1);
    expect(periodContaining("weekly", "2026-11-16", "UTC").period_start).toBe("2026-11-16");
    expect(periodContaining("weekly", "2026-11-22", "UTC").period_start).toBe("2026-11-16");
  });
});

describe("closed periods", () => {
  it("daily: the previous local day, once local midnight has passed", () => {
    const zone = "America/New_York";
    expect(closedPeriods("daily", zone, at("2026-11-22T04:59:00Z"))[0].period_start).toBe("2026-11-20");
    expect(closedPeriods("daily", zone, at("2026-11-22T05:07:00Z"))[0].period_start).toBe("2026-11-21");
    expect(closedPeriods("daily", "Asia/Kolkata", at("2026-11-21T18:37:00Z"))[0].period_start).toBe("2026-11-21");
    const lastTwo = closedPeriods("daily", "UTC", at("2026-11-22T00:07:00Z"), 2);
    expect(lastTwo.map((p) => p.period_start)).toEqual(["2026-11-21", "2026-11-20"]);
  });

  it("weekly: the previous Monday–Sunday, once the local week has ended", () => {
    const sundayNight = closedPeriods("weekly", "Pacific/Chatham", at("2026-11-22T10:00:00Z"))[0];
    expect(sundayNight).toMatchObject({ period_start: "2026-11-09", period_end: "2026-11-15" });
    const mondayMorning = closedPeriods("weekly", "Pacific/Chatham", at("2026-11-22T10:22:00Z"))[0];
    expect(mondayMorning).toMatchObject({ period_start: "2026-11-16", period_end: "2026-11-22" });
  });

  it("a closed period never reaches past now", () => {
    for (const zone of ["UTC", "America/New_York", "Pacific/Chatham"]) {
      for (let hour = 0; hour < 48; hour++) {
        const now = at("2026-03-07T00:07:00Z") + hour * 3_600_000;
        for (const period of closedPeriods("daily", zone, now, 2)) expect(period.to_ms).toBeLessThanOrEqual(now);
      }
    }
  });

  it("spans of several days", () => {
    const span = spanPeriod("2026-11-20", "2026-11-22", "Asia/Kolkata");
    expect(bounds(span)).toEqual(["2026-11-19T18:30:00.000Z", "2026-11-22T18:30:00.000Z"]);
  });
});

describe("archive.time: when a period's archive is due", () => {
  const iso = (ms: number) => new Date(ms).toISOString();

  it("a local time of day, in the zone's offset of that day", () => {
    expect(iso(instantOfLocalTime("2026-11-22", "02:00", "America/New_York"))).toBe("2026-11-22T07:00:00.000Z");
    expect(iso(instantOfLocalTime("2026-07-22", "02:00", "America/New_York"))).toBe("2026-07-22T06:00:00.000Z");
    expect(iso(instantOfLocalTime("2026-11-22", "02:00", "Asia/Kolkata"))).toBe("2026-11-21T20:30:00.000Z");
    expect(iso(instantOfLocalTime("2026-11-22", "23:59", "Pacific/Kiritimati"))).toBe("2026-11-22T09:59:00.000Z");
  });

  it("a time the spring-forward change skips still happens that day, at the end of the gap", () => {
    // New York jumps from 02:00 to 03:00 on 2026-03-08: 02:30 does not exist, and fires at 03:00 EDT.
    expect(iso(instantOfLocalTime("2026-03-08", "02:30", "America/New_York"))).toBe("2026-03-08T07:00:00.000Z");
    expect(localDate(instantOfLocalTime("2026-03-08", "02:30", "America/New_York"), "America/New_York")).toBe(
      "2026-03-08",
    );
    // Chile skips midnight on 2026-09-06: 00:30 fires at 01:00 local.
    expect(iso(instantOfLocalTime("2026-09-06", "00:30", "America/Santiago"))).toBe("2026-09-06T04:00:00.000Z");
    // Lord Howe moves by half an hour: 02:15 falls in its gap (02:00 → 02:30).
    expect(iso(instantOfLocalTime("2026-10-04", "02:15", "Australia/Lord_Howe"))).toBe("2026-10-03T15:30:00.000Z");
  });

  it("a time the fall-back change repeats fires at its first occurrence", () => {
    // New York goes back from 02:00 EDT to 01:00 EST on 2026-11-01: 01:30 happens twice.
    expect(iso(instantOfLocalTime("2026-11-01", "01:30", "America/New_York"))).toBe("2026-11-01T05:30:00.000Z");
  });

  it("midnight is the start of the local day, even where midnight is skipped", () => {
    for (const [zone, date] of [
      ["UTC", "2026-11-22"],
      ["America/Santiago", "2026-09-06"],
      ["America/Havana", "2026-11-01"],
      ["Pacific/Chatham", "2026-09-27"],
    ]) {
      expect(instantOfLocalTime(date, "00:00", zone), `${zone} ${date}`).toBe(startOfLocalDay(date, zone));
    }
  });

  it("daily: the previous day is due only once archive.time has come on the next day", () => {
    const zone = "America/New_York";
    // 2026-11-22 01:07 local: the 21st has ended but is not due at 02:00; the newest due day is the 20th.
    expect(duePeriods("daily", zone, "02:00", at("2026-11-22T06:07:00Z"))[0].period_start).toBe("2026-11-20");
    expect(duePeriods("daily", zone, "02:00", at("2026-11-22T07:00:00Z"))[0].period_start).toBe("2026-11-21");
    expect(duePeriods("daily", zone, "23:30", at("2026-11-23T04:29:00Z"))[0].period_start).toBe("2026-11-20");
    expect(duePeriods("daily", zone, "23:30", at("2026-11-23T04:30:00Z"))[0].period_start).toBe("2026-11-21");
    // The period itself is still midnight to midnight local.
    expect(bounds(duePeriods("daily", zone, "02:00", at("2026-11-22T07:07:00Z"))[0])).toEqual([
      "2026-11-21T05:00:00.000Z",
      "2026-11-22T05:00:00.000Z",
    ]);
  });

  it("weekly: the week is due on Monday at archive.time", () => {
    const zone = "Europe/Paris";
    const sunday = duePeriods("weekly", zone, "06:00", at("2026-11-23T04:59:00Z"))[0];
    expect(sunday).toMatchObject({ period_start: "2026-11-09", period_end: "2026-11-15" });
    const monday = duePeriods("weekly", zone, "06:00", at("2026-11-23T05:00:00Z"))[0];
    expect(monday).toMatchObject({ period_start: "2026-11-16", period_end: "2026-11-22" });
  });

  it("on the spring-forward day, a 02:30 archive is due that day, from 03:00", () => {
    const zone = "America/New_York";
    const day = periodContaining("daily", "2026-03-07", zone);
    expect(iso(periodDueAt(day, "02:30", zone))).toBe("2026-03-08T07:00:00.000Z");
    // The hourly cron runs at :07: at 03:07 EDT (07:07Z) the 7th is due; at 01:07 EST (06:07Z) it is not.
    expect(duePeriods("daily", zone, "02:30", at("2026-03-08T07:07:00Z"))[0].period_start).toBe("2026-03-07");
    expect(duePeriods("daily", zone, "02:30", at("2026-03-08T06:07:00Z"))[0].period_start).toBe("2026-03-06");
  });

  it("the look-back catches up a cron that was down for hours, or a day", () => {
    const zone = "Asia/Kolkata";
    // Down from before 02:00 on the 21st until 18:07 on the 22nd: both missed days are due at once.
    const caughtUp = duePeriods("daily", zone, "02:00", at("2026-11-22T12:37:00Z"), 2);
    expect(caughtUp.map((p) => p.period_start)).toEqual(["2026-11-21", "2026-11-20"]);
  });

  it("hourly runs across both DST changes find each day due once, on the day after it, none skipped", () => {
    const windows = [
      ["2026-02-25T00:07:00Z", 45],
      ["2026-09-01T00:07:00Z", 70],
    ] as const;
    for (const [zone, time] of [
      ["America/New_York", "02:30"],
      ["Europe/London", "01:30"],
      ["Australia/Lord_Howe", "02:15"],
      ["America/Santiago", "00:00"],
    ]) {
      for (const [from, days] of windows) {
        const firstDue = new Map<string, number>();
        for (let hour = 0; hour < days * 24; hour++) {
          const now = at(from) + hour * 3_600_000;
          const [newest] = duePeriods("daily", zone, time, now);
          expect(periodDueAt(newest, time, zone), `${zone} ${iso(now)}`).toBeLessThanOrEqual(now);
          expect(newest.to_ms).toBeLessThanOrEqual(now);
          if (!firstDue.has(newest.period_start)) firstDue.set(newest.period_start, now);
        }
        const seen = [...firstDue.keys()].sort();
        for (let i = 1; i < seen.length; i++) expect(seen[i], zone).toBe(addDays(seen[i - 1], 1));
        // The first day seen was already due when the window opened; every later one turns due on the day after it.
        for (const day of seen.slice(1)) {
          expect(localDate(firstDue.get(day)!, zone), `${zone} ${day}`).toBe(addDays(day, 1));
        }
      }
    }
  });
});
