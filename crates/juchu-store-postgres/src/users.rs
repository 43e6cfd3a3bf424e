//! Console users and sessions (port: `juchu_store::UserStore`).

use crate::{PostgresStore, db_err, is_unique_violation};
use async_trait::async_trait;
use jiff::Timestamp;
use juchu_store::codec::{micros, timestamp};
use juchu_store::{Result, SessionRecord, StoreError, UserRecord, UserStore};
use sqlx::Row;
use sqlx::postgres::PgRow;

const USER_COLUMNS: &str = "u.id, u.email, u.password_hash, u.role, u.created_at";

fn user(r: &PgRow) -> Result<UserRecord> {
    let role: String = r.try_get("role").map_err(db_err)?;
    Ok(UserRecord {
        id: r.try_get("id").map_err(db_err)?,
        email: r.try_get("email").map_err(db_err)?,
        password_hash: r.try_get("password_hash").map_err(db_err)?,
        role: role.parse().map_err(StoreError::Corrupt)?,
        created_at: timestamp(r.try_get("created_at").map_err(db_err)?)?,
    })
}

#[async_trait]
impl UserStore for PostgresStore {
    async fn insert_user(&self, u: &UserRecord) -> Result<()> {
        let r = sqlx::query(
            "INSERT INTO users (id, email, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&u.id)
        .bind(&u.email)
        .bind(&u.password_hash)
        .bind(u.role.as_str())
        .bind(micros(u.created_at))
        .execute(&self.pool)
        .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
                "a user with e-mail {} exists",
                u.email
            ))),
            Err(e) => Err(db_err(e)),
        }
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1");
        let row = sqlx::query(&sql)
            .bind(email)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(user).transpose()
    }

    async fn list_users(&self) -> Result<Vec<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.email");
        let rows = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(user).collect()
    }

    async fn set_user_password(&self, email: &str, password_hash: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = sqlx::query("UPDATE users SET password_hash = $1 WHERE email = $2")
            .bind(password_hash)
            .bind(email)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query(
            "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE email = $1)",
        )
        .bind(email)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn insert_session(&self, s: &SessionRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&s.id)
        .bind(&s.user_id)
        .bind(&s.csrf)
        .bind(micros(s.created_at))
        .bind(micros(s.expires_at))
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn live_session(
        &self,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<(SessionRecord, UserRecord)>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf, s.created_at AS s_created, s.expires_at
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id = $1 AND s.expires_at > $2"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(micros(now))
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|r| {
            let u = user(&r)?;
            let s = SessionRecord {
                id: id.to_owned(),
                user_id: u.id.clone(),
                csrf: r.try_get("csrf").map_err(db_err)?,
                created_at: timestamp(r.try_get("s_created").map_err(db_err)?)?,
                expires_at: timestamp(r.try_get("expires_at").map_err(db_err)?)?,
            };
            Ok((s, u))
        })
        .transpose()
    }

    async fn delete_session(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(micros(now))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected())
    }
}
