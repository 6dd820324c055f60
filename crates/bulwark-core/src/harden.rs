//! Process hardening for binaries that hold secret values in memory.

use std::io::Write as _;
use std::panic;

/// Stops the kernel from writing a core dump of this process, which would hold every
/// secret in memory: the core-size limit goes to 0 (soft and hard, so a child cannot raise
/// it again) and, on Linux, the process is marked not dumpable, which also keeps other
/// processes of the same user from attaching a debugger or reading `/proc/PID/mem`.
pub fn disable_core_dumps() -> std::io::Result<()> {
    use rustix::process::{Resource, Rlimit, setrlimit};
    setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    )?;
    #[cfg(target_os = "linux")]
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)?;
    Ok(())
}

/// Replaces the default panic message, whose payload could hold a value (a formatted
/// error, a slice of input), with one that says where the bug is and nothing else.
pub fn install_panic_hook(tool: &'static str) {
    panic::set_hook(Box::new(move |info| {
        let place = info
            .location()
            .map(|loc| format!(" at {}:{}", loc.file(), loc.line()))
            .unwrap_or_default();
        let _ = writeln!(
            std::io::stderr(),
            "error: internal error in {tool}{place}; its message is withheld because it could hold a secret\n\nhint: this is a bug: please report it with the command you ran"
        );
    }));
}

#[cfg(test)]
mod tests {
    /// Runs in a child copy of this test binary: installs the hook and panics with a
    /// canary payload, as a bug formatting a secret into a panic message would.
    #[test]
    fn the_panic_hook_says_where_but_never_what() {
        const CANARY: &str = "canary-panic-payload-4d1e9b27";
        if std::env::var_os("BULWARK_PANIC_HOOK_CHILD").is_some() {
            super::install_panic_hook("core-test");
            panic!("value was {CANARY}");
        }
        let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "harden::tests::the_panic_hook_says_where_but_never_what",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("BULWARK_PANIC_HOOK_CHILD", "1")
            .output()
            .expect("the test binary runs");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !out.status.success(),
            "the child was meant to panic:\n{all}"
        );
        assert!(
            all.contains(
                "error: internal error in core-test at crates/bulwark-core/src/harden.rs:"
            ),
            "{all}"
        );
        assert!(!all.contains(CANARY), "the payload was printed:\n{all}");
    }

    #[test]
    fn core_dumps_are_disabled() {
        super::disable_core_dumps().expect("lowering a limit needs no privilege");
        let limit = rustix::process::getrlimit(rustix::process::Resource::Core);
        assert_eq!(limit.current, Some(0));
        assert_eq!(limit.maximum, Some(0));
        #[cfg(target_os = "linux")]
        assert_eq!(
            rustix::process::dumpable_behavior().expect("prctl works"),
            rustix::process::DumpableBehavior::NotDumpable
        );
    }
}
