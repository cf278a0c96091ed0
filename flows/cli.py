"""The `skillsub` command line: stack, db, process, export, demo."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path

import typer

# Whatever we write (SQLite database, exports, Prefect's state) is private to this user (issue 13).
os.umask(0o077)
# Quiet, offline Prefect with its state under our data dir; set before Prefect is imported.
_DATA = Path(os.environ.get("SKILLSUB_DATA_DIR", "./var")).resolve()
os.environ.setdefault("PREFECT_HOME", str(_DATA / "prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
try:  # with the embedded stack up, runs started here show in its Prefect UI too
    _STACK = json.loads((_DATA / "stack.json").read_text())
except (OSError, ValueError):
    _STACK = {}
if _STACK.get("prefect_api_url"):
    os.environ.setdefault("PREFECT_API_URL", _STACK["prefect_api_url"])
    if _STACK.get("prefect_auth_string"):  # the server refuses clients without it
        os.environ.setdefault("PREFECT_API_AUTH_STRING", _STACK["prefect_auth_string"])

app = typer.Typer(help="skillsub: data-quality gates and ledger for subsidised training", no_args_is_help=True,
                  pretty_exceptions_show_locals=False)
stack_app = typer.Typer(help="The embedded object store (SeaweedFS on loopback)", no_args_is_help=True)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
export_app = typer.Typer(help="Exports for auditors and finance", no_args_is_help=True)
app.add_typer(stack_app, name="stack")
app.add_typer(db_app, name="db")
app.add_typer(export_app, name="export")


class Fmt(StrEnum):
    csv = "csv"
    json = "json"


def _settings():  # noqa: ANN202
    from infra.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"skillsub: bad settings: {exc}", err=True)
        raise typer.Exit(2) from None


def _services():  # noqa: ANN202
    from infra.bootstrap import bootstrap
    from infra.settings import SettingsError

    settings = _settings()
    try:
        return bootstrap(settings)
    except SettingsError as exc:
        typer.echo(f"skillsub: {exc}", err=True)
        raise typer.Exit(2) from None


@stack_app.command("up")
def stack_up(s3_only: bool = typer.Option(False, "--s3-only", help="only SeaweedFS (no Prefect server, worker, listener)")) -> None:
    """Start SeaweedFS (authentication on), a Prefect server with our deployments, a worker and the upload listener."""
    from infra import orchestration, stack

    s = _settings()
    state = stack.load_state(s.stack_file)
    if state and stack.pid_alive(state.pid):
        typer.echo(f"already up: {state.s3_endpoint_url} (bucket {state.bucket})")
        return
    _migrate_if_needed(s)
    try:
        state = stack.start(s.data_dir, s.bucket)
        stack.save_state(s.stack_file, state)
        typer.echo(f"SeaweedFS S3 up at {state.s3_endpoint_url} (bucket {state.bucket})")
        if not s3_only:
            auth = state.prefect_auth_string = stack.new_auth_string()
            pid, api, ui = orchestration.start_server(s.data_dir, auth, database_url=s.prefect_database_url)
            state.pids["prefect-server"], state.prefect_api_url, state.prefect_ui_url = pid, api, ui
            stack.save_state(s.stack_file, state)
            orchestration.deploy(s.data_dir, api, auth)
            state.pids["worker"] = orchestration.start_worker(s.data_dir, api, auth)
            state.pids["upload-worker"] = orchestration.start_upload_worker(s.data_dir, api, auth)
            state.pids["listener"] = orchestration.start_listener(s.data_dir, api, auth)
            stack.save_state(s.stack_file, state)
            typer.echo(f"Prefect UI at {ui}; deployments from prefect.yaml, worker and upload listener running")
            state.pids["console"], state.console_url = orchestration.start_console(
                s.data_dir, s.console_port or stack.free_ports(1)[0], api, auth)
            stack.save_state(s.stack_file, state)
            typer.echo(f"console at {state.console_url} (users: skillsub user add NAME --role ...)")
    except stack.StackError as exc:
        typer.echo(f"skillsub: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo("endpoint, bucket and credentials: skillsub stack status --json")


def _migrate_if_needed(s) -> None:  # noqa: ANN001
    """Every run on a never-migrated database would fail: migrate it first, or say in one line why not."""
    from infra.database import is_at_head

    try:
        if is_at_head(s.migration_url):
            return
        typer.echo("the database was not migrated: running skillsub db upgrade")
        db_upgrade()
    except typer.Exit:
        raise
    except Exception as exc:  # unreachable or not ours to migrate: the operator must act
        typer.echo(f"skillsub: the database is not migrated and skillsub db upgrade failed: "
                   f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", err=True)
        raise typer.Exit(2) from None


@stack_app.command("down")
def stack_down() -> None:
    """Stop the listener, worker, Prefect server and SeaweedFS (their data stays under the data dir)."""
    from infra import stack

    s = _settings()
    state = stack.load_state(s.stack_file)
    if state is None:
        typer.echo("not running")
        return
    for name in ("console", "listener", "upload-worker", "worker", "prefect-server"):
        if name in state.pids:
            stack.stop_pid(state.pids[name])
    stack.stop_pid(state.pid)
    s.stack_file.unlink(missing_ok=True)
    typer.echo("stopped")


@stack_app.command("status")
def stack_status(as_json: bool = typer.Option(False, "--json", help="endpoints, bucket and credentials as JSON")) -> None:
    """Whether the embedded stack runs, and how to reach it."""
    from infra import stack

    s = _settings()
    state = stack.load_state(s.stack_file)
    up = bool(state and stack.pid_alive(state.pid))
    info: dict = {"running": up}
    if state:
        info |= {"s3_endpoint_url": state.s3_endpoint_url, "bucket": state.bucket,
                 "aws_access_key_id": state.access_key, "aws_secret_access_key": state.secret_key,
                 "region": "us-east-1", "data_dir": state.data_dir,
                 "prefect_api_url": state.prefect_api_url, "prefect_ui_url": state.prefect_ui_url,
                 "prefect_api_auth_string": state.prefect_auth_string,
                 "processes": {n: stack.pid_alive(p) for n, p in state.pids.items()},
                 "console_url": state.console_url}
    if as_json:
        typer.echo(json.dumps(info, indent=1))
    else:
        typer.echo(f"{'up' if up else 'down'}" + (f": {state.s3_endpoint_url} bucket {state.bucket}" if state else "")
                   + (f"; Prefect UI {state.prefect_ui_url}" if state and state.prefect_ui_url else ""))
    if not up:
        raise typer.Exit(1)


institution_app = typer.Typer(help="Institutions' access to the object store", no_args_is_help=True)
app.add_typer(institution_app, name="institution")


def _institution(uscc: str):  # noqa: ANN202
    """(credit code, services, running store state) or exit 2 with one line."""
    from infra import stack
    from schemas.cells import parse_uscc

    try:
        uscc = parse_uscc(uscc)
    except ValueError as exc:
        typer.echo(f"skillsub: {exc}", err=True)
        raise typer.Exit(2) from None
    svc = _db_only()
    state = stack.load_state(svc.settings.stack_file)
    if state is None or not stack.pid_alive(state.pid):
        typer.echo("skillsub: the embedded store is not running: skillsub stack up", err=True)
        raise typer.Exit(2)
    return uscc, svc, state


def _grant(svc, state, uscc: str, operator: str, action: str, change) -> None:  # noqa: ANN001
    """Apply a change to an institution's credentials, record who did it, print the new grant."""
    from sqlalchemy import insert

    from infra import db
    from infra.stack import StackError

    try:
        result = change(state, uscc)
    except StackError as exc:
        typer.echo(f"skillsub: {exc}", err=True)
        raise typer.Exit(2) from None
    detail = {"access_key": result[0]} if action != "institution.revoke" else {"revoked_keys": result}
    with svc.engine.begin() as conn:
        conn.execute(insert(db.audit_log).values(at=svc.now(), actor=operator, action=action, subject=uscc,
                                                 detail=json.dumps(detail)))
    if action == "institution.revoke":
        typer.echo(json.dumps({"uscc": uscc, "revoked_keys": result}, indent=1))
        return
    typer.echo(json.dumps({"uscc": uscc, "s3_endpoint_url": state.s3_endpoint_url, "bucket": state.bucket,
                           "aws_access_key_id": result[0], "aws_secret_access_key": result[1],
                           "may_write": f"inbox/{uscc}/", "may_read": f"outbox/{uscc}/"}, indent=1))


