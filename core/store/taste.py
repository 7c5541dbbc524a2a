"""The taste model's records, imputed features, likes and dislikes, and Gemini's suggestions for Discover."""
from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database

from core.store.connection import utc_now, write_transaction


def set_feedback(db: Database, profile: str, track_key: str, value: int) -> None:
    """Remember a like (1) or dislike (-1) of a track; the latest one counts."""
    with write_transaction(db):
        db.execute(
            "INSERT INTO track_feedback(profile, track_key, value, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(profile, track_key) DO UPDATE SET value = excluded.value, created_at = excluded.created_at",
            [profile, track_key, value, utc_now()])


def list_feedback(db: Database, profile: str) -> dict[str, int]:
    """track_key -> 1 (liked) or -1 (disliked)."""
    return dict(db.execute("SELECT track_key, value FROM track_feedback WHERE profile = ? ORDER BY track_key",
                           [profile]).fetchall())


def save_model_record(db: Database, profile: str, data_version_: int, catalog_version_: int, params_json: str,
                      metrics_json: str | None, path: str, imputed: Iterable[tuple[str, str]] = ()) -> int:
    """Record a trained model (and its imputed features); return its id."""
    with write_transaction(db):
        model_id = db.execute(
            "INSERT INTO models(profile, created_at, data_version, catalog_version, params_json, metrics_json, path) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [profile, utc_now(), data_version_, catalog_version_, params_json, metrics_json, path],
        ).lastrowid
        db.conn.executemany(
            "INSERT INTO imputed_features(model_id, track_key, features_json) VALUES (?, ?, ?)",
            ((model_id, key, value) for key, value in imputed),
        )
    return model_id


def set_model_metrics(db: Database, model_id: int, metrics_json: str) -> None:
    with write_transaction(db):
        db.execute("UPDATE models SET metrics_json = ? WHERE id = ?", [metrics_json, model_id])


def latest_model(db: Database, profile: str) -> dict | None:
    """The newest model record of a profile (a dict of the ``models`` columns), or None."""
    rows = list(db.query("SELECT * FROM models WHERE profile = ? ORDER BY id DESC LIMIT 1", [profile]))
    return rows[0] if rows else None


def imputed_features(db: Database, model_id: int) -> dict[str, str]:
    """track_key -> features JSON imputed by one model."""
    return dict(db.execute(
        "SELECT track_key, features_json FROM imputed_features WHERE model_id = ?", [model_id]).fetchall())


def record_gemini_suggestions(db: Database, profile: str, asked_at: str,
                              rows: Iterable[tuple[str, str, str | None, str | None]]) -> None:
    """Keep (artist_name, track_name, track_id or None, resolved_by or None) proposals of one
    ask; a proposal made before joins this ask, and its newest resolution wins, but an
    unresolved answer (e.g. asked while not signed in to Spotify) never takes away a track
    found before."""
    db.conn.executemany(
        "INSERT INTO gemini_suggestions(profile, artist_name, track_name, asked_at, track_id, resolved_by) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(profile, artist_name, track_name) DO UPDATE SET "
        "asked_at = excluded.asked_at, "
        "track_id = CASE WHEN excluded.track_id IS NULL THEN track_id ELSE excluded.track_id END, "
        "resolved_by = CASE WHEN excluded.track_id IS NULL THEN resolved_by ELSE excluded.resolved_by END",
        [(profile, a, t, asked_at, tid, by) for a, t, tid, by in rows])


def latest_gemini_suggestions(db: Database, profile: str) -> list[dict]:
    """The proposals of a profile's latest ask, in the order stored."""
    return list(db.query(
        "SELECT artist_name, track_name, asked_at, track_id, resolved_by FROM gemini_suggestions "
        "WHERE profile = ? AND asked_at = (SELECT max(asked_at) FROM gemini_suggestions WHERE profile = ?) "
        "ORDER BY artist_name, track_name", [profile, profile]))


def gemini_track_ids(db: Database, profile: str) -> list[str]:
    """The real tracks Gemini's proposals for a profile resolved to (every ask)."""
    return [r[0] for r in db.execute(
        "SELECT DISTINCT track_id FROM gemini_suggestions WHERE profile = ? AND track_id IS NOT NULL "
        "ORDER BY track_id", [profile])]
