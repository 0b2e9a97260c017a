//! Five-field cron expressions (`minute hour day-of-month month
//! day-of-week`), evaluated in a time zone.
//!
//! Each field takes `*`, numbers, ranges (`1-5`), steps (`*/15`, `0-30/10`,
//! `5/20`) and lists of these (`1,15,30`); months and days of the week also
//! take English names (`jan`, `mon`); Sunday is 0 or 7. As in Vixie cron,
//! when both day fields are restricted a day matches either of them.
//!
//! Daylight-saving changes, as cron daemons handle them: a local time that
//! does not exist (skipped forward) fires once, at the first instant after
//! the gap; a local time that happens twice (set back) fires once, at its
//! first occurrence.

use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// How far ahead or back a search for a matching day goes (`0 0 29 2 mon` can take years).
const SEARCH_DAYS: i64 = 366 * 8;

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// A parsed expression: the values each field allows, as bit sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u64,
    days_of_month: u64,
    months: u64,
    days_of_week: u64,
    any_day_of_month: bool,
    any_day_of_week: bool,
}

impl FromStr for Cron {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        let [minute, hour, dom, month, dow] = fields[..] else {
            return Err(format!(
                "{text:?}: five fields expected (minute hour day month weekday)"
            ));
        };
        let mut days_of_week = field(dow, 0, 7, &DAYS, 0)?;
        if days_of_week & (1 << 7) != 0 {
            days_of_week = (days_of_week | 1) & !(1 << 7);
        }
        Ok(Cron {
            minutes: field(minute, 0, 59, &[], 0)?,
            hours: field(hour, 0, 23, &[], 0)?,
            days_of_month: field(dom, 1, 31, &[], 0)?,
            months: field(month, 1, 12, &MONTHS, 1)?,
            days_of_week,
            any_day_of_month: dom.starts_with('*'),
            any_day_of_week: dow.starts_with('*'),
        })
    }
}

/// One field's allowed values in `min..=max`; `names[i]` stands for `i + first_name`.
fn field(text: &str, min: u32, max: u32, names: &[&str], first_name: u32) -> Result<u64, String> {
    let value = |v: &str| -> Result<u32, String> {
        let lower = v.to_ascii_lowercase();
        let n = match names.iter().position(|name| *name == lower) {
            Some(i) => u32::try_from(i).unwrap_or(u32::MAX).saturating_add(first_name),
            None => v
                .parse::<u32>()
                .map_err(|_| format!("{v:?} is not a number or a name"))?,
        };
        if (min..=max).contains(&n) {
            Ok(n)
        } else {
            Err(format!("{n} is outside {min}-{max}"))
        }
    };
    let mut bits = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step.parse().map_err(|_| format!("bad step in {part:?}"))?;
                if step == 0 {
                    return Err(format!("zero step in {part:?}"));
                }
                (range, Some(step))
            }
            None => (part, None),
        };
        let (low, high) = match range {
            "*" => (min, max),
            _ => match range.split_once('-') {
                Some((low, high)) => (value(low)?, value(high)?),
                None if step.is_some() => (value(range)?, max),
                None => {
                    let n = value(range)?;
                    (n, n)
                }
            },
        };
        if low > high {
            return Err(format!("{part:?} runs backwards"));
        }
        let mut n = low;
        while n <= high {
            bits |= 1 << n;
            n += step.unwrap_or(1);
        }
    }
    Ok(bits)
}

impl Cron {
    fn day_matches(&self, date: NaiveDate) -> bool {
        let has = |bits: u64, n: u32| bits & (1 << n) != 0;
        if !has(self.months, date.month()) {
            return false;
        }
        let dom = has(self.days_of_month, date.day());
        let dow = has(self.days_of_week, date.weekday().num_days_from_sunday());
        match (self.any_day_of_month, self.any_day_of_week) {
            (false, false) => dom || dow,
            _ => dom && dow,
        }
    }

    /// The day's fire times, local, earliest first.
    fn times(&self, date: NaiveDate) -> impl DoubleEndedIterator<Item = NaiveDateTime> + '_ {
        (0..24u32)
            .filter(|h| self.hours & (1 << h) != 0)
            .flat_map(move |h| {
                (0..60u32)
                    .filter(|m| self.minutes & (1 << m) != 0)
                    .filter_map(move |m| date.and_hms_opt(h, m, 0))
            })
    }

    /// The first fire instant strictly after `after`.
    pub fn next_after(&self, tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = after.with_timezone(&tz).date_naive();
        (0..SEARCH_DAYS)
            .filter_map(|d| start.checked_add_signed(Duration::days(d)))
            .filter(|date| self.day_matches(*date))
            .flat_map(|date| self.times(date).collect::<Vec<_>>())
            .filter_map(|local| instant(tz, local))
            .find(|at| *at > after)
    }

    /// The latest fire instant at or before `at`, if one falls within `window` before it.
    pub fn latest_at_or_before(&self, tz: Tz, at: DateTime<Utc>, window: Duration) -> Option<DateTime<Utc>> {
        let start = at.with_timezone(&tz).date_naive();
        let earliest = at - window;
        let days = window.num_days() + 2;
        (0..days.min(SEARCH_DAYS))
            .filter_map(|d| start.checked_sub_signed(Duration::days(d)))
            .filter(|date| self.day_matches(*date))
            .flat_map(|date| self.times(date).rev().collect::<Vec<_>>())
            .filter_map(|local| instant(tz, local))
            .find(|fire| *fire <= at)
            .filter(|fire| *fire >= earliest)
    }
}

