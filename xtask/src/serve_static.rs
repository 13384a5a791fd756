//! A plain static file server for `dist/` (loopback only), so end-to-end tests run against the
//! release bundle exactly as built — no dev-server script injected. Like a `gzip_static`
//! server, it sends `<file>.gz` (the bundle's precompressed copy) with `Content-Encoding: gzip`
//! to a client that accepts gzip.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::thread;

pub struct Server {
    pub addr: SocketAddr,
}

/// Binds 127.0.0.1 on a free port and serves `dir` from a background thread until exit.
pub fn start(dir: &Path) -> Result<Server, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind 127.0.0.1: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let dir = dir.to_path_buf();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let dir = dir.clone();
            thread::spawn(move || {
                let _ = handle(stream, &dir);
            });
        }
    });
    Ok(Server { addr })
}

/// The precompressed copy of `path`: `<path>.gz`.
pub fn gz_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".gz");
    PathBuf::from(name)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// Maps a request path to a file under `dir`, refusing anything that climbs out of it.
fn resolve(dir: &Path, request_path: &str) -> Option<PathBuf> {
    let path = request_path.split(['?', '#']).next().unwrap_or("/");
    let mut out = dir.to_path_buf();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        if part == ".." || part.contains('\\') {
            return None;
        }
        out.push(part);
    }
    if out.is_dir() {
        out.push("index.html");
    }
    Some(out)
}

fn handle(stream: TcpStream, dir: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Read the headers (bounded); only Accept-Encoding matters.
    let mut accepts_gzip = false;
    for _ in 0..200 {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            accepts_gzip |= name.trim().eq_ignore_ascii_case("accept-encoding") && value.split(',').any(|v| v.trim().starts_with("gzip"));
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let mut stream = stream;
    let file = resolve(dir, target).filter(|p| p.is_file());
    match (method, file) {
        ("GET" | "HEAD", Some(path)) => {
            let (body, encoding) = match std::fs::read(gz_path(&path)) {
                Ok(body) if accepts_gzip => (body, "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"),
                _ => (std::fs::read(&path)?, ""),
            };
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: {}\r\n{encoding}Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
                content_type(&path),
                body.len()
            )?;
            if method == "GET" {
                stream.write_all(&body)?;
            }
        }
        _ => {
            let body = b"not found";
            write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            stream.write_all(body)?;
        }
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_refuses_parent_directories() {
        let dir = Path::new("/tmp/x");
        assert_eq!(resolve(dir, "/../etc/passwd"), None);
        assert_eq!(resolve(dir, "/a.wasm?v=1"), Some(dir.join("a.wasm")));
    }

    #[test]
    fn serves_a_file_with_its_content_type() {
        let dir = std::env::temp_dir().join(format!("grouplab-static-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("m.wasm"), b"\0asm").unwrap();
        let server = start(&dir).unwrap();
        let mut s = TcpStream::connect(server.addr).unwrap();
        write!(s, "GET /m.wasm HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut response = Vec::new();
        std::io::Read::read_to_end(&mut s, &mut response).unwrap();
        let text = String::from_utf8_lossy(&response);
        assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
        assert!(text.contains("application/wasm"));
        assert!(response.ends_with(b"\0asm"));
    }

    #[test]
    fn sends_the_precompressed_copy_to_a_client_that_accepts_gzip() {
        let dir = std::env::temp_dir().join(format!("grouplab-static-gz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.js"), b"plain").unwrap();
        std::fs::write(dir.join("a.js.gz"), b"zipped").unwrap();
        let server = start(&dir).unwrap();
        let get = |headers: &str| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            write!(s, "GET /a.js HTTP/1.1\r\nHost: x\r\n{headers}\r\n").unwrap();
            let mut response = Vec::new();
            std::io::Read::read_to_end(&mut s, &mut response).unwrap();
            String::from_utf8_lossy(&response).into_owned()
        };
        let zipped = get("Accept-Encoding: br, gzip, deflate\r\n");
        assert!(zipped.contains("Content-Encoding: gzip") && zipped.ends_with("zipped"), "{zipped}");
        assert!(zipped.contains("text/javascript"), "{zipped}");
        let plain = get("");
        assert!(!plain.contains("Content-Encoding") && plain.ends_with("plain"), "{plain}");
    }
}
