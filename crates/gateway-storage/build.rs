//! Rebuild when a migration changes: `embed_migrations!` cannot see migration-only edits.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
