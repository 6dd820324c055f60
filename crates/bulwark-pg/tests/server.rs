//! The throw-away server against the real PostgreSQL programs (Debian `postgresql`,
//! installed by tests/setup.sh).

use bulwark_pg::LocalServer;

#[test]
fn a_throw_away_server_runs_unprivileged_on_a_private_socket_and_is_removed() {
    let server = LocalServer::start().expect("the server starts");
    let dir = server.dir().to_owned();
    let client = server.client();
    client
        .psql(
            "CREATE SCHEMA app; CREATE TABLE app.\"Mixed Case\" (id int); \
             INSERT INTO app.\"Mixed Case\" SELECT generate_series(1, 7); \
             CREATE TABLE public.t (x text NOT NULL); INSERT INTO public.t VALUES ('a');\n",
        )
        .expect("writes");
    let stats = client.stats(None).expect("stats");
    assert_eq!(
        stats
            .tables
            .iter()
            .map(|t| (t.name.as_str(), t.rows))
            .collect::<Vec<_>>(),
        [("app.\"Mixed Case\"", 7), ("public.t", 1)]
    );
    assert_eq!(stats.schemas, ["app", "public"]);
    assert!(
        stats.server_version.starts_with(char::is_numeric),
        "{stats:?}"
    );

    // No TCP listener, and the socket lives in the private directory only.
    let settings = client
        .psql("SHOW listen_addresses; SHOW unix_socket_directories;\n")
        .expect("settings");
    assert_eq!(settings, format!("\n{}\n", dir.display()));
    {
        use std::os::unix::fs::MetadataExt as _;
        let meta = std::fs::metadata(&dir).expect("dir");
        assert_eq!(meta.mode() & 0o777, 0o700);
        // As root the server runs as nobody, never as root.
        if rustix_is_root() {
            assert_ne!(
                meta.uid(),
                0,
                "the data directory belongs to the server's user"
            );
        }
    }
    drop(server);
    assert!(!dir.exists(), "{} was left behind", dir.display());
}

#[test]
fn the_stats_of_an_empty_and_a_non_empty_database() {
    let server = LocalServer::start().expect("the server starts");
    let client = server.client();
    assert!(client.is_empty().expect("empty check"));
    client
        .psql("CREATE VIEW v AS SELECT 1 AS one;\n")
        .expect("writes");
    assert!(!client.is_empty().expect("empty check"));
}

fn rustix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}
