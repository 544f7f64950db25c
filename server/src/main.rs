//! `covalynce` — the server binary.
//!
//! ```text
//! covalynce serve [--demo]   run the web app (default); --demo points every platform at the
//!                            built-in sandbox so you can connect and publish without credentials
//! covalynce sandbox [--port N]  run only the platform sandbox (default port 4000)
//! covalynce outbox [EMAIL]   print the dev e-mail outbox (reset links when no SMTP is set)
//! covalynce rotate-key [--reseal-only] [--batch N]
//!                            new primary encryption key in DATA_DIR (the old one is kept as
//!                            `encryption.key.old-<kid>`), then re-seal every sealed column
//!                            under it; --reseal-only just re-seals (resume, or keys from env)
//! ```
//! Configuration comes from the environment; see `.env.example`.

use server::config::Config;

fn main() -> anyhow::Result<()> {
    cap_malloc_arenas();
    // Server-side rendering walks deeply nested view types; unoptimised builds can need more
    // than tokio's default 2 MiB per worker thread.
    tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(8 * 1024 * 1024).build()?.block_on(run())
}

/// glibc gives each thread that allocates under contention its own malloc arena (up to eight
/// per core) and keeps freed memory in each: a burst of 10,000 due posts peaked at 187 MB RSS,
/// and at 143 MB with two arenas, at the same throughput (`cargo bench --bench dispatch`).
/// `MALLOC_ARENA_MAX` set by the operator wins. Runs before any thread exists.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn cap_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a malloc parameter; it is called before other threads start.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn cap_malloc_arenas() {}

// Both builds share the signature; only the production one can fail.
#[cfg(feature = "demo")]
#[allow(clippy::unnecessary_wraps)]
fn demo(config: Config) -> anyhow::Result<Config> {
    Ok(config.into_demo())
}

#[cfg(not(feature = "demo"))]
fn demo(_: Config) -> anyhow::Result<Config> {
    anyhow::bail!(server::config::NO_SANDBOX)
}

/// `covalynce sandbox --port N`: the platform sandbox alone (crash tests, benchmarks).
#[cfg(feature = "demo")]
async fn serve_sandbox(args: &[String]) -> anyhow::Result<()> {
    let port: u16 = args.iter().position(|a| a == "--port").and_then(|i| args.get(i + 1)).and_then(|p| p.parse().ok()).unwrap_or(4000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tracing::info!(
        "platform sandbox listening on http://127.0.0.1:{port} (client id {}, secret {})",
        sandbox::CLIENT_ID,
        sandbox::CLIENT_SECRET
    );
    axum::serve(listener, sandbox::router(sandbox::Sandbox::new())).await?;
    Ok(())
}

#[cfg(not(feature = "demo"))]
#[allow(clippy::unused_async)] // the same signature as the demo build's
async fn serve_sandbox(_: &[String]) -> anyhow::Result<()> {
    anyhow::bail!(server::config::NO_SANDBOX)
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tower_http=warn,sqlx=warn".into()))
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut config = Config::from_env()?;
    match args.first().map(String::as_str) {
        None | Some("serve") => {
            if args.iter().any(|a| a == "--demo") {
                config = demo(config)?;
                tracing::warn!("DEMO MODE: every platform is the built-in sandbox at {}/sandbox", config.base_url);
            }
            let started = std::time::Instant::now();
            let app = server::Application::build(config.clone()).await?;
            tracing::info!(
                "Covalynce is ready at {} (listening on {}, database {}, started in {} ms)",
                config.base_url,
                config.bind.ip().to_string() + ":" + &app.port().to_string(),
                if config.database_url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" },
                started.elapsed().as_millis()
            );
            app.run_until_stopped().await
        }
        Some("sandbox") => serve_sandbox(&args).await,
        Some("outbox") => {
            let db = covalynce::db::Db::connect_pooled(&config.database_url, config.database_max_connections).await?;
            let msgs = covalynce::mail::outbox(&db, args.get(1).map(String::as_str), 20).await?;
            if msgs.is_empty() {
                println!("The outbox is empty.");
            }
            for m in msgs {
                let when = chrono::DateTime::from_timestamp_millis(m.created_at).map(|t| t.to_rfc3339()).unwrap_or_default();
                println!("--- {when}\nTo: {}\nSubject: {}\n\n{}\n", m.recipient, m.subject, m.body);
            }
            Ok(())
        }
        Some("rotate-key") => rotate_key(&config, &args[1..]).await,
        Some("help" | "--help" | "-h") => {
            println!(
                "usage: covalynce [serve [--demo] | sandbox [--port N] | outbox [EMAIL] | rotate-key [--reseal-only] [--batch N] | help]"
            );
            Ok(())
        }
        Some(other) => anyhow::bail!("unknown command \"{other}\"; try `covalynce help`"),
    }
}

/// `covalynce rotate-key`: safe while servers run. They read values under old and new keys
/// (file keys are re-read when a value names a key they have not loaded), and each row is
/// updated on its own, so nothing waits on the rotation.
async fn rotate_key(config: &Config, args: &[String]) -> anyhow::Result<()> {
    use covalynce::crypto::Keys;
    let reseal_only = args.iter().any(|a| a == "--reseal-only");
    let batch: i64 = args.iter().position(|a| a == "--batch").and_then(|i| args.get(i + 1)).and_then(|n| n.parse().ok()).unwrap_or(100);
    let db = covalynce::db::Db::connect_pooled(&config.database_url, config.database_max_connections).await?;
    let keys = if reseal_only {
        Keys::load_or_create(&config.data_dir, config.jwt_secret.as_deref(), config.encryption_key.as_deref())?
    } else {
        anyhow::ensure!(
            config.encryption_key.is_none(),
            "ENCRYPTION_KEY is set, so the keys live in your environment, not in {}. Rotate there: \
             1) on every server set ENCRYPTION_KEY=<old>,<new> (new key: `openssl rand -base64 32`) and restart; \
             2) set ENCRYPTION_KEY=<new>,<old> everywhere and restart; \
             3) run `covalynce rotate-key --reseal-only`; 4) later drop <old>.",
            config.data_dir.display()
        );
        let old = Keys::load_or_create(&config.data_dir, config.jwt_secret.as_deref(), None)?.primary_id();
        let keys = Keys::rotate_in_dir(&config.data_dir, config.jwt_secret.as_deref())?;
        println!("New encryption key {} in {}; the old key {old} is kept for reading.", keys.primary_id(), config.data_dir.display());
        keys
    };
    println!("Re-sealing under key {} (keys known: {}).", keys.primary_id(), keys.key_ids().join(", "));
    let mut unreadable = 0;
    for r in covalynce::key_rotation::reseal_all(&db, &keys, batch).await? {
        println!(
            "{:<30} {} re-sealed, {} already current, {} changed meanwhile, {} unreadable",
            r.column,
            r.resealed,
            r.current,
            r.raced,
            r.unreadable.len()
        );
        if !r.unreadable.is_empty() {
            println!("  unreadable rows (no known key opens them): {}", r.unreadable.join(", "));
        }
        unreadable += r.unreadable.len();
    }
    anyhow::ensure!(unreadable == 0, "{unreadable} sealed values could not be read with any known key; they were left as they are");
    println!("Done. Rows changed meanwhile are re-sealed by running `covalynce rotate-key --reseal-only` again.");
    Ok(())
}
