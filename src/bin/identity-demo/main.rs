//! `identity-demo`: a small CRM-like web app that signs people in through the identity
//! service (code + PKCE), shows who signed in and the tokens' claims, and signs out of both
//! (RP-initiated logout). `deploy/local/run.sh` registers it and starts it next to the
//! service. It is a separate binary so the service's binary carries no demo code.

mod relying_party;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use askama::Template;
use clap::Parser;
use relying_party::{Pending, Registration, RelyingParty, SignedIn};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

#[derive(Parser)]
#[command(
    name = "identity-demo",
    about = "Demo CRM app signing in with the identity service"
)]
struct Args {
    /// The identity service's issuer.
    #[arg(long, env = "DEMO_ISSUER", default_value = "http://localhost:8080")]
    issuer: String,
    /// JSON file with this app's `client_id` and `client_secret`.
    #[arg(long, env = "DEMO_CLIENT_FILE", default_value = ".local/demo-client")]
    client_file: PathBuf,
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: String,
    /// Where browsers reach this app (its redirect URI is `<public-url>/callback`).
    #[arg(long, default_value = "http://localhost:8081")]
    public_url: String,
}

const FLOW_COOKIE: &str = "demo_flow";
const SESSION_COOKIE: &str = "demo_session";
/// The demo keeps at most this many sign-ins and pending flows in memory.
const KEPT: usize = 1000;

struct Demo {
    rp: RelyingParty,
    public_url: String,
    pending: Mutex<HashMap<String, Pending>>,
    sessions: Mutex<HashMap<String, SignedIn>>,
}

#[derive(Template)]
#[template(path = "demo/home.html")]
struct Home<'a> {
    title: &'a str,
    issuer: &'a str,
}

#[derive(Template)]
#[template(path = "demo/signed_in.html")]
struct SignedInPage<'a> {
    title: &'a str,
    issuer: &'a str,
    who: &'a str,
    id_claims: String,
    access_claims: String,
}

#[derive(Template)]
#[template(path = "demo/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

fn html(status: actix_web::http::StatusCode, body: Result<String, askama::Error>) -> HttpResponse {
    match body {
        Ok(b) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header(("cache-control", "no-store"))
            .body(b),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

fn failed(message: &str) -> HttpResponse {
    let page = ErrorPage {
        title: "Sign-in did not complete",
        message,
    };
    html(actix_web::http::StatusCode::BAD_REQUEST, page.render())
}

fn cookie<'c>(name: &'c str, value: String, secure: bool) -> Cookie<'c> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish()
}

async fn home(demo: web::Data<Demo>, req: HttpRequest) -> HttpResponse {
    let issuer = demo.rp.issuer();
    let sessions = demo.sessions.lock().unwrap_or_else(|p| p.into_inner());
    let signed_in = req
        .cookie(SESSION_COOKIE)
        .and_then(|c| sessions.get(c.value()));
    let body = match signed_in {
        Some(s) => SignedInPage {
            title: "Demo CRM app: signed in",
            issuer,
            who: &s.who,
            id_claims: serde_json::to_string_pretty(&s.id_claims).unwrap_or_default(),
            access_claims: serde_json::to_string_pretty(&s.access_claims).unwrap_or_default(),
        }
        .render(),
        None => Home {
            title: "Demo CRM app",
            issuer,
        }
        .render(),
    };
    html(actix_web::http::StatusCode::OK, body)
}

async fn login(demo: web::Data<Demo>) -> HttpResponse {
    let (url, pending) = match demo.rp.start().await {
        Ok(started) => started,
        Err(e) => {
            eprintln!("identity-demo: discovery failed: {e}");
            return failed("The identity service did not answer. Is it running?");
        }
    };
    let state = pending.state.clone();
    keep(&demo.pending, state.clone(), pending);
    HttpResponse::Found()
        .insert_header(("location", url))
        .cookie(cookie(
            FLOW_COOKIE,
            state,
            demo.public_url.starts_with("https:"),
        ))
        .finish()
}

