import csv
import io
import json
import re
from pathlib import Path

import pytest

from factdesk.index.verdict import load_calibrator
from factdesk.service.cli import main
from factdesk.service.ingest_files import InputError, read_articles, read_claims

ROOT = Path(__file__).resolve().parents[2]


def test_ingest_check_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "sub" / "bridge_collapse.txt").write_text("The Kanyaruchinya bridge collapsed on Tuesday. Nobody was hurt.")
    (docs / "more.jsonl").write_text(json.dumps({"id": "m1", "text": "Fuel prices in Goma rose by 40 percent."}) + "\n")
    (docs / "page.html").write_text(
        "<html><head><title>Market reopens</title></head><body><article><h1>Market reopens</h1><p>The central market "
        "of Gisenyi reopened on Wednesday after three days of closure, traders said. Prices were stable.</p><p>"
        "Officials expect more traders next week as the border crossings reopen.</p></article></body></html>"
    )
    base = ["--data-dir", str(data), "--quiet", "--stance", "cues"]
    assert main([*base, "ingest", str(ROOT / "seeds" / "goma-2025-01.json"), str(docs)]) == 0
    assert "ingested 4 articles" in capsys.readouterr().err

    assert main([*base, "stats"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["articles"] == 4 and stats["statements"] == stats["vectors"]

    claims = tmp_path / "claims.jsonl"
    claims.write_text(
        json.dumps({"id": "c1", "claim": "M23 rebels have captured Goma"})
        + "\n"
        + json.dumps({"id": 2, "claim": "The Kanyaruchinya bridge collapsed"})
        + "\n"
        + json.dumps({"claim": "The Eiffel Tower is in Paris"})
        + "\n"
    )
    out = tmp_path / "results.jsonl"
    assert main([*base, "check", str(claims), "--out", str(out), "--top-k", "2"]) == 0
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r.get("id") for r in results] == ["c1", "2", None]
    assert [r["verdict"] for r in results] == ["supported", "supported", "not_enough_evidence"]
    assert results[1]["evidence"][0]["article"]["title"] == "bridge collapse"

    out_csv = tmp_path / "results.csv"
    (tmp_path / "claims.txt").write_text("M23 rebels have captured Goma\n\nFuel prices in Goma rose by 40 percent\n")
    assert main([*base, "check", str(tmp_path / "claims.txt"), "--out", str(out_csv), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text())))
    assert [r["verdict"] for r in rows] == ["supported", "supported"]

    capsys.readouterr()
    assert main([*base, "delete", "m1"]) == 0
    assert capsys.readouterr().out == "deleted m1\n"
    assert main([*base, "delete", "m1"]) == 1
    assert "no article with id 'm1'" in capsys.readouterr().err


