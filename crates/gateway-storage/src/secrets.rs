//! Secrets shared by every instance on one database (`gateway_secrets`): the first value stored
//! under a name wins.

use async_trait::async_trait;
use diesel::prelude::*;
use gateway_core::{SecretStore, StoreError};

use crate::{AnyConnection, DieselStore, error::Failure, schema::gateway_secrets};

/// Stores `candidate` under `name` unless a value is there already (one `ON CONFLICT DO NOTHING`
/// insert: another instance may have stored it first), then reads the value that won.
fn first_value(conn: &mut AnyConnection, name: &str, candidate: &str) -> Result<String, Failure> {
    // On the concrete connection: diesel's multi-backend connection has no ON CONFLICT.
    on_backend!(conn, c => diesel::insert_into(gateway_secrets::table)
        .values((
            gateway_secrets::name.eq(name),
            gateway_secrets::value.eq(candidate),
        ))
        .on_conflict_do_nothing()
        .execute(c)?);
    Ok(gateway_secrets::table
        .find(name)
        .select(gateway_secrets::value)
        .get_result(conn)?)
}

#[async_trait]
impl SecretStore for DieselStore {
    async fn secret(&self, name: &str, candidate: &str) -> Result<String, StoreError> {
        let (name, candidate) = (name.to_owned(), candidate.to_owned());
        self.run(move |conn| first_value(conn, &name, &candidate))
            .await
    }
}
