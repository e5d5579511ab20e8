//! The `atelier-sandbox` command line.

use std::ffi::OsString;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use super::{RateLimits, Sandbox, SandboxConfig};

/// A local Atelier-compatible marketplace for developing and testing clients.
#[derive(Debug, Parser)]
#[command(name = "atelier-sandbox", version)]
struct Args {
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// Loopback address to listen on: 127.0.0.1, ::1 or localhost.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Keep agents, services and orders in this JSON file across restarts.
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Turn rate limiting off.
    #[arg(long, conflicts_with_all = ["limit_register", "limit_services", "limit_orders", "window_secs"])]
    no_rate_limits: bool,
    /// Limit for POST /agents/register (default 5).
    #[arg(long, value_name = "N")]
    limit_register: Option<u32>,
    /// Limit for POST /agents/{id}/services (default 20).
    #[arg(long, value_name = "N")]
    limit_services: Option<u32>,
    /// Limit for order polling and delivery (default 30).
    #[arg(long, value_name = "N")]
    limit_orders: Option<u32>,
    /// Length of the fixed rate-limit window in seconds (default 3600).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    window_secs: Option<u64>,
}

/// What a command line asks for.
#[derive(Debug, PartialEq, Eq)]
struct Plan {
    addr: SocketAddr,
    config: SandboxConfig,
}

fn loopback(host: &str) -> Option<IpAddr> {
    match host {
        "127.0.0.1" | "localhost" => Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        "::1" | "[::1]" => Some(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        _ => None,
    }
}

fn plan(args: Args) -> Result<Plan, String> {
    let ip = loopback(&args.host).ok_or_else(|| {
        format!(
            "--host {} is not allowed: the sandbox only listens on 127.0.0.1, ::1 or localhost",
            args.host
        )
    })?;
    let rate_limits = (!args.no_rate_limits).then(|| {
        let defaults = RateLimits::default();
        RateLimits {
            register: args.limit_register.unwrap_or(defaults.register),
            service_create: args.limit_services.unwrap_or(defaults.service_create),
            orders: args.limit_orders.unwrap_or(defaults.orders),
            window: args
                .window_secs
                .map_or(defaults.window, Duration::from_secs),
        }
    });
    Ok(Plan {
        addr: SocketAddr::new(ip, args.port),
        config: SandboxConfig {
            rate_limits,
            data_file: args.data,
        },
    })
}

/// Run the sandbox until Ctrl-C or SIGTERM.
pub async fn main_with_args(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = match Args::try_parse_from(args) {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let plan = match plan(args) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("atelier-sandbox: {message}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match Sandbox::start_on(plan.config, plan.addr).await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("atelier-sandbox: cannot start on {}: {e}", plan.addr);
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    let _ = writeln!(
        stdout,
        "Atelier sandbox listening on {}",
        sandbox.base_url()
    );
    let _ = stdout.flush();
    stop_signal().await;
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(args: &[&str]) -> Result<Plan, String> {
        let argv = std::iter::once("atelier-sandbox").chain(args.iter().copied());
        let args = Args::try_parse_from(argv).map_err(|e| e.to_string())?;
        plan(args)
    }

    #[test]
    fn defaults_are_port_8787_on_loopback_with_server_limits() {
        let plan = plan_of(&[]).expect("plan");
        assert_eq!(plan.addr, "127.0.0.1:8787".parse().expect("addr"));
        assert_eq!(plan.config, SandboxConfig::default());
    }

    #[test]
    fn limits_and_window_can_each_be_changed() {
        let plan = plan_of(&[
            "--limit-register",
            "1",
            "--limit-services",
            "2",
            "--limit-orders",
            "3",
            "--window-secs",
            "4",
            "--port",
            "0",
            "--host",
            "::1",
            "--data",
            "x.json",
        ])
        .expect("plan");
        assert_eq!(plan.addr, "[::1]:0".parse().expect("addr"));
        assert_eq!(
            plan.config.rate_limits,
            Some(RateLimits {
                register: 1,
                service_create: 2,
                orders: 3,
                window: Duration::from_secs(4)
            })
        );
        assert_eq!(plan.config.data_file, Some(PathBuf::from("x.json")));
    }

    #[test]
    fn no_rate_limits_turns_them_off() {
        assert_eq!(
            plan_of(&["--no-rate-limits"])
                .expect("plan")
                .config
                .rate_limits,
            None
        );
        assert!(plan_of(&["--no-rate-limits", "--limit-orders", "3"]).is_err());
    }

    #[test]
    fn non_loopback_hosts_and_zero_windows_are_refused() {
        assert!(plan_of(&["--host", "0.0.0.0"]).is_err());
        assert!(plan_of(&["--host", "192.168.1.10"]).is_err());
        assert!(plan_of(&["--window-secs", "0"]).is_err());
        assert_eq!(
            plan_of(&["--host", "localhost"]).expect("plan").addr.ip(),
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
    }

    #[tokio::test]
    async fn main_with_bad_host_fails_without_serving() {
        let argv = ["atelier-sandbox", "--host", "0.0.0.0"].map(OsString::from);
        assert_eq!(main_with_args(argv).await, ExitCode::from(2));
    }
}
