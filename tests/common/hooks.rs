//! A webhook receiver on a loopback port: it keeps every request and answers with the
//! statuses it is given, in turn (then 200), so tests see signatures and retries.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug)]
pub struct HookRequest {
    pub headers: HashMap<String, String>,
    pub body: String,
}

#[derive(Clone)]
pub struct HookSink {
    pub port: u16,
    requests: Arc<Mutex<Vec<HookRequest>>>,
}

impl HookSink {
    pub fn start(statuses: Vec<u16>) -> HookSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind hook sink");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let store = requests.clone();
        let statuses = Arc::new(Mutex::new(statuses.into_iter()));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let status = statuses.lock().unwrap().next().unwrap_or(200);
                let _ = serve(stream, &store, status);
            }
        });
        HookSink { port, requests }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/metro", self.port)
    }

    pub fn requests(&self) -> Vec<HookRequest> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, store: &Mutex<Vec<HookRequest>>, status: u16) -> std::io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut headers = HashMap::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    store.lock().unwrap().push(HookRequest {
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    write!(
        writer,
        "HTTP/1.1 {status} Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    writer.flush()
}

/// A loopback server that accepts connections and never answers, as a receiver or mail
/// server that has hung; it holds every connection it accepts and counts them.
#[derive(Clone)]
pub struct Silent {
    pub port: u16,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Silent {
    pub fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a silent server");
        let port = listener.local_addr().unwrap().port();
        let held = Arc::new(Mutex::new(Vec::new()));
        let keep = held.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                keep.lock().unwrap().push(stream);
            }
        });
        Silent { port, held }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/hung", self.port)
    }

    /// Connections accepted so far that the other side has not closed.
    pub fn open(&self) -> usize {
        let mut held = self.held.lock().unwrap();
        held.retain(|s| {
            let _ = s.set_nonblocking(true);
            let mut byte = [0u8; 1];
            // A closed connection reads as 0 bytes; an open, quiet one would block.
            !matches!(std::io::Read::read(&mut &*s, &mut byte), Ok(0))
        });
        held.len()
    }
}