@institution_app.command("add")
def institution_add(uscc: str = typer.Argument(..., help="the institution's credit code"),
                    operator: str = typer.Option(..., "--operator", help="who grants the access (audit log)")) -> None:
    """Create S3 credentials that may write only inbox/<uscc>/ and read only outbox/<uscc>/, never delete."""
    from infra import tenants

    code, svc, state = _institution(uscc)
    _grant(svc, state, code, operator, "institution.add", tenants.add)


@institution_app.command("rotate")
def institution_rotate(uscc: str = typer.Argument(..., help="the institution's credit code"),
                       operator: str = typer.Option(..., "--operator", help="who rotates the key (audit log)")) -> None:
    """Issue a new key pair; the old keys are refused at once."""
    from infra import tenants

    code, svc, state = _institution(uscc)
    _grant(svc, state, code, operator, "institution.rotate", tenants.rotate)


@institution_app.command("revoke")
def institution_revoke(uscc: str = typer.Argument(..., help="the institution's credit code"),
                       operator: str = typer.Option(..., "--operator", help="who revokes the access (audit log)")) -> None:
    """Delete every key of the institution and disable its identity; its keys are refused at once."""
    from infra import tenants

    code, svc, state = _institution(uscc)
    _grant(svc, state, code, operator, "institution.revoke", tenants.revoke)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration (as SKILLSUB_DB_OWNER_URL when set), then grant SKILLSUB_DB_APP_ROLE its rights."""
    from infra.database import make_engine, upgrade
    from infra.roles import grant_app_role

    s = _settings()
    upgrade(s.migration_url)
    typer.echo(f"database at head: {s.migration_url.split('@')[-1]}")
    if s.db_app_role:
        owner = make_engine(s.migration_url)
        if owner.dialect.name != "postgresql":
            typer.echo("skillsub: SKILLSUB_DB_APP_ROLE applies to PostgreSQL only", err=True)
            raise typer.Exit(2)
        try:
            grant_app_role(owner, s.db_app_role)
        except ValueError as exc:
            typer.echo(f"skillsub: {exc}", err=True)
            raise typer.Exit(2) from None
        finally:
            owner.dispose()
        typer.echo(f"application role {s.db_app_role}: SELECT/INSERT only on the audit log, the ledger and decisions")


audit_app = typer.Typer(help="The audit log", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit log's hash chain: exit 1 naming every entry changed, removed or written outside it."""
    from infra.auditchain import verify
    from infra.database import make_engine

    engine = make_engine(_settings().db_url)
    try:
        checked, breaks = verify(engine)
    finally:
        engine.dispose()
    for problem in breaks:
        typer.echo(f"broken: {problem}")
    if breaks:
        typer.echo(f"skillsub: the audit log's chain is broken ({len(breaks)} problems in {checked} entries)", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit log intact: {checked} entries chained")


@app.command("process")
def process() -> None:
    """Process every pending object under reference/ and inbox/ now (reference first, then stage order)."""
    from flows.scaleout import run_process
    from tasks import prefect as ptasks

    svc = _services()
    ptasks.use(svc)
    try:
        with ptasks.in_process():
            outcomes = run_process(svc.settings)
    except Exception as exc:  # the system failed (store or database down): non-zero exit
        typer.echo(f"skillsub: processing failed: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(1) from None
    _print_outcomes(outcomes)


def _print_outcomes(outcomes: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("object", "status", "rows", "accepted", "rejected", "flagged", "reason")
    for o in outcomes:
        c = o.get("counts") or {}
        table.add_row(o["key"], o["status"], *(str(c.get(k, "")) for k in ("total", "accepted", "rejected", "flagged")),
                      (o.get("reason") or "")[:60])
    Console().print(table)
    typer.echo(f"{len(outcomes)} objects processed")


@export_app.command("findings")
def export_findings(fmt: Fmt = typer.Option(Fmt.csv, "--format"), out: Path | None = typer.Option(None, "--out"),
                    unmask: bool = typer.Option(False, "--unmask", help="show full ID and phone numbers")) -> None:
    """Every finding, file-level ones included; ID and phone numbers masked unless --unmask."""
    from tasks import exports

    svc = _db_only()
    text = exports.render(exports.findings(svc, unmask=unmask), exports.FINDING_COLUMNS, fmt.value)
    _emit(text, out)


@export_app.command("trainees")
def export_trainees(fmt: Fmt = typer.Option(Fmt.csv, "--format"), out: Path | None = typer.Option(None, "--out"),
                    unmask: bool = typer.Option(False, "--unmask", help="show full ID numbers")) -> None:
    """Per class and trainee: verdict, hours, assessment, certificate, open holds, exclusions."""
    from tasks import exports

    svc = _db_only()
    _emit(exports.render(exports.trainees(svc, unmask=unmask), exports.TRAINEE_COLUMNS, fmt.value), out)


@export_app.command("ledger")
def export_ledger(fmt: Fmt = typer.Option(Fmt.csv, "--format"), out: Path | None = typer.Option(None, "--out"),
                  unmask: bool = typer.Option(False, "--unmask", help="show full ID numbers of person payees")) -> None:
    """Every ledger entry (recoveries negative), amounts in yuan with two decimals."""
    from tasks import exports

    _emit(exports.render(exports.ledger(_db_only(), unmask=unmask), exports.LEDGER_COLUMNS, fmt.value), out)


@export_app.command("settlements")
def export_settlements(fmt: Fmt = typer.Option(Fmt.csv, "--format"), out: Path | None = typer.Option(None, "--out"),
                       unmask: bool = typer.Option(False, "--unmask", help="show full ID numbers of person payees")) -> None:
    """Per class and payee: earned, paid and due, in yuan."""
    from tasks import exports

    _emit(exports.render(exports.settlements(_db_only(), unmask=unmask), exports.SETTLEMENT_COLUMNS, fmt.value), out)


@app.command("nightly")
def nightly(as_of: str | None = typer.Option(None, "--date", help="as-of date YYYY-MM-DD (default: today, Asia/Shanghai)")) -> None:
    """Pick up missed uploads, pay due advances and settle classes whose last session has passed, as of a date."""
    from datetime import date

    from flows.nightly import nightly as nightly_flow
    from tasks import prefect as ptasks

    if as_of is not None:
        try:
            date.fromisoformat(as_of)
        except ValueError:
            typer.echo(f"skillsub: --date {as_of!r} is not YYYY-MM-DD", err=True)
            raise typer.Exit(2) from None
    ptasks.use(_services())
    try:
        with ptasks.in_process():
            summary = nightly_flow(as_of)
    except Exception as exc:
        typer.echo(f"skillsub: nightly failed: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=1))
    if summary.get("unbalanced"):
        raise typer.Exit(1)


@app.command("rerun")
def rerun_cmd(stage: str = typer.Option(..., "--stage", help="filing, enrollment, attendance, assessment, certificate, advance, settlement or all"),
              class_ref: str | None = typer.Option(None, "--class", help="USCC/CLASS_ID"),
              institution: str | None = typer.Option(None, "--institution", help="USCC"),
              date_from: str | None = typer.Option(None, "--from", help="classes ending on or after this date, YYYY-MM-DD"),
              date_to: str | None = typer.Option(None, "--to", help="classes starting on or before this date, YYYY-MM-DD"),
              dry_run: bool = typer.Option(False, "--dry-run", help="report what would change, change nothing"),
              auditor: str = typer.Option(..., "--auditor"), reason: str = typer.Option(..., "--reason")) -> None:
    """Re-run a stage with today's rules and policy for a class, an institution or a date range."""
    from sqlalchemy.exc import SQLAlchemyError

    from tasks.rerun import RerunRefused, check_request  # light: a refusal answers before Prefect and GX load

    try:  # a request that cannot run is refused here, not as a failed flow run with a traceback
        check_request(_db_only(), stage, class_ref, institution, date_from, date_to, auditor, reason, known_scope=True)
    except RerunRefused as exc:
        typer.echo(f"skillsub: {exc}", err=True)
        raise typer.Exit(2) from None
    except SQLAlchemyError as exc:
        typer.echo(f"skillsub: cannot read the database (not migrated? skillsub db upgrade): "
                   f"{type(exc).__name__}", err=True)
        raise typer.Exit(2) from None
    from flows.rerun import rerun
    from tasks import prefect as ptasks

    ptasks.use(_services())
    try:
        report = rerun(stage, class_ref, institution, date_from, date_to, dry_run, auditor, reason)
    except RerunRefused as exc:
        typer.echo(f"skillsub: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(report, ensure_ascii=False, indent=1))


class Decision(StrEnum):
    confirm = "confirm"
    dismiss = "dismiss"


@app.command("review")
def review(finding_id: int = typer.Argument(..., help="the finding to decide"),
           confirm: bool = typer.Option(False, "--confirm", help="the hold stands: the trainee or class stays excluded"),
           dismiss: bool = typer.Option(False, "--dismiss", help="release the hold"),
           escalate: bool = typer.Option(False, "--escalate", help="make another institution's side of a "
                                         "cross-institution warning an open hold"),
           reason: str = typer.Option(..., "--reason", help="why (kept in the audit log)"),
           auditor: str = typer.Option(..., "--auditor", help="who decides (kept in the audit log)")) -> None:
    """Confirm or dismiss a hold, or escalate a cross-institution warning to a hold; recorded in the audit log."""
    from tasks.review import ReviewRefused
    from tasks.review import review as decide

    if confirm + dismiss + escalate != 1:
        typer.echo("skillsub: give exactly one of --confirm, --dismiss or --escalate", err=True)
        raise typer.Exit(2)
    try:
        svc, has_store = _store_or_db_only()
        done = decide(svc, finding_id, "confirm" if confirm else "dismiss" if dismiss else "escalate", reason,
                      auditor, publish=has_store)
    except ReviewRefused as exc:
        typer.echo(f"skillsub: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"finding {finding_id} ({done['rule_code']}) {done['status']} by {auditor}")
    if done.get("rating_change"):  # issue 12.6: a confirmed fraud downgrades the institution at once
        typer.echo(f"{done['uscc']} credit rating {done['rating_change']['previous']} → {done['rating_change']['rating']}")
    if done["status"] == "confirmed" and not has_store:
        typer.echo("skillsub: no object store configured: the special report (重大情况专报) waits for "
                   "`skillsub special publish`", err=True)


def _db_only():  # noqa: ANN202
    """Services for commands that read only the database (no object store needed)."""
    from infra.bootstrap import Services
    from infra.database import make_engine
    from infra.objectstore import MemoryStore

    s = _settings()
    return Services(settings=s, engine=make_engine(s.db_url), store=MemoryStore(s.bucket), policy=s.region_policy)


def _emit(text: str, out: Path | None) -> None:
    if out:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)
    else:
        sys.stdout.write(text if not text.startswith("\ufeff") else text[1:])


@app.command("demo")
def demo() -> None:
    """Upload a generated sample with planted problems, process it, print what happened."""
    from flows.demo import run_demo
    from flows.demo_runs import DemoStuck

    try:
        run_demo(_services())
    except DemoStuck as exc:
        typer.echo(f"skillsub demo: {exc}", err=True)
        raise typer.Exit(1) from None


# --- the department's console (issue 14)
user_app = typer.Typer(help="Users of the console (auditor, operator, viewer)", no_args_is_help=True)
app.add_typer(user_app, name="user")


class Role(StrEnum):
    auditor = "auditor"
    operator = "operator"
    viewer = "viewer"


@user_app.command("add")
def user_add(name: str = typer.Argument(..., help="the login name"),
             role: Role = typer.Option(..., "--role", help="auditor, operator or viewer")) -> None:
    """Add a console user; the password is read from standard input (one line, at least 10 characters)."""
    from tasks.console_users import UserRefused, add_user

    password = sys.stdin.readline().rstrip("\r\n")
    try:
        add_user(_db_only(), name, role.value, password, actor=os.environ.get("USER", "cli"))
    except UserRefused as exc:
        typer.echo(f"skillsub: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"user {name} added ({role.value})")


@user_app.command("disable")
def user_disable(name: str = typer.Argument(..., help="the login name")) -> None:
    """Disable a console user: refused at the next request, sessions included."""
    from tasks.console_users import UserRefused, disable_user

    try:
        disable_user(_db_only(), name, actor=os.environ.get("USER", "cli"))
    except UserRefused as exc:
        typer.echo(f"skillsub: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"user {name} disabled")


@app.command("console")
def console_cmd(host: str = typer.Option("127.0.0.1", "--host"),
                port: int | None = typer.Option(None, "--port", help="default SKILLSUB_CONSOLE_PORT")) -> None:
    """The department's console in the browser (auditors, operators, viewers), behind a login."""
    from flows.console.serve import serve
    from infra.bootstrap import bootstrap
    from infra.settings import SettingsError

    s = _settings()
    try:
        svc = bootstrap(s)
    except SettingsError as exc:  # no object store: the console reads the database; reports and re-processing wait
        typer.echo(f"skillsub: {exc} (the console starts without the object store)", err=True)
        svc = _db_only()
    port = port or s.console_port or 8780
    typer.echo(f"console at http://{host}:{port}/")
    serve(svc, host, port)


# --- reports (issue 12 points 2, 3, 5): period reports and the public disclosure
report_app = typer.Typer(help="Period reports (月报/季报/年报) and the public disclosure (公开)", no_args_is_help=True)
app.add_typer(report_app, name="report")


class ReportFmt(StrEnum):
    xlsx = "xlsx"
    html = "html"
    json = "json"
    md = "md"


class DisclosureFmt(StrEnum):
    csv = "csv"
    html = "html"


def _period(text: str, kind: str | None):  # noqa: ANN202
    from schemas.report_period import parse_period

    try:
        return parse_period(text, kind)  # type: ignore[arg-type]
    except ValueError as exc:
        typer.echo(f"skillsub report: {exc}", err=True)
        raise typer.Exit(2) from None


def _report(text: str, kind: str, fmt: ReportFmt, out: Path | None, publish: bool) -> None:
    from tasks import period_report, report_render
    from tasks.report_charts import NoCJKFont

    period = _period(text, kind)
    try:
        if publish:
            from tasks.report_publish import publish as put

            for key in put(_services(), period):
                typer.echo(key)
            return
        data = report_render.render(period_report.build(_db_only(), period), fmt.value)
    except NoCJKFont as exc:
        typer.echo(f"skillsub report: {exc}", err=True)
        raise typer.Exit(1) from None
    if out:
        out.write_bytes(data)
        typer.echo(f"wrote {out}", err=True)
    elif fmt in (ReportFmt.xlsx,):
        typer.echo("skillsub report: xlsx needs --out", err=True)
        raise typer.Exit(2)
    else:
        sys.stdout.write(data.decode())


_FMT = typer.Option(ReportFmt.html, "--format")
_OUT = typer.Option(None, "--out")
_PUBLISH = typer.Option(False, "--publish", help="write every format to reports/<period>/ in the bucket as a new version")


@report_app.command("monthly")
def report_monthly(month: str = typer.Option(..., "--month", help="YYYY-MM"), fmt: ReportFmt = _FMT,
                   out: Path | None = _OUT, publish: bool = _PUBLISH) -> None:
    """月报: the month's classes, people, attendance, findings, money by kind and fund, institutions."""
    _report(month, "monthly", fmt, out, publish)


@report_app.command("quarterly")
def report_quarterly(quarter: str = typer.Option(..., "--quarter", help="YYYY-Qn"), fmt: ReportFmt = _FMT,
                     out: Path | None = _OUT, publish: bool = _PUBLISH) -> None:
    """季报: the same for a quarter."""
    _report(quarter, "quarterly", fmt, out, publish)


@report_app.command("annual")
def report_annual(year: str = typer.Option(..., "--year", help="YYYY"), fmt: ReportFmt = _FMT,
                  out: Path | None = _OUT, publish: bool = _PUBLISH) -> None:
    """年报: the same for a year."""
    _report(year, "annual", fmt, out, publish)


@report_app.command("disclosure")
def report_disclosure(period: str = typer.Option(..., "--period", help="YYYY-MM, YYYY-Qn or YYYY"),
                      fmt: DisclosureFmt = typer.Option(DisclosureFmt.csv, "--format"), out: Path | None = _OUT) -> None:
    """公开: fund use per institution and training type (classes, trainees, subsidy paid, recoveries); no personal data."""
    from tasks import disclosure

    svc, p = _db_only(), _period(period, None)
    data = disclosure.rows(svc, p)
    body = disclosure.to_csv(data) if fmt == DisclosureFmt.csv else disclosure.to_html(svc, p, data)
    if out:
        out.write_bytes(body)
        typer.echo(f"wrote {out}", err=True)
    else:
        sys.stdout.write(body.decode().removeprefix("\ufeff"))
# --- credit (issue 12.6): institution ratings A/B/C/D
credit_app = typer.Typer(help="Institution credit ratings (信用等级 A/B/C/D)", no_args_is_help=True)
app.add_typer(credit_app, name="credit")


@credit_app.command("recompute")
def credit_recompute(month: str = typer.Option(..., "--month", help="the month rated, YYYY-MM")) -> None:
    """Rate every institution from its record for a month (the monthly publication; a second run writes nothing)."""
    from flows.credit import credit_monthly
    from tasks import prefect as ptasks
    from tasks.credit import CreditRefused, month_bounds

    try:
        month_bounds(month)
    except CreditRefused as exc:
        typer.echo(f"skillsub: --month: {exc}", err=True)
        raise typer.Exit(2) from None
    ptasks.use(_db_only())
    typer.echo(json.dumps(credit_monthly(month), ensure_ascii=False, indent=1))


@credit_app.command("show")
def credit_show(uscc: str | None = typer.Argument(None, help="one institution's history (default: every current rating)")) -> None:
    """Current ratings with their reasons, or one institution's rating history."""
    from tasks.credit import show

    typer.echo(json.dumps(show(_db_only(), uscc), ensure_ascii=False, indent=1, default=str))


@credit_app.command("override")
def credit_override(uscc: str = typer.Argument(..., help="the institution"),
                    rating: str = typer.Option(..., "--rating", help="A, B, C or D (D blacklists)"),
                    reason: str = typer.Option("", "--reason", help="why (required; kept in the audit log)"),
                    auditor: str = typer.Option(..., "--auditor", help="who decides (kept in the audit log)")) -> None:
    """Set an institution's rating by an auditor's decision; it is the starting point of later publications."""
    from tasks.credit import CreditRefused, override

    try:
        change = override(_db_only(), uscc, rating, reason, auditor)
    except CreditRefused as exc:
        typer.echo(f"skillsub: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{change.uscc}: {change.previous} → {change.rating} by {auditor}")


def _store_or_db_only():  # noqa: ANN202
    """(services, True) with the configured object store when there is one (a confirmed fraud's 重大情况专报
    goes to the bucket), else (database-only services, False)."""
    from infra.bootstrap import bootstrap
    from infra.settings import SettingsError

    try:
        return bootstrap(_settings()), True
    except SettingsError:
        return _db_only(), False


special_app = typer.Typer(help="Special reports (重大情况专报)", no_args_is_help=True)
app.add_typer(special_app, name="special")


@special_app.command("publish")
def special_publish() -> None:
    """Publish every confirmed fraud and big recovery order not reported yet to reports/special/."""
    from tasks.special import publish_missing

    for key in publish_missing(_services()):
        typer.echo(key)


if __name__ == "__main__":
    app()
