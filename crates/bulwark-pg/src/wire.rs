//! A session with the throw-away server over its Unix socket, speaking PostgreSQL's
//! frontend/backend protocol (version 3) directly.
//!
//! `psql` cannot send what a migration tool sends: the Supabase CLI puts every statement
//! of a file into one extended-protocol pipeline (`Parse`, `Bind`, `Describe`, `Execute`
//! per statement, one `Sync` at the end), and the server's transaction rules differ
//! between that and a simple query (`CREATE INDEX CONCURRENTLY` is accepted, a `COMMIT` in
//! the middle commits what came before and leaves the rest to run one by one). So the
//! dry run sends the very same messages to the same server and lets PostgreSQL decide.
//! Only the throw-away server is reached this way (trust authentication, a 0700 socket
//! directory): production is always reached through libpq's programs.

use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use crate::PgError;

/// An error or notice the server sent, field by field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerMessage {
    /// `ERROR`, `FATAL`, `WARNING`, `NOTICE`, ….
    pub severity: String,
    /// SQLSTATE.
    pub code: String,
    /// The primary message.
    pub message: String,
    /// `DETAIL`.
    pub detail: Option<String>,
    /// `HINT`.
    pub hint: Option<String>,
    /// 1-based character position in the statement, when the error points into it.
    pub position: Option<usize>,
}

impl ServerMessage {
    fn parse(body: &[u8]) -> Self {
        let mut msg = Self::default();
        for field in body.split(|b| *b == 0).filter(|f| !f.is_empty()) {
            let value = String::from_utf8_lossy(&field[1..]).into_owned();
            match field[0] {
                b'V' => msg.severity = value,
                b'S' if msg.severity.is_empty() => msg.severity = value,
                b'C' => msg.code = value,
                b'M' => msg.message = value,
                b'D' => msg.detail = Some(value),
                b'H' => msg.hint = Some(value),
                b'P' => msg.position = value.parse().ok(),
                _ => {}
            }
        }
        msg
    }
}

/// What one pipeline did.
#[derive(Debug, Clone, Default)]
pub struct BatchOutcome {
    /// Statements that completed before the error (all of them without one).
    pub completed: usize,
    /// The error that stopped it.
    pub error: Option<ServerMessage>,
    /// Warnings and notices, in order.
    pub notices: Vec<ServerMessage>,
    /// The transaction state the server reported at the end: `I` idle, `T` in a
    /// transaction block, `E` in a failed one.
    pub status: u8,
}

/// One statement of a pipeline: SQL and its text parameters (`None` is NULL).
#[derive(Debug, Clone)]
pub struct Query<'a> {
    /// The SQL.
    pub sql: &'a str,
    /// Parameters, in text format.
    pub params: Vec<Option<&'a str>>,
}

/// A connected session.
#[derive(Debug)]
pub struct Session {
    reader: BufReader<UnixStream>,
    writer: BufWriter<UnixStream>,
    socket: PathBuf,
}

impl Session {
    /// Connects to the socket `socket` as `user` to `database`; only trust
    /// authentication is accepted.
    pub fn connect(socket: &Path, user: &str, database: &str) -> Result<Self, PgError> {
        let io = |source| PgError::Io {
            action: "connect to",
            path: socket.to_owned(),
            source,
        };
        let stream = UnixStream::connect(socket).map_err(io)?;
        let writer = BufWriter::new(stream.try_clone().map_err(io)?);
        let mut session = Self {
            reader: BufReader::new(stream),
            writer,
            socket: socket.to_owned(),
        };
        let mut body = Vec::new();
        body.extend_from_slice(&196_608_i32.to_be_bytes());
        for (key, value) in [
            ("user", user),
            ("database", database),
            ("client_encoding", "UTF8"),
            ("application_name", "bulwark migrate-dryrun"),
        ] {
            put_str(&mut body, key);
            put_str(&mut body, value);
        }
        body.push(0);
        let len = i32::try_from(body.len() + 4).map_err(|_| session.protocol("startup"))?;
        session.send_raw(&len.to_be_bytes())?;
        session.send_raw(&body)?;
        session.flush()?;
        loop {
            let (kind, body) = session.receive()?;
            match kind {
                b'R' if body.get(..4) == Some(&[0, 0, 0, 0]) => {}
                b'R' => {
                    return Err(session.protocol(
                        "the server asked for a password: only trust authentication is supported",
                    ));
                }
                b'E' => {
                    let err = ServerMessage::parse(&body);
                    return Err(PgError::Server {
                        reason: format!("{} ({})", err.message, err.code),
                    });
                }
                b'Z' => return Ok(session),
                _ => {}
            }
        }
    }

    /// Sends `sql` as one simple query and waits for the server to be ready again.
    pub fn simple(&mut self, sql: &str) -> Result<BatchOutcome, PgError> {
        let mut body = Vec::new();
        put_str(&mut body, sql);
        self.send(b'Q', &body)?;
        self.flush()?;
        self.collect()
    }