def test_reindex_moves_a_data_directory_to_another_encoder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--data-dir", str(tmp_path / "data"), "--quiet", "--stance", "cues"]
    assert main([*base, "ingest", str(ROOT / "seeds" / "goma-2025-01.json")]) == 0
    statements = re.search(r"(\d+) new statements", capsys.readouterr().err)[1]
    assert main([*base, "--encoder", "torch", "search", "Goma"]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "made by all-MiniLM-L6-v2 (onnx-int8, 384-d)" in err and "--encoder onnx" in err
    assert main([*base, "--encoder", "torch", "reindex"]) == 0
    assert f"re-embedded {statements} statements with all-MiniLM-L6-v2 (torch, 384-d)" in capsys.readouterr().err
    assert main([*base, "--encoder", "torch", "search", "Goma", "-k", "1"]) == 0
    assert "Goma" in capsys.readouterr().out
    assert main([*base, "stats"]) == 1  # onnx now meets torch vectors
    assert "--encoder torch" in capsys.readouterr().err


def test_the_calibration_is_chosen_and_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "-q", "--calibration", "news", "stats"]) == 0
    stats = json.loads(capsys.readouterr().out)
    news = load_calibrator(stats["stance_model"], "news")
    assert news is not None and stats["calibration"] == "news" and stats["min_confidence"] == news.min_confidence

    other = tmp_path / "other"
    assert main(["--data-dir", str(other), "-q", "--stance", "fast", "--calibration", "news", "stats"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "nli-minilm-l3 has no 'news' calibration" in err
    assert not other.exists()
    assert main(["--data-dir", str(other), "--stance", "fast", "--calibration", "news", "serve"]) == 1
    assert "nli-minilm-l3 has no 'news' calibration" in capsys.readouterr().err  # before any worker starts
    with pytest.raises(SystemExit) as exited:
        main(["--data-dir", str(other), "--calibration", "science", "stats"])
    assert exited.value.code == 2 and "unknown calibration 'science'" in capsys.readouterr().err
    monkeypatch.setenv("FACTDESK_CALIBRATION", "sceince")
    with pytest.raises(SystemExit):
        main(["--data-dir", str(other), "stats"])
    assert "unknown calibration 'sceince'" in capsys.readouterr().err


def test_bad_input_gives_one_line_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine."}\n{"text": \n')
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "-q", "ingest", str(bad)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "bad.jsonl:2: invalid JSON" in err
    assert not data.exists()

    claims = tmp_path / "claims.jsonl"
    claims.write_text('{"claim": "ok"}\n{"claim": ""}\n')
    out = tmp_path / "out.jsonl"
    assert main(["--data-dir", str(data), "-q", "check", str(claims), "--out", str(out)]) == 1
    assert "claims.jsonl:2:" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.txt", b"", "empty file"),
        ("binary.json", b"\x00\x01\x02", "binary file"),
        ("latin.txt", "café".encode("latin-1"), "not UTF-8"),
        ("list.json", b"[]", "no articles"),
        ("x.pdf", b"%PDF", "unsupported file type"),
        ("noid.json", b'{"text": "a.", "id": "has space"}', "noid.json"),
    ],
)
def test_article_file_errors(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_articles(path)


def test_claim_formats() -> None:
    assert [c.claim for c in read_claims(b"id,claim\n1,First claim\n2,Second\n", "c.csv")] == ["First claim", "Second"]
    assert [c.id for c in read_claims(b'{"id": "x", "claim": "y"}\n', "-")] == ["x"]
    assert [c.claim for c in read_claims(b"one\ntwo\n", "-")] == ["one", "two"]
    with pytest.raises(InputError, match="CSV needs a 'claim' column"):
        list(read_claims(b"id,text\n1,a\n", "c.csv"))
    with pytest.raises(InputError, match="no claims"):
        list(read_claims(b"\n\n", "-"))


def test_malformed_lines_name_their_line_or_are_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from factdesk.service import ingest_files

    articles = tmp_path / "mixed.jsonl"
    huge = b'{"text": "' + b"x" * (ingest_files.MAX_LINE_BYTES + 1) + b'"}'
    articles.write_bytes(
        b'{"text": "The bridge at Kanyaruchinya collapsed on Tuesday."}\n'
        b'{"text": "caf\xe9 latin-1"}\n'  # wrong encoding on line 2
        b"not json\n" + huge + b"\n"
        b'{"text": "Nobody was hurt, officials said."}\n'
    )
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "-q", "--stance", "cues", "ingest", str(articles)]) == 1
    assert "mixed.jsonl:2: not UTF-8" in capsys.readouterr().err and not data.exists()

    binary = tmp_path / "blob.jsonl"
    binary.write_bytes(b"\x00\x01garbage")
    assert (
        main(["--data-dir", str(data), "-q", "--stance", "cues", "ingest", "--skip-bad", str(articles), str(binary)])
        == 0
    )
    err = capsys.readouterr().err
    assert "skipped 4 bad lines or files (first: " in err and "mixed.jsonl:2" in err
    assert "ingested 2 articles" in err

    claims = tmp_path / "claims.csv"
    claims.write_bytes(b"id,claim\n1,Nobody was hurt\n2,\n3,\xff\xfe\n4,The bridge collapsed\n")
    out = tmp_path / "out.jsonl"
    args = ["--data-dir", str(data), "-q", "--stance", "cues", "check", str(claims), "--out", str(out)]
    assert main(args) == 1
    assert "claims.csv:3: Expected `str` of length >= 1" in capsys.readouterr().err and not out.exists()
    assert main([*args, "--skip-bad"]) == 0
    assert "skipped 2 bad lines" in capsys.readouterr().err
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["1", "4"]

    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert main(["--data-dir", str(data), "-q", "check", str(empty)]) == 1
    assert "no claims" in capsys.readouterr().err


def test_a_draft_over_the_check_cap_is_checked_up_to_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import factdesk.index.drafts
    import factdesk.service.cli.checking

    monkeypatch.setattr(factdesk.index.drafts, "MAX_DOCUMENT_CHECKS", 3)
    monkeypatch.setattr(factdesk.service.cli.checking, "MAX_DOCUMENT_CHECKS", 3)
    base = ["--data-dir", str(tmp_path / "data"), "--quiet", "--stance", "cues"]
    assert main([*base, "ingest", str(ROOT / "seeds" / "goma-2025-01.json")]) == 0
    draft = tmp_path / "draft.txt"
    draft.write_text(
        "M23 rebels captured Goma on 27 January. About 15 civilians were injured in Rubavu. Rwanda closed 40 "
        "schools in Rubavu. Kenya called a summit for 29 January. Kagame spoke with Rubio on 26 January.\n"
    )
    capsys.readouterr()
    assert main([*base, "check-doc", str(draft)]) == 0
    printed = capsys.readouterr()
    response = json.loads(printed.out)
    worth = [s for s in response["statements"] if s["checkworthiness"] >= 0.5]
    assert len(worth) == 5 and response["checked"] == 3 and response["left_unchecked"] == 2
    checked = [s for s in worth if s["result"]]
    assert min(s["checkworthiness"] for s in checked) >= max(s["checkworthiness"] for s in worth if not s["result"])
    assert "2 check-worthy statements left unchecked" in printed.err