#[derive(serde::Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    demo: web::Data<Demo>,
    req: HttpRequest,
    q: web::Query<Callback>,
) -> HttpResponse {
    // The state must be the one this browser started with (its cookie), and is used once.
    let mine = req.cookie(FLOW_COOKIE).map(|c| c.value().to_string());
    let pending = match (&q.state, mine) {
        (Some(s), Some(m)) if *s == m => demo
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(s),
        _ => None,
    };
    let Some(pending) = pending else {
        return failed("This sign-in was not started here, or was already used. Start again.");
    };
    if let Some(error) = &q.error {
        eprintln!("identity-demo: the service answered {error}");
        return failed("The identity service refused the sign-in.");
    }
    let Some(code) = &q.code else {
        return failed("The identity service sent no code.");
    };
    match demo.rp.finish(code, pending).await {
        Ok(signed_in) => {
            let id = openidconnect::CsrfToken::new_random().secret().clone();
            keep(&demo.sessions, id.clone(), signed_in);
            let secure = demo.public_url.starts_with("https:");
            let mut gone = cookie(FLOW_COOKIE, String::new(), secure);
            gone.make_removal();
            HttpResponse::SeeOther()
                .insert_header(("location", "/"))
                .cookie(cookie(SESSION_COOKIE, id, secure))
                .cookie(gone)
                .finish()
        }
        Err(e) => {
            eprintln!("identity-demo: the code exchange failed: {e}");
            failed("The tokens could not be obtained or verified.")
        }
    }
}

async fn logout(demo: web::Data<Demo>, req: HttpRequest) -> HttpResponse {
    let ended = req.cookie(SESSION_COOKIE).and_then(|c| {
        let mut sessions = demo.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.remove(c.value())
    });
    let mut gone = cookie(
        SESSION_COOKIE,
        String::new(),
        demo.public_url.starts_with("https:"),
    );
    gone.make_removal();
    let back = format!("{}/", demo.public_url);
    let target = match ended {
        Some(s) => demo.rp.logout_url(&s.id_token, &back).await.unwrap_or(back),
        None => back,
    };
    HttpResponse::SeeOther()
        .insert_header(("location", target))
        .cookie(gone)
        .finish()
}

/// Inserts, forgetting an arbitrary old entry when full (a demo, not a session store).
fn keep<T>(map: &Mutex<HashMap<String, T>>, key: String, value: T) {
    let mut m = map.lock().unwrap_or_else(|p| p.into_inner());
    if m.len() >= KEPT {
        if let Some(old) = m.keys().next().cloned() {
            m.remove(&old);
        }
    }
    m.insert(key, value);
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(include_str!("../../http/pages/identity.css"))
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.client_file).map_err(|e| {
        anyhow::anyhow!(
            "reading {}: {e} (deploy/local/run.sh writes it)",
            args.client_file.display()
        )
    })?;
    let registration: Registration = serde_json::from_str(&text)?;
    let public_url = args.public_url.trim_end_matches('/').to_string();
    let issuer = args.issuer.trim_end_matches('/').to_string();
    let rp = RelyingParty::new(issuer, registration, format!("{public_url}/callback"));
    let demo = web::Data::new(Demo {
        rp,
        public_url: public_url.clone(),
        pending: Mutex::new(HashMap::new()),
        sessions: Mutex::new(HashMap::new()),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(demo.clone())
            .route("/", web::get().to(home))
            .route("/login", web::get().to(login))
            .route("/callback", web::get().to(callback))
            .route("/logout", web::post().to(logout))
            .route("/assets/identity.css", web::get().to(stylesheet))
    })
    .workers(1)
    .bind(&args.listen)?;
    let greeting = format!("demo app listening on {public_url}\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), greeting.as_bytes());
    server.run().await?;
    Ok(())
}