    /// Sends `queries` as one extended-protocol pipeline, each unnamed statement parsed,
    /// bound, described and executed, with one `Sync` after the last, as a client
    /// library's batch does; waits for the server's answer to the `Sync`.
    pub fn pipeline(&mut self, queries: &[Query<'_>]) -> Result<BatchOutcome, PgError> {
        for query in queries {
            let mut parse = Vec::new();
            put_str(&mut parse, "");
            put_str(&mut parse, query.sql);
            parse.extend_from_slice(&0_i16.to_be_bytes());
            self.send(b'P', &parse)?;
            let mut bind = Vec::new();
            put_str(&mut bind, "");
            put_str(&mut bind, "");
            bind.extend_from_slice(&0_i16.to_be_bytes());
            let count = i16::try_from(query.params.len()).map_err(|_| self.protocol("bind"))?;
            bind.extend_from_slice(&count.to_be_bytes());
            for param in &query.params {
                match param {
                    None => bind.extend_from_slice(&(-1_i32).to_be_bytes()),
                    Some(value) => {
                        let len = i32::try_from(value.len()).map_err(|_| self.protocol("bind"))?;
                        bind.extend_from_slice(&len.to_be_bytes());
                        bind.extend_from_slice(value.as_bytes());
                    }
                }
            }
            bind.extend_from_slice(&0_i16.to_be_bytes());
            self.send(b'B', &bind)?;
            self.send(b'D', b"P\0")?;
            let mut execute = Vec::new();
            put_str(&mut execute, "");
            execute.extend_from_slice(&0_i32.to_be_bytes());
            self.send(b'E', &execute)?;
        }
        self.send(b'S', &[])?;
        self.flush()?;
        self.collect()
    }

    /// Reads until `ReadyForQuery`, counting completed statements and keeping the first
    /// error.
    fn collect(&mut self) -> Result<BatchOutcome, PgError> {
        let mut outcome = BatchOutcome::default();
        loop {
            let (kind, body) = self.receive()?;
            match kind {
                b'C' | b'I' => outcome.completed += 1,
                b'E' => {
                    let err = ServerMessage::parse(&body);
                    if outcome.error.is_none() {
                        outcome.error = Some(err);
                    }
                }
                b'N' => outcome.notices.push(ServerMessage::parse(&body)),
                // COPY FROM STDIN: a migration has no data to send.
                b'G' => {
                    let mut fail = Vec::new();
                    put_str(&mut fail, "COPY FROM STDIN is not supported in a migration");
                    self.send(b'f', &fail)?;
                    self.flush()?;
                }
                b'Z' => {
                    outcome.status = body.first().copied().unwrap_or(b'I');
                    return Ok(outcome);
                }
                _ => {}
            }
        }
    }

    fn send(&mut self, kind: u8, body: &[u8]) -> Result<(), PgError> {
        let len = i32::try_from(body.len() + 4).map_err(|_| self.protocol("a message"))?;
        self.send_raw(&[kind])?;
        self.send_raw(&len.to_be_bytes())?;
        self.send_raw(body)
    }

    fn send_raw(&mut self, bytes: &[u8]) -> Result<(), PgError> {
        self.writer.write_all(bytes).map_err(|source| PgError::Io {
            action: "write to",
            path: self.socket.clone(),
            source,
        })
    }

    fn flush(&mut self) -> Result<(), PgError> {
        self.writer.flush().map_err(|source| PgError::Io {
            action: "write to",
            path: self.socket.clone(),
            source,
        })
    }

    fn receive(&mut self) -> Result<(u8, Vec<u8>), PgError> {
        let mut head = [0_u8; 5];
        let read = |reader: &mut BufReader<UnixStream>, buf: &mut [u8]| reader.read_exact(buf);
        read(&mut self.reader, &mut head).map_err(|source| PgError::Io {
            action: "read from",
            path: self.socket.clone(),
            source,
        })?;
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]);
        let len = usize::try_from(len)
            .ok()
            .and_then(|l| l.checked_sub(4))
            .ok_or_else(|| self.protocol("a message length"))?;
        let mut body = vec![0_u8; len];
        read(&mut self.reader, &mut body).map_err(|source| PgError::Io {
            action: "read from",
            path: self.socket.clone(),
            source,
        })?;
        Ok((head[0], body))
    }

    fn protocol(&self, what: &str) -> PgError {
        PgError::Output {
            command: format!("the session on {}", self.socket.display()),
            detail: what.to_owned(),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.send(b'X', &[]);
        let _ = self.flush();
    }
}

fn put_str(buf: &mut Vec<u8>, text: &str) {
    buf.extend_from_slice(text.as_bytes());
    buf.push(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_fields_are_read_by_their_codes() {
        let body = b"SERROR\0VERROR\0C22012\0Mdivision by zero\0P8\0Dmore\0Hfix it\0\0";
        let msg = ServerMessage::parse(body);
        assert_eq!(msg.severity, "ERROR");
        assert_eq!(msg.code, "22012");
        assert_eq!(msg.message, "division by zero");
        assert_eq!(msg.position, Some(8));
        assert_eq!(msg.detail.as_deref(), Some("more"));
        assert_eq!(msg.hint.as_deref(), Some("fix it"));
    }
}