/// The instant a local time names: its first occurrence when it happens twice; the first instant after the gap when it does not exist.
fn instant(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => Some(at.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => (1..=24 * 60)
            .filter_map(|m| local.checked_add_signed(Duration::minutes(m)))
            .find_map(|later| match tz.from_local_datetime(&later) {
                LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Some(at.with_timezone(&Utc)),
                LocalResult::None => None,
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cron(text: &str) -> Cron {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn fields_parse_as_cron_daemons_read_them() {
        let every_minute = cron("* * * * *");
        assert_eq!(every_minute.minutes.count_ones(), 60);
        assert_eq!(cron("*/15 * * * *").minutes, 1 | 1 << 15 | 1 << 30 | 1 << 45);
        assert_eq!(cron("5/20 * * * *").minutes, 1 << 5 | 1 << 25 | 1 << 45);
        assert_eq!(cron("0 9-17/4 * * *").hours, 1 << 9 | 1 << 13 | 1 << 17);
        assert_eq!(cron("0 0 * jan,JUL *").months, 1 << 1 | 1 << 7);
        assert_eq!(cron("0 0 * * 7").days_of_week, 1, "7 is Sunday");
        assert_eq!(cron("0 0 * * mon-fri").days_of_week, 0b0111110);
        for bad in [
            "",
            "* * * *",
            "* * * * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "*/0 * * * *",
            "5-1 * * * *",
            "x * * * *",
            "* * * * sun-8",
        ] {
            assert!(bad.parse::<Cron>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn next_and_latest_fire_times() {
        let utc_tz = Tz::UTC;
        let daily = cron("30 3 * * *");
        assert_eq!(
            daily.next_after(utc_tz, utc("2026-11-30T03:30:00Z")),
            Some(utc("2026-12-01T03:30:00Z"))
        );
        assert_eq!(
            daily.next_after(utc_tz, utc("2026-11-30T03:29:59Z")),
            Some(utc("2026-11-30T03:30:00Z"))
        );
        let window = Duration::days(35);
        assert_eq!(
            daily.latest_at_or_before(utc_tz, utc("2026-11-30T03:30:00Z"), window),
            Some(utc("2026-11-30T03:30:00Z"))
        );
        assert_eq!(
            daily.latest_at_or_before(utc_tz, utc("2026-11-30T03:29:00Z"), window),
            Some(utc("2026-11-29T03:30:00Z"))
        );
        let monthly = cron("0 0 1 * *");
        assert_eq!(
            monthly.latest_at_or_before(utc_tz, utc("2026-11-20T12:00:00Z"), window),
            Some(utc("2026-11-01T00:00:00Z"))
        );
        assert_eq!(
            monthly.latest_at_or_before(utc_tz, utc("2026-11-20T12:00:00Z"), Duration::days(10)),
            None,
            "outside the window"
        );
        // Either restricted day field matches (Vixie): the 13th, or any Friday.
        let either = cron("0 0 13 * fri");
        assert_eq!(
            either.next_after(utc_tz, utc("2026-11-01T00:00:00Z")),
            Some(utc("2026-11-06T00:00:00Z"))
        );
        assert_eq!(
            either.next_after(utc_tz, utc("2026-11-06T00:00:00Z")),
            Some(utc("2026-11-13T00:00:00Z"))
        );
        let leap = cron("0 0 29 2 *");
        assert_eq!(
            leap.next_after(utc_tz, utc("2026-11-30T00:00:00Z")),
            Some(utc("2028-02-29T00:00:00Z"))
        );
    }

    #[test]
    fn a_skipped_local_time_fires_once_after_the_gap() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap_or(Tz::UTC);
        // 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z).
        let at_half_past_two = cron("30 2 * * *");
        let fires: Vec<_> = [utc("2026-03-28T12:00:00Z"), utc("2026-03-29T12:00:00Z")]
            .into_iter()
            .map(|after| at_half_past_two.next_after(berlin, after))
            .collect();
        assert_eq!(
            fires,
            [
                Some(utc("2026-03-29T01:00:00Z")),
                Some(utc("2026-03-30T00:30:00Z"))
            ]
        );
        // Every minute: each instant once, none lost but the missing hour's.
        let every = cron("* * * * *");
        let mut at = utc("2026-03-29T00:58:00Z");
        let mut seen = Vec::new();
        for _ in 0..4 {
            at = every.next_after(berlin, at).unwrap_or(at);
            seen.push(at);
        }
        assert_eq!(
            seen,
            [
                utc("2026-03-29T00:59:00Z"),
                utc("2026-03-29T01:00:00Z"),
                utc("2026-03-29T01:01:00Z"),
                utc("2026-03-29T01:02:00Z")
            ]
        );
    }

    #[test]
    fn a_repeated_local_time_fires_once_at_its_first_occurrence() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap_or(Tz::UTC);
        // 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens at 00:30Z and 01:30Z.
        let at_half_past_two = cron("30 2 * * *");
        let first = at_half_past_two.next_after(berlin, utc("2026-10-24T12:00:00Z"));
        assert_eq!(first, Some(utc("2026-10-25T00:30:00Z")));
        let second = first.and_then(|f| at_half_past_two.next_after(berlin, f));
        assert_eq!(
            second,
            Some(utc("2026-10-26T01:30:00Z")),
            "not again at 01:30Z on the 25th"
        );
        assert_eq!(
            at_half_past_two.latest_at_or_before(berlin, utc("2026-10-25T02:00:00Z"), Duration::days(2)),
            Some(utc("2026-10-25T00:30:00Z"))
        );
    }
}
