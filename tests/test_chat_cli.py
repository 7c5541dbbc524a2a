"""python -m core playlist: the chat pipeline from a shell."""
import json

from core.__main__ import main


def test_playlist_json_after_refinements(demo_db, capsys, monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    code = main(["playlist", "upbeat latin", "--refine", "no Los Faros del Sur", "--refine", "20 minutes",
                 "--db", str(demo_db), "--profile", "demo", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["replies"][0].startswith("(offline interpreter) I read that as: latin, more energy, happier.")
    # four artists play latin here; without one of them the relaxed cap changes, and is said again
    assert out["replies"][1] == ("(offline interpreter) I read that as: no Los Faros del Sur. Changed 5 of 25 tracks. "
                                 "Only 3 artists play the genre or era you asked for, so up to 5 tracks each "
                                 "(instead of 2).")
    assert out["replies"][2].startswith("(offline interpreter) I read that as: about 20 minutes. Removed ")
    tracks = out["tracks"]
    assert set(tracks[0]) == {"track_uri", "track_name", "artist_name", "album_name", "release_year", "duration_ms",
                              "energy", "valence", "tempo", "danceability", "acousticness", "genre", "reason"}
    assert not [t for t in tracks if t["artist_name"] == "Los Faros del Sur"]
    assert abs(sum(t["duration_ms"] for t in tracks) / 60_000 - 20) <= 3
    assert len({t["track_uri"] for t in tracks}) == len(tracks)


def test_playlist_not_understood_exits_2(demo_db, capsys, monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    assert main(["playlist", "what's the weather?", "--db", str(demo_db), "--profile", "demo"]) == 2
    assert capsys.readouterr().err.startswith("encore: (offline interpreter) I did not understand that (“whats "
                                              "weather”). I can:")


def test_playlist_without_plays_exits_2(tmp_path, capsys):
    assert main(["playlist", "jazz", "--db", str(tmp_path / "empty.db")]) == 2
    assert capsys.readouterr().err == ("encore: profile 'me' has no plays: import an export first "
                                       "(python -m core import PATH)\n")
