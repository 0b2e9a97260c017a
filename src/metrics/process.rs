//! The process's memory and CPU, read from `/proc` at scrape time and named
//! as Prometheus's own process collector names them. Elsewhere than on
//! Linux the files do not exist and nothing is reported.

use super::text::{Kind, Text};

/// Clock ticks per second of `/proc/*/stat` times: `USER_HZ`, 100 on every Linux architecture Agora builds for (Prometheus's procfs assumes it too).
const USER_HZ: f64 = 100.0;

/// Write `process_resident_memory_bytes`, `process_cpu_seconds_total` and `process_start_time_seconds`, each when it can be read.
pub fn write(text: &mut Text) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(bytes) = resident_bytes(&status) {
        text.family(
            "process_resident_memory_bytes",
            Kind::Gauge,
            "Resident memory size in bytes.",
        );
        text.sample("process_resident_memory_bytes", &[], bytes);
    }
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let Some(times) = Times::parse(&stat) else { return };
    text.family(
        "process_cpu_seconds_total",
        Kind::Counter,
        "Total user and system CPU time spent in seconds.",
    );
    text.sample(
        "process_cpu_seconds_total",
        &[],
        (times.utime + times.stime) as f64 / USER_HZ,
    );
    let boot = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    if let Some(boot) = boot_time(&boot) {
        text.family(
            "process_start_time_seconds",
            Kind::Gauge,
            "Start time of the process since unix epoch in seconds.",
        );
        text.sample(
            "process_start_time_seconds",
            &[],
            boot as f64 + times.starttime as f64 / USER_HZ,
        );
    }
}

/// `VmRSS` of `/proc/self/status` (in kB there), in bytes: the resident set, without needing the page size `statm` counts in.
fn resident_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    let kib: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    kib.checked_mul(1024)
}

/// The clock-tick fields of `/proc/self/stat`.
#[derive(Debug, PartialEq, Eq)]
struct Times {
    utime: u64,
    stime: u64,
    starttime: u64,
}

impl Times {
    /// Fields 14, 15 and 22 (from 1), counted after the command name's closing parenthesis (the name itself may hold spaces and parentheses).
    fn parse(stat: &str) -> Option<Self> {
        let (_, rest) = stat.rsplit_once(')')?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // `rest` starts at field 3 (the state).
        let field = |n: usize| fields.get(n - 3)?.parse().ok();
        Some(Times {
            utime: field(14)?,
            stime: field(15)?,
            starttime: field(22)?,
        })
    }
}

/// `btime` of `/proc/stat`: when the machine booted, in Unix seconds.
fn boot_time(stat: &str) -> Option<u64> {
    stat.lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_an_awkward_name() {
        let stat = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 1289 0 0 0 731 52 0 0 20 0 9 0 \
                    123456 1067450368 3530 18446744073709551615 1 1 0 0 0 0 0 4096 17922 0 0 0 17 1 0 0";
        assert_eq!(
            Times::parse(stat),
            Some(Times {
                utime: 731,
                stime: 52,
                starttime: 123456
            })
        );
        assert_eq!(Times::parse("garbage"), None);
    }

    #[test]
    fn rss_and_boot_time() {
        assert_eq!(
            resident_bytes("Name:\tagora\nVmHWM:\t   20480 kB\nVmRSS:\t   14000 kB\n"),
            Some(14_000 * 1024)
        );
        assert_eq!(resident_bytes("Name:\tagora\n"), None);
        assert_eq!(
            boot_time("cpu  1 2 3\nbtime 1767225600\nprocesses 9\n"),
            Some(1_767_225_600)
        );
    }

    #[test]
    fn this_process_reports_itself_on_linux() {
        let mut text = Text::default();
        write(&mut text);
        let text = text.finish();
        if cfg!(target_os = "linux") {
            for name in [
                "process_resident_memory_bytes ",
                "process_cpu_seconds_total ",
                "process_start_time_seconds ",
            ] {
                assert!(text.lines().any(|l| l.starts_with(name)), "{name} in {text}");
            }
        } else {
            assert!(text.is_empty());
        }
    }
}
