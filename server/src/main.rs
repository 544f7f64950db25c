//! `covalynce` — the server binary.
//!
//! ```text
//! covalynce serve            run the web app (default)
//! covalynce outbox [EMAIL]   print the dev e-mail outbox (reset links when no SMTP is set)
//! ```
//! Configuration comes from the environment; see `.env.example`.

use server::config::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn,sqlx=warn".into()),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = Config::from_env()?;
    match args.first().map(String::as_str) {
        None | Some("serve") => {
            let started = std::time::Instant::now();
            let app = server::Application::build(config.clone()).await?;
            tracing::info!(
                "Covalynce is ready at {} (listening on {}, database {}, started in {} ms)",
                config.base_url,
                config.bind.ip().to_string() + ":" + &app.port().to_string(),
                if config.database_url.starts_with("postgres") {
                    "PostgreSQL"
                } else {
                    "SQLite"
                },
                started.elapsed().as_millis()
            );
            app.run_until_stopped().await
        }
        Some("outbox") => {
            let db = covalynce::db::Db::connect(&config.database_url).await?;
            let msgs = covalynce::mail::outbox(&db, args.get(1).map(String::as_str), 20).await?;
            if msgs.is_empty() {
                println!("The outbox is empty.");
            }
            for m in msgs {
                let when = chrono::DateTime::from_timestamp_millis(m.created_at)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                println!(
                    "--- {when}\nTo: {}\nSubject: {}\n\n{}\n",
                    m.recipient, m.subject, m.body
                );
            }
            Ok(())
        }
        Some("help" | "--help" | "-h") => {
            println!("usage: covalynce [serve | outbox [EMAIL] | help]");
            Ok(())
        }
        Some(other) => anyhow::bail!("unknown command \"{other}\"; try `covalynce help`"),
    }
}
