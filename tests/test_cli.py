"""The `paperwire` command, run for real as a subprocess with its own data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import override_settings

from paperwire.cli import COMMANDS, main
from support import free_port

pytestmark = pytest.mark.slow

DEMO_FILE = Path(__file__).resolve().parent.parent / "src/paperwire/data/demo_papers.jsonl"
Cli = Callable[..., subprocess.CompletedProcess[str]]


def assert_clean_failure(done: subprocess.CompletedProcess[str], message: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert message in done.stderr, done.stderr
    # One prefix for every refusal: the command's name, never an exception's class name.
    line = next(line for line in done.stderr.splitlines() if message in line)
    assert line.startswith("paperwire"), line
    assert "CommandError" not in done.stderr


def test_help(cli: Cli, tmp_path: Path) -> None:
    done = cli("--help", data_dir=tmp_path)

    assert done.returncode == 0
    assert done.stdout.startswith("usage: paperwire COMMAND")
    for name in COMMANDS:
        assert f"  {name} " in done.stdout


@pytest.mark.parametrize("name", COMMANDS)
def test_every_subcommand_has_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    # In this process (the same main() the console script calls): a fresh interpreter
    # per command would cost a second each.
    with pytest.raises(SystemExit) as exited:
        main([name, "--help"])

    assert exited.value.code in (0, None)
    out = capsys.readouterr().out
    assert out.startswith(f"usage: paperwire {name} "), out[:200]


def test_subcommand_help_as_a_process(cli: Cli, tmp_path: Path) -> None:
    done = cli("import", "--help", data_dir=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: paperwire import ")
    assert "--quiet" in done.stdout


def test_version(cli: Cli, tmp_path: Path) -> None:
    done = cli("--version", data_dir=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("paperwire ")


def test_import_of_a_missing_file_is_one_line(cli: Cli, tmp_path: Path) -> None:
    done = cli("import", str(tmp_path / "missing.jsonl"), data_dir=tmp_path)

    assert_clean_failure(done, "missing.jsonl: no such file")
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("paperwire: "), done.stderr


def test_traceback_asked_for_is_shown(cli: Cli, tmp_path: Path) -> None:
    done = cli("import", str(tmp_path / "missing.jsonl"), "--traceback", data_dir=tmp_path)

    assert done.returncode != 0
    assert "Traceback" in done.stderr and "missing.jsonl: no such file" in done.stderr


@pytest.mark.parametrize(
    ("port", "message"),
    [("abc", "PORT='abc' is not a number"), ("70000", "PORT=70000 is out of range")],
)
def test_bad_port_variable(cli: Cli, tmp_path: Path, port: str, message: str) -> None:
    # Checked before anything else: a regression here would start a real server.
    done = cli("serve", data_dir=tmp_path, PORT=port, timeout=30)

    assert_clean_failure(done, message)
    assert len(done.stderr.strip().splitlines()) == 1


def test_bad_port_option(cli: Cli, tmp_path: Path) -> None:
    done = cli("serve", "--port", "70000", data_dir=tmp_path, timeout=30)

    assert_clean_failure(done, "--port 70000 is out of range")
    assert not (tmp_path / "paperwire.sqlite3").exists(), "it migrated before checking"


def test_bad_database_url_is_one_line(cli: Cli, tmp_path: Path) -> None:
    done = cli("check", data_dir=tmp_path, PAPERWIRE_DATABASE_URL="mysql://localhost/papers")

    assert_clean_failure(done, "unsupported scheme")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PAPERWIRE_EMAIL_PORT", "abc", "PAPERWIRE_EMAIL_PORT='abc' is not a whole number"),
        ("PAPERWIRE_EMAIL_PORT", "70000", "PAPERWIRE_EMAIL_PORT='70000' is out of range"),
        ("PAPERWIRE_INGEST_HOUR", "25", "PAPERWIRE_INGEST_HOUR='25' is out of range"),
        ("PAPERWIRE_ARXIV_DELAY", "3s", "PAPERWIRE_ARXIV_DELAY='3s' is not a number"),
        ("PAPERWIRE_LOG_LEVEL", "LOUD", "PAPERWIRE_LOG_LEVEL='LOUD' is not a log level"),
        ("PAPERWIRE_PROGRESS_SECONDS", "5s", "PAPERWIRE_PROGRESS_SECONDS='5s' is not a number"),
        ("PAPERWIRE_DATABASE_URL", "postgresql://u:pw@h:5x32/db", "has a bad port '5x32'"),
        (
            "PAPERWIRE_ARXIV_OAI_URL",
            "oaipmh.example.org/oai",
            "PAPERWIRE_ARXIV_OAI_URL='oaipmh.example.org/oai' is not an http:// or https:// URL",
        ),
        ("PAPERWIRE_ARXIV_API_URL", "ftp://mirror/api", "PAPERWIRE_ARXIV_API_URL='ftp://mirror"),
        ("PAPERWIRE_ARXIV_RSS_URL", "http://[::1/rss/", "PAPERWIRE_ARXIV_RSS_URL='http://[::1/"),
        ("PAPERWIRE_ARXIV_RSS_URL", "http://mirror:8o/rss/", "PAPERWIRE_ARXIV_RSS_URL='http://m"),
        (
            "PAPERWIRE_INGEST_SOURCE",
            "atom",
            "PAPERWIRE_INGEST_SOURCE='atom' is not a source: use oai (the default), api or rss",
        ),
        (
            "PAPERWIRE_INGEST_PARSE_AHEAD",
            "twice",
            "PAPERWIRE_INGEST_PARSE_AHEAD='twice' is not auto, on or off",
        ),
        (
            "PAPERWIRE_RATE_LIMITS",
            "signup-ip=50/3600,sigup-account=5/60",
            "PAPERWIRE_RATE_LIMITS: 'sigup-account' is not a rate limit; they are login-ip,",
        ),
        (
            "PAPERWIRE_RATE_LIMITS",
            "signup-ip=50 an hour",
            "PAPERWIRE_RATE_LIMITS: 'signup-ip=50 an hour' is not SCOPE=COUNT/SECONDS",
        ),
        (
            "PAPERWIRE_CONTACT_EMAIL",
            "moderators at example.org",
            "PAPERWIRE_CONTACT_EMAIL='moderators at example.org' is not an e-mail address",
        ),
        (
            "PAPERWIRE_TRUSTED_PROXIES",
            "127.0.0.1,nginx",
            "PAPERWIRE_TRUSTED_PROXIES='127.0.0.1,nginx': 'nginx' is not an IP address or network",
        ),
        (
            "PAPERWIRE_INGEST_CATEGORIES",
            "cs.CL,cs.cl,cs.XX",
            "PAPERWIRE_INGEST_CATEGORIES='cs.CL,cs.cl,cs.XX' names unknown arXiv categories: "
            "cs.cl (did you mean cs.CL?), cs.XX; use arXiv category codes separated by commas",
        ),
    ],
)
def test_a_bad_setting_is_one_line_naming_its_variable(
    cli: Cli, tmp_path: Path, variable: str, value: str, message: str
) -> None:
    done = cli("check", data_dir=tmp_path, timeout=30, **{variable: value})

    assert_clean_failure(done, message)
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("secret_key", ["", "a-key-from-the-environment"])
@pytest.mark.parametrize("command", [("migrate",), ("export", "-"), ("serve", "--port", "1")])
def test_a_data_dir_that_cannot_be_used_is_one_line_naming_the_variable(
    cli: Cli, tmp_path: Path, command: tuple[str, ...], secret_key: str
) -> None:
    # A file where the directory should be, a path under a file, a place nobody may
    # create a directory in: one line naming PAPERWIRE_DATA_DIR, never a traceback from
    # the secret key's file or SQLite's directory.
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("mine\n")
    cases = [
        (a_file, f"{str(a_file)!r} is a file, not a directory"),
        (a_file / "data", f"cannot create the directory {str(a_file / 'data')!r}"),
    ]
    if Path("/proc/self").is_dir():
        cases.append((Path("/proc/self/data"), "cannot create the directory '/proc/"))
    for data_dir, message in cases:
        done = cli(*command, data_dir=data_dir, timeout=30, PAPERWIRE_SECRET_KEY=secret_key)

        assert_clean_failure(done, message)
        line = done.stderr.strip()
        assert "\n" not in line
        assert line.startswith("paperwire: PAPERWIRE_DATA_DIR=")
        assert line.endswith("point PAPERWIRE_DATA_DIR at a directory this user can write to")
    assert a_file.read_text() == "mine\n"


def test_a_sqlite_url_under_a_file_is_one_line_naming_the_variable(
    cli: Cli, tmp_path: Path
) -> None:
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("")
    url = f"sqlite:///{a_file}/paperwire.sqlite3"

    done = cli("migrate", data_dir=tmp_path / "data", timeout=30, PAPERWIRE_DATABASE_URL=url)

    assert_clean_failure(done, f"PAPERWIRE_DATABASE_URL={url!r}: {str(a_file)!r} is a file")
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_bad_url_given_to_db_names_the_option_not_the_variable(
    cli: Cli, new_data_dir: Callable[[], Path]
) -> None:
    data_dir = new_data_dir()
    cases = [
        (("db", "check", "--url", "bogus://x"), "paperwire: --url has an unsupported scheme"),
        (
            ("db", "copy", "--from", str(data_dir), "--to", "mysql://u@h/db"),
            "paperwire: --to has an unsupported scheme 'mysql'",
        ),
        (
            ("db", "copy", "--from", "postgresql://u@h:port/db", "--to", "postgresql://u@h/d"),
            "paperwire: --from has a bad port 'port'",
        ),
    ]
    for args, message in cases:
        done = cli(*args, data_dir=data_dir, timeout=60)

        assert_clean_failure(done, message)
        assert "PAPERWIRE_DATABASE_URL" not in done.stderr


def test_the_worker_says_what_it_does_and_when(cli: Cli, tmp_path: Path) -> None:
    from paperwire.papers.management.commands.serve import what_the_worker_does

    with override_settings(
        PAPERWIRE_INGEST_CATEGORIES=["cs.CL", "stat.ML"],
        PAPERWIRE_INGEST_HOUR=5,
        PAPERWIRE_DIGEST_HOUR=9,
    ):
        line = what_the_worker_does()
    assert line.startswith(
        "worker: harvests arXiv (cs.CL, stat.ML) daily after 05:00 UTC, sends digests daily "
        "after 09:00 UTC"
    )


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_serve_and_worker_refuse_unknown_ingest_categories_at_start(
    cli: Cli, tmp_path: Path, command: str
) -> None:
    # Not hours later, when the daily ingest runs: before migrating or serving anything.
    args = ["--port", str(free_port())] if command == "serve" else []
    done = cli(
        command, *args, data_dir=tmp_path, timeout=30, PAPERWIRE_INGEST_CATEGORIES="cs.AI,math"
    )

    assert_clean_failure(done, "PAPERWIRE_INGEST_CATEGORIES='cs.AI,math' names unknown")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "paperwire.sqlite3").exists()


@pytest.mark.parametrize(
    ("variable", "value"),
    [("PAPERWIRE_INGEST_SOURCE", "oai-pmh"), ("PAPERWIRE_INGEST_PARSE_AHEAD", "2")],
)
def test_the_worker_refuses_a_bad_ingest_source_or_parse_ahead_at_start(
    cli: Cli, tmp_path: Path, variable: str, value: str
) -> None:
    # Not when the daily ingest runs hours later, as the worker did before.
    done = cli("worker", data_dir=tmp_path, timeout=30, **{variable: value})

    assert_clean_failure(done, f"{variable}={value!r} is not")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "paperwire.sqlite3").exists()


def test_ingest_source_and_parse_ahead_are_read_as_written(cli: Cli, tmp_path: Path) -> None:
    done = cli(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.PAPERWIRE_INGEST_SOURCE, s.PAPERWIRE_INGEST_PARSE_AHEAD)",
        data_dir=tmp_path,
        PAPERWIRE_INGEST_SOURCE=" RSS ",
        PAPERWIRE_INGEST_PARSE_AHEAD="Off",
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["rss", "Off"]


def test_ingest_categories_may_be_separated_by_spaces_too(cli: Cli, tmp_path: Path) -> None:
    # As the daily run reads them (jobs.ingest_arxiv_daily), so the start-up check does.
    done = cli("check", data_dir=tmp_path, PAPERWIRE_INGEST_CATEGORIES="cs.CL cs.LG, stat.ML,")

    assert done.returncode == 0, done.stderr


def test_a_bad_ingest_base_url_is_one_line_naming_the_option(cli: Cli, tmp_path: Path) -> None:
    # Checked as env_url checks PAPERWIRE_ARXIV_*_URL: not a minute of retries, nor
    # httpx's "Invalid IPv6 URL" without the option's name.
    args = ["--categories", "cs.CL", "--since", "2024-01-01", "--base-url", "http://[::1/oai"]
    done = cli("ingest", "arxiv", *args, data_dir=tmp_path, timeout=30)

    assert_clean_failure(done, "--base-url 'http://[::1/oai' is not an http:// or https:// URL")
    assert len(done.stderr.strip().splitlines()) == 1


def test_arxiv_urls_of_a_mirror_or_test_server_are_accepted(cli: Cli, tmp_path: Path) -> None:
    done = cli(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.PAPERWIRE_ARXIV_OAI_URL, s.PAPERWIRE_ARXIV_API_URL)",
        data_dir=tmp_path,
        PAPERWIRE_ARXIV_OAI_URL=" http://127.0.0.1:8712/oai ",
        PAPERWIRE_ARXIV_API_URL="HTTPS://[::1]:8443/api/query",
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["http://127.0.0.1:8712/oai", "HTTPS://[::1]:8443/api/query"]


def test_import_export_round_trip_through_the_command(
    cli: Cli, new_data_dir: Callable[[], Path], tmp_path: Path
) -> None:
    first, second = new_data_dir(), new_data_dir()

    imported = cli("import", str(DEMO_FILE), data_dir=first)
    assert imported.returncode == 0, imported.stderr
    assert "137 new, 0 updated, 0 unchanged, 0 problem(s)" in imported.stdout

    exported = cli("export", "-", data_dir=first)
    assert exported.returncode == 0, exported.stderr
    assert "exported 137 paper(s)" in exported.stderr
    lines = exported.stdout.splitlines()
    assert len(lines) == 137
    assert all(json.loads(line)["id"] for line in lines)

    dump = tmp_path / "papers.jsonl"
    dump.write_text(exported.stdout, encoding="utf-8")
    assert cli("import", str(dump), data_dir=second).returncode == 0
    assert cli("export", data_dir=second).stdout == exported.stdout


def test_export_into_a_closed_pipe_stops_quietly(
    new_data_dir: Callable[[], Path],
) -> None:
    # `paperwire export - | head -1`: the reader leaves early; no BrokenPipeError traceback.
    from support import bin_path, cli_env

    data_dir = new_data_dir()
    imported = subprocess.run(
        [bin_path("paperwire"), "import", str(DEMO_FILE)],
        env=cli_env(data_dir),
        capture_output=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    export = subprocess.Popen(
        [bin_path("paperwire"), "export", "-"],
        env=cli_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert export.stdout is not None and export.stderr is not None
    first = export.stdout.readline()
    export.stdout.close()  # as `head -1` does after one line
    err = export.stderr.read().decode()
    export.wait(timeout=60)
    assert json.loads(first)["id"]
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


def test_export_to_a_directory_or_an_unwritable_place_is_one_line(
    cli: Cli, new_data_dir: Callable[[], Path], tmp_path: Path
) -> None:
    data_dir = new_data_dir()
    assert cli("import", str(DEMO_FILE), data_dir=data_dir).returncode == 0
    folder = tmp_path / "exports"
    folder.mkdir()

    done = cli("export", str(folder), data_dir=data_dir)

    assert_clean_failure(done, f"{folder}: a directory, not a file")
    assert str(folder / "papers.jsonl") in done.stderr
    # Nothing was left beside the directory (the temporary file went to its parent once).
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert list(folder.iterdir()) == []

    if Path("/proc/self").is_dir():  # a directory nobody may create files in, even root
        done = cli("export", "/proc/self/papers.jsonl", data_dir=data_dir)
        assert_clean_failure(done, "/proc/self/papers.jsonl: cannot write there")
        assert len(done.stderr.strip().splitlines()) == 1


def test_bad_lines_through_the_command(
    cli: Cli, new_data_dir: Callable[[], Path], tmp_path: Path
) -> None:
    data_dir = new_data_dir()
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(
        b'{"title": "Fine"}\n'
        b'{"title": "Bad Date", "published_at": "2023-02-30"}\n'
        b"\xff\xfe not utf-8\n"
        b'{"title": "Also Fine"}\n'
        b'{"title": "Cut'
    )

    done = cli("import", str(bad), data_dir=data_dir)

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"{bad}:line 2: 'published_at' is not a valid date" in done.stderr
    assert f"{bad}:line 3: not UTF-8" in done.stderr
    assert f"{bad}:line 5: not valid JSON" in done.stderr
    assert "3 line(s) were not imported" in done.stderr
    assert "2 new" in done.stdout
    titles = [
        json.loads(line)["title"] for line in cli("export", data_dir=data_dir).stdout.splitlines()
    ]
    assert titles == ["Fine", "Also Fine"]


@pytest.mark.parametrize("args", [("export", "-"), ("import", "{demo}")])
def test_an_unmigrated_database_is_one_line(
    cli: Cli, tmp_path: Path, args: tuple[str, ...]
) -> None:
    demo = str(Path(__file__).parent.parent / "src" / "paperwire" / "data" / "demo_papers.jsonl")
    done = cli(*(a.format(demo=demo) for a in args), data_dir=tmp_path)

    assert_clean_failure(done, "run `paperwire migrate` first")
    assert len(done.stderr.strip().splitlines()) == 1


def test_numpy_gets_one_blas_thread_in_paperwire_processes() -> None:
    """OpenBLAS threads spin against each other on a busy machine (src/paperwire/__init__.py)."""
    code = (
        "import paperwire, numpy, ctypes, glob, os; "
        "libs = os.path.dirname(numpy.__file__) + '.libs/libscipy_openblas*'; "
        "lib = ctypes.CDLL(glob.glob(libs)[0]); "
        "print(lib.scipy_openblas_get_num_threads64_())"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    assert done.stdout.strip() == "1"
